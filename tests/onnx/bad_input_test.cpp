// Files and options that are not a usable model: each is a one-line np::Error naming what is
// wrong, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "model_builder.hpp"
#include "neuralpower/cost.hpp"
#include "test_support.hpp"

namespace np {
namespace {

using test::error_of;
using test::has;
using test::import_bytes;
using test::ModelBuilder;
using test::set_attribute;

std::string read_fixture(const std::string& name) {
  std::ifstream in(test::fixture_path(name), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// input [1, 3, 8, 8] -> Conv 4x3x3x3 -> Relu
ModelBuilder small_conv_model() {
  ModelBuilder b;
  b.input("input", {1, 3, 8, 8}).weight("w", {4, 3, 3, 3});
  b.node("Conv", {"input", "w"}, {"c"}, "conv");
  b.node("Relu", {"c"}, {"output"}, "relu");
  b.output("output");
  return b;
}

TEST(OnnxBadInput, TruncatedModelIsAnError) {
  const std::string bytes = read_fixture("shufflenet_v2_x1_0_dynamic_batch.onnx");
  ASSERT_GT(bytes.size(), 1000u);
  const std::string message = error_of([&] { import_bytes(bytes.substr(0, bytes.size() / 2)); });
  EXPECT_TRUE(has(message, "not an ONNX model")) << message;
}

TEST(OnnxBadInput, EveryPrefixOfAModelFailsCleanlyOrImports) {
  const std::string bytes = read_fixture("fusions.onnx");
  ImportOptions options;
  options.batch = 2;
  int errors = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    try {
      import_bytes(bytes.substr(0, n), options);
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, static_cast<int>(bytes.size()) * 9 / 10);
}

// Corrupted bytes inside valid models: whatever they turn into, the import ends in a
// Network or an np::Error.
TEST(OnnxBadInput, CorruptedModelsFailCleanlyOrImport) {
  std::mt19937 random(2024);
  ImportOptions options;
  options.batch = 2;
  for (const char* name : {"fusions.onnx", "shufflenet_v2_x1_0_dynamic_batch.onnx"}) {
    const std::string original = read_fixture(name);
    ASSERT_FALSE(original.empty());
    int imported = 0;
    for (int trial = 0; trial < 300; ++trial) {
      std::string bytes = original;
      for (int flip = 0; flip < 1 + trial % 4; ++flip) {
        bytes[random() % bytes.size()] = static_cast<char>(random() & 0xff);
      }
      try {
        import_bytes(bytes, options);
        ++imported;
      } catch (const Error&) {
      }
    }
    // Most single-byte changes hit names or weights' dims and still parse.
    EXPECT_GT(imported, 0) << name;
  }
}

TEST(OnnxBadInput, RandomBytesAreAnError) {
  std::mt19937 random(12345);
  for (size_t size : {1u, 2u, 7u, 64u, 1000u, 65536u}) {
    for (int trial = 0; trial < 8; ++trial) {
      std::string bytes(size, '\0');
      for (char& c : bytes) c = static_cast<char>(random() & 0xff);
      const std::string message = error_of([&] { import_bytes(bytes); });
      EXPECT_TRUE(has(message, "not an ONNX model")) << message;
    }
  }
}

TEST(OnnxBadInput, OtherFormatsAndEmptyFilesAreErrors) {
  EXPECT_TRUE(
      has(error_of([] { import_bytes(R"({"layers": {"conv1": {}}})"); }), "not an ONNX model"));
  EXPECT_TRUE(has(error_of([] { import_bytes(""); }), "empty"));
  const auto dir = std::filesystem::temp_directory_path() / "np_test_onnx_bad_input";
  std::filesystem::create_directories(dir);
  const auto empty = dir / "empty.onnx";
  std::ofstream(empty).close();
  const std::string message = error_of([&] { import_onnx(empty.string(), {}); });
  EXPECT_TRUE(has(message, "empty") && has(message, "empty.onnx")) << message;
  EXPECT_TRUE(
      has(error_of([&] { import_onnx((dir / "missing.onnx").string(), {}); }), "cannot open"));
}

TEST(OnnxBadInput, UnsetDynamicDimNamesTheInputAndTheDim) {
  ModelBuilder b;
  b.input("image", {"N", 3, "height", "width"}).weight("w", {4, 3, 3, 3});
  b.node("Conv", {"image", "w"}, {"output"}, "conv");
  b.output("output");
  const std::string no_batch = error_of([&] { import_bytes(b.bytes()); });
  EXPECT_TRUE(has(no_batch, "onnx input 'image' dim 0 ('N') is dynamic")) << no_batch;
  EXPECT_TRUE(has(no_batch, "--batch")) << no_batch;

  ImportOptions options;
  options.batch = 2;
  const std::string no_height = error_of([&] { import_bytes(b.bytes(), options); });
  EXPECT_TRUE(has(no_height,
                  "onnx input 'image' dim 2 ('height') is dynamic; set it with "
                  "--input-shape image=2x3x<height>x<width>"))
      << no_height;

  options.input_shapes["image"] = {1, 3, 10, 12};
  const Network net = import_bytes(b.bytes(), options);
  EXPECT_EQ(net.batch(), 2);  // --batch overrides dim 0 of the given shape
  EXPECT_EQ(net.layers().back().output_shape, (Shape{2, 4, 8, 10}));
}

TEST(OnnxBadInput, ZeroNegativeAndAbsurdDimsAreErrors) {
  for (int64_t bad : {0, -3}) {
    ModelBuilder b;
    b.input("input", {1, bad, 8, 8});
    b.node("Relu", {"input"}, {"output"});
    b.output("output");
    const std::string message = error_of([&] { import_bytes(b.bytes()); });
    EXPECT_TRUE(has(message, "onnx input 'input' dim 1 is " + std::to_string(bad))) << message;
  }
  ImportOptions options;
  options.input_shape = Shape{1, 3, 0, 8};
  EXPECT_TRUE(
      has(error_of([&] { import_bytes(small_conv_model().bytes(), options); }), "non-positive"));

  ModelBuilder negative_weight = small_conv_model();
  negative_weight.proto().mutable_graph()->mutable_initializer(0)->set_dims(0, -4);
  const std::string message = error_of([&] { import_bytes(negative_weight.bytes()); });
  EXPECT_TRUE(has(message, "initializer 'w'") && has(message, "negative")) << message;
}

TEST(OnnxBadInput, TrillionElementTensorsAreErrorsNotOverflows) {
  ModelBuilder huge_input;
  huge_input.input("input", {1, 1000000, 1000000});
  huge_input.node("Relu", {"input"}, {"output"});
  huge_input.output("output");
  EXPECT_TRUE(has(error_of([&] { import_bytes(huge_input.bytes()); }), "too large"));

  ModelBuilder huge_weight = small_conv_model();
  huge_weight.weight("big", {1000000, 1000000});
  EXPECT_TRUE(has(error_of([&] { import_bytes(huge_weight.bytes()); }), "too large"));

  ModelBuilder overflow = small_conv_model();
  overflow.weight("wrap", {int64_t{1} << 40, int64_t{1} << 40, 16});
  EXPECT_TRUE(has(error_of([&] { import_bytes(overflow.bytes()); }), "too large"));

  // A 10^12-element tensor made by ConstantOfShape from the file's int64 data.
  ModelBuilder made;
  made.input("input", {1, 3, 8, 8}).ints("shape", {1000000, 1000000});
  made.node("ConstantOfShape", {"shape"}, {"zeros"}, "fill");
  made.node("Add", {"input", "zeros"}, {"output"}, "add");
  made.output("output");
  const std::string message = error_of([&] { import_bytes(made.bytes()); });
  EXPECT_TRUE(has(message, "onnx node 'fill' (ConstantOfShape)") && has(message, "too large"))
      << message;

  // An input that is fine alone but whose conv output would exceed the limit.
  ModelBuilder wide;
  wide.input("input", {1, 1, 100000, 100000}).weight("w", {4096, 1, 1, 1});
  wide.node("Conv", {"input", "w"}, {"output"}, "widen");
  wide.output("output");
  const std::string wide_message = error_of([&] { import_bytes(wide.bytes()); });
  EXPECT_TRUE(has(wide_message, "onnx node 'widen' (Conv)") && has(wide_message, "too large"))
      << wide_message;
}

TEST(OnnxBadInput, UnsupportedOpNamesTheNodeAndTheOp) {
  ModelBuilder b;
  b.input("boxes", {1, 100, 4}).input("scores", {1, 1, 100});
  b.node("NonMaxSuppression", {"boxes", "scores"}, {"selected"}, "/features/foo");
  b.output("selected");
  EXPECT_EQ(error_of([&] { import_bytes(b.bytes()); }),
            "onnx node '/features/foo': an op whose output size depends on the data "
            "(unsupported), with nothing before it that a layer models");
  ModelBuilder shaped;
  shaped.input("x", {1, 3, 8, 8});
  shaped.node("Erf", {"x"}, {"y"}, "/features/erf");
  shaped.output("y");
  EXPECT_EQ(error_of([&] { import_bytes(shaped.bytes()); }),
            "onnx node '/features/erf' (Erf): unsupported op; --allow-unknown counts it as zero "
            "cost");
}

TEST(OnnxBadInput, AllowUnknownKeepsTheOpAsAZeroCostUnmodelledLayer) {
  ModelBuilder b;
  b.input("input", {2, 3, 8, 8}).weight("w", {4, 3, 3, 3}).weight("w2", {6, 4, 1, 1});
  b.node("Conv", {"input", "w"}, {"c"}, "conv");
  b.node("Softplus", {"c"}, {"s"}, "/features/soft");
  b.node("Conv", {"s", "w2"}, {"output"}, "conv2");
  b.output("output");
  const std::string message = error_of([&] { import_bytes(b.bytes()); });
  EXPECT_TRUE(has(message, "onnx node '/features/soft' (Softplus): unsupported op")) << message;

  ImportOptions options;
  options.allow_unknown = true;
  const Network net = import_bytes(b.bytes(), options);
  ASSERT_EQ(net.size(), 4);
  const Layer& soft = net.layer(2);
  EXPECT_EQ(soft.kind, LayerKind::unknown);
  EXPECT_EQ(soft.op, "Softplus");
  EXPECT_EQ(soft.output_shape, (Shape{2, 4, 6, 6}));
  EXPECT_EQ(net.unmodelled_layers(), std::vector<std::string>{"/features/soft (Softplus)"});
  const LayerCost cost = layer_cost(net, 2);
  EXPECT_EQ(cost.flops, 0);
  EXPECT_EQ(cost.bytes(), 0);
  EXPECT_EQ(cost.params, 0);
  EXPECT_EQ(net.layer(3).output_shape, (Shape{2, 6, 6, 6}));
}

TEST(OnnxBadInput, UnknownOpWithoutAShapeIsAnErrorEvenWhenAllowed) {
  ModelBuilder b;
  b.input("input", {2, 3, 8, 8});
  auto& custom = b.node("Mystery", {"input"}, {"output"}, "odd");
  custom.set_domain("com.example");
  b.output("output");
  ImportOptions options;
  options.allow_unknown = true;
  const std::string message = error_of([&] { import_bytes(b.bytes(), options); });
  EXPECT_TRUE(has(message, "onnx node 'odd' (Mystery)") && has(message, "no complete shape"))
      << message;
}

TEST(OnnxBadInput, MalformedGraphsAreErrors) {
  ModelBuilder unsorted;
  unsorted.input("input", {1, 3, 8, 8});
  unsorted.node("Relu", {"hidden"}, {"output"}, "second");
  unsorted.node("Relu", {"input"}, {"hidden"}, "first");
  unsorted.output("output");
  EXPECT_TRUE(has(error_of([&] { import_bytes(unsorted.bytes()); }),
                  "onnx node 'second' (Relu): reads 'hidden', which no earlier node produces"));

  ModelBuilder wrong_type = small_conv_model();
  set_attribute(*wrong_type.proto().mutable_graph()->mutable_node(0), "group", 2.5f);
  EXPECT_TRUE(has(error_of([&] { import_bytes(wrong_type.bytes()); }),
                  "attribute 'group' is FLOAT, expected INT"));

  ModelBuilder bad_channels = small_conv_model();
  bad_channels.proto().mutable_graph()->mutable_initializer(0)->set_dims(1, 5);
  EXPECT_TRUE(has(error_of([&] { import_bytes(bad_channels.bytes()); }),
                  "onnx node 'conv' (Conv): weight 4x5x3x3 with group 1 expects 5 input channels"));

  ModelBuilder no_graph_output = small_conv_model();
  no_graph_output.proto().mutable_graph()->clear_output();
  no_graph_output.output("w");
  EXPECT_TRUE(has(error_of([&] { import_bytes(no_graph_output.bytes()); }),
                  "no graph output depends on the model's inputs"));

  ModelBuilder truncated_data = small_conv_model();
  truncated_data.ints("shape", {1, 2, 3}, {4});
  EXPECT_TRUE(has(error_of([&] { import_bytes(truncated_data.bytes()); }),
                  "initializer 'shape': holds 3 values, its dims need 4"));
}

// ONNX 1.12's shape inference divides by a Conv's or pool's strides (found by fuzzing: an FPE
// for strides [1, 0]): such windows never reach it, and our walk names them.
TEST(OnnxBadInput, ZeroStridesDilationsOrKernelsAreErrorsNotCrashes) {
  for (const char* attribute : {"strides", "dilations"}) {
    SCOPED_TRACE(attribute);
    ModelBuilder zero = small_conv_model();
    set_attribute(*zero.proto().mutable_graph()->mutable_node(0), attribute,
                  std::vector<int64_t>{1, 0});
    const std::string error = error_of([&] { import_bytes(zero.bytes()); });
    EXPECT_TRUE(has(error, "onnx node 'conv' (Conv)")) << error;
  }
  ModelBuilder pool;
  pool.input("input", {1, 3, 8, 8});
  onnx::NodeProto& max = pool.node("MaxPool", {"input"}, {"output"}, "pool");
  set_attribute(max, "kernel_shape", std::vector<int64_t>{2, 0});
  pool.output("output");
  const std::string error = error_of([&] { import_bytes(pool.bytes()); });
  EXPECT_TRUE(has(error, "onnx node 'pool' (MaxPool)")) << error;
}

// ONNX 1.12's shape inference copies a tensor's raw bytes into a vector sized from them (found
// by fuzzing: a SEGV writing to address 0 for an INT64 Constant holding 4 bytes), so a tensor
// whose bytes do not fit its dims and type never reaches it, and our walk names it.
TEST(OnnxBadInput, RawBytesThatDoNotFitTheDimsAreErrorsNotCrashes) {
  const auto int64_with_four_bytes = [](onnx::TensorProto& tensor) {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.set_raw_data(std::string("\0\0\x80?", 4));
  };
  ModelBuilder constant;
  constant.input("input", {1, 4});
  onnx::NodeProto& value = constant.node("Constant", {}, {"one"}, "one");
  onnx::AttributeProto& attr = *value.add_attribute();
  attr.set_name("value");
  attr.set_type(onnx::AttributeProto::TENSOR);
  int64_with_four_bytes(*attr.mutable_t());
  constant.node("Add", {"input", "one"}, {"output"}, "add");
  constant.output("output");
  const std::string constant_error = error_of([&] { import_bytes(constant.bytes()); });
  EXPECT_TRUE(has(constant_error,
                  "onnx node 'one' (Constant): its value: holds 4 bytes, its dims scalar need 8"))
      << constant_error;

  ModelBuilder initializer;
  initializer.input("input", {1, 4});
  initializer.ints("shape", {4, 1});
  int64_with_four_bytes(*initializer.proto().mutable_graph()->mutable_initializer(0));
  initializer.proto().mutable_graph()->mutable_initializer(0)->clear_int64_data();
  initializer.node("Reshape", {"input", "shape"}, {"output"}, "reshape");
  initializer.output("output");
  const std::string initializer_error = error_of([&] { import_bytes(initializer.bytes()); });
  EXPECT_TRUE(has(initializer_error, "initializer 'shape': holds 4 bytes")) << initializer_error;

  // No element, yet bytes: ONNX copies them into an empty vector all the same.
  initializer.proto().mutable_graph()->mutable_initializer(0)->set_dims(0, 0);
  const std::string empty_error = error_of([&] { import_bytes(initializer.bytes()); });
  EXPECT_TRUE(has(empty_error, "holds 4 bytes, its dims 0 need 0")) << empty_error;
}

TEST(OnnxBadInput, OptionsThatDoNotFitTheModelAreErrors) {
  ImportOptions unknown_name;
  unknown_name.input_shapes["picture"] = {1, 3, 8, 8};
  EXPECT_TRUE(has(error_of([&] { import_bytes(small_conv_model().bytes(), unknown_name); }),
                  "--input-shape names 'picture', which is not an input of the model (inputs: "
                  "input)"));

  ModelBuilder two_inputs;
  two_inputs.input("a", {1, 4}).input("b", {1, 4});
  two_inputs.node("Add", {"a", "b"}, {"output"});
  two_inputs.output("output");
  ImportOptions unnamed;
  unnamed.input_shape = Shape{1, 4};
  EXPECT_TRUE(has(error_of([&] { import_bytes(two_inputs.bytes(), unnamed); }),
                  "the model has 2 inputs (a, b)"));

  ImportOptions wrong_rank;
  wrong_rank.input_shape = Shape{1, 3, 8};
  EXPECT_TRUE(has(error_of([&] { import_bytes(small_conv_model().bytes(), wrong_rank); }),
                  "has rank 3, the model's input has rank 4"));

  ImportOptions zero_batch;
  zero_batch.batch = 0;
  EXPECT_TRUE(has(error_of([&] { import_bytes(small_conv_model().bytes(), zero_batch); }),
                  "batch must be positive"));
}

}  // namespace
}  // namespace np
