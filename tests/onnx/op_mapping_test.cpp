// ONNX op semantics mapped to IR layers: attributes, defaults, names and the network itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "model_builder.hpp"
#include "test_support.hpp"

namespace np {
namespace {

using test::error_of;
using test::has;
using test::import_bytes;
using test::ModelBuilder;
using test::set_attribute;

Network conv_with(const std::function<void(onnx::NodeProto&)>& configure,
                  Shape input = {1, 3, 7, 7}, std::vector<int64_t> weight = {4, 3, 4, 4}) {
  ModelBuilder b;
  b.input("input", {input.begin(), input.end()}).weight("w", weight);
  configure(b.node("Conv", {"input", "w"}, {"output"}, "conv"));
  b.output("output");
  return import_bytes(b.bytes());
}

TEST(OnnxOps, ConvAutoPadPutsTheOddPixelWhereTheModeSays) {
  const auto same = [](const char* mode) {
    return conv_with([&](onnx::NodeProto& n) {
      set_attribute(n, "auto_pad", std::string(mode));
      set_attribute(n, "strides", std::vector<int64_t>{2, 2});
    });
  };
  // ceil(7 / 2) = 4 outputs need (4 - 1) * 2 + 4 - 7 = 3 pixels of padding.
  const auto upper = std::get<ConvAttrs>(same("SAME_UPPER").layer(1).attrs);
  EXPECT_EQ(upper.pad_top, 1);
  EXPECT_EQ(upper.pad_bottom, 2);
  EXPECT_EQ(upper.pad_left, 1);
  EXPECT_EQ(upper.pad_right, 2);
  const Network lower = same("SAME_LOWER");
  const auto lower_attrs = std::get<ConvAttrs>(lower.layer(1).attrs);
  EXPECT_EQ(lower_attrs.pad_top, 2);
  EXPECT_EQ(lower_attrs.pad_bottom, 1);
  EXPECT_EQ(lower.layer(1).output_shape, (Shape{1, 4, 4, 4}));
  const Network valid = same("VALID");
  EXPECT_EQ(valid.layer(1).output_shape, (Shape{1, 4, 2, 2}));
}

TEST(OnnxOps, ConvAttributesCarryOver) {
  const Network net = conv_with(
      [](onnx::NodeProto& n) {
        set_attribute(n, "pads", std::vector<int64_t>{0, 1, 2, 3});
        set_attribute(n, "dilations", std::vector<int64_t>{2, 1});
        set_attribute(n, "group", int64_t{2});
      },
      {1, 4, 9, 9}, {6, 2, 3, 3});
  const auto a = std::get<ConvAttrs>(net.layer(1).attrs);
  EXPECT_EQ(a.out_channels, 6);
  EXPECT_EQ(a.groups, 2);
  EXPECT_EQ(a.kernel_h, 3);
  EXPECT_EQ(a.dilation_h, 2);
  EXPECT_EQ(a.dilation_w, 1);
  EXPECT_EQ(a.pad_top, 0);
  EXPECT_EQ(a.pad_left, 1);
  EXPECT_EQ(a.pad_bottom, 2);
  EXPECT_EQ(a.pad_right, 3);
  EXPECT_FALSE(a.bias);
  // height: 9 + 0 + 2 - (2 * 2 + 1) + 1 = 7; width: 9 + 1 + 3 - 3 + 1 = 11
  EXPECT_EQ(net.layer(1).output_shape, (Shape{1, 6, 7, 11}));
}

TEST(OnnxOps, PadInFrontOfConvAndPoolIsFoldedIntoTheirPadding) {
  ModelBuilder b(17);
  b.input("input", {1, 3, 8, 8}).weight("w", {4, 3, 3, 3});
  b.ints("pads", {0, 0, 1, 2, 0, 0, 3, 4});
  b.node("Pad", {"input", "pads"}, {"padded"}, "pad");
  set_attribute(b.node("Conv", {"padded", "w"}, {"c"}, "conv"), "pads",
                std::vector<int64_t>{1, 1, 1, 1});
  auto& pool = b.node("MaxPool", {"padded"}, {"p"}, "pool");
  set_attribute(pool, "kernel_shape", std::vector<int64_t>{2, 2});
  b.output("c").output("p");
  const Network net = import_bytes(b.bytes());
  ASSERT_EQ(net.size(), 3);  // input, conv, pool: no layer for the Pad
  const auto conv = std::get<ConvAttrs>(net.layer(1).attrs);
  EXPECT_EQ(net.layer(1).op, "Pad+Conv");
  EXPECT_EQ(conv.pad_top, 2);
  EXPECT_EQ(conv.pad_left, 3);
  EXPECT_EQ(conv.pad_bottom, 4);
  EXPECT_EQ(conv.pad_right, 5);
  EXPECT_EQ(net.layer(1).output_shape, (Shape{1, 4, 12, 14}));
  EXPECT_EQ(net.layer(2).op, "Pad+MaxPool");
  EXPECT_EQ(net.layer(2).output_shape, (Shape{1, 3, 11, 13}));
  EXPECT_EQ(net.layer(1).inputs, std::vector<int>{0});
}

TEST(OnnxOps, PadReadByAnythingElseIsUnsupported) {
  ModelBuilder b(17);
  b.input("input", {1, 3, 8, 8}).ints("pads", {0, 0, 1, 1, 0, 0, 1, 1});
  b.node("Pad", {"input", "pads"}, {"padded"}, "pad");
  b.node("Relu", {"padded"}, {"output"}, "relu");
  b.output("output");
  const std::string message = error_of([&] { import_bytes(b.bytes()); });
  EXPECT_TRUE(has(message,
                  "onnx node 'pad' (Pad): Pad is modelled only when Conv or pooling "
                  "nodes read it; here a Relu node reads it"))
      << message;
}

TEST(OnnxOps, PoolingAttributes) {
  ModelBuilder b;
  b.input("input", {2, 3, 8, 8});
  auto& avg = b.node("AveragePool", {"input"}, {"a"}, "avg");
  set_attribute(avg, "kernel_shape", std::vector<int64_t>{3, 3});
  set_attribute(avg, "strides", std::vector<int64_t>{2, 2});
  set_attribute(avg, "ceil_mode", int64_t{1});
  set_attribute(avg, "count_include_pad", int64_t{1});
  b.node("GlobalMaxPool", {"a"}, {"g"}, "global");
  set_attribute(b.node("ReduceMean", {"input"}, {"m"}, "mean"), "axes",
                std::vector<int64_t>{-1, -2});
  auto& flat = b.node("ReduceMean", {"input"}, {"squeezed"}, "mean_flat");
  set_attribute(flat, "axes", std::vector<int64_t>{2, 3});
  set_attribute(flat, "keepdims", int64_t{0});
  b.output("g").output("m").output("squeezed");
  const Network net = import_bytes(b.bytes());
  const auto find = [&](const std::string& name) { return net.layer(*net.find(name)); };
  const auto avg_attrs = std::get<PoolAttrs>(find("avg").attrs);
  EXPECT_EQ(avg_attrs.mode, PoolMode::avg);
  EXPECT_TRUE(avg_attrs.ceil_mode);
  EXPECT_TRUE(avg_attrs.count_include_pad);
  EXPECT_EQ(find("avg").output_shape, (Shape{2, 3, 4, 4}));  // ceil(5 / 2) + 1
  EXPECT_TRUE(std::get<PoolAttrs>(find("global").attrs).global);
  EXPECT_EQ(std::get<PoolAttrs>(find("global").attrs).mode, PoolMode::max);
  EXPECT_EQ(find("mean").output_shape, (Shape{2, 3, 1, 1}));
  EXPECT_EQ(find("mean_flat/squeeze").output_shape, (Shape{2, 3}));
}

TEST(OnnxOps, GemmHandlesTransB) {
  for (int64_t trans_b : {0, 1}) {
    ModelBuilder b;
    b.input("input", {4, 20})
        .weight("w", trans_b ? std::vector<int64_t>{7, 20} : std::vector<int64_t>{20, 7});
    b.weight("bias", {7});
    set_attribute(b.node("Gemm", {"input", "w", "bias"}, {"output"}, "fc"), "transB", trans_b);
    b.output("output");
    const Network net = import_bytes(b.bytes());
    EXPECT_EQ(net.layer(1).output_shape, (Shape{4, 7}));
    EXPECT_TRUE(std::get<FcAttrs>(net.layer(1).attrs).bias);
  }
  ModelBuilder wrong;
  wrong.input("input", {4, 21}).weight("w", {20, 7});
  wrong.node("Gemm", {"input", "w"}, {"output"}, "fc");
  wrong.output("output");
  EXPECT_TRUE(has(error_of([&] { import_bytes(wrong.bytes()); }),
                  "onnx node 'fc' (Gemm): the input has 21 features, B 20x7 expects 20"));
}

TEST(OnnxOps, ActivationParameters) {
  ModelBuilder b(11);
  b.input("input", {2, 5}).floats("lo", {-1.5f}, {}).floats("hi", {2.5f}, {});
  b.node("Clip", {"input", "lo", "hi"}, {"c"}, "clip");
  set_attribute(b.node("LeakyRelu", {"c"}, {"l"}, "leaky"), "alpha", 0.25f);
  b.node("HardSigmoid", {"l"}, {"h"}, "hsig");
  b.node("Clip", {"h", "", "hi"}, {"output"}, "upper_only");
  b.output("output");
  const Network net = import_bytes(b.bytes());
  const auto act = [&](int id) { return std::get<ActAttrs>(net.layer(id).attrs); };
  EXPECT_EQ(act(1).function, Activation::clip);
  EXPECT_DOUBLE_EQ(act(1).alpha, -1.5);
  EXPECT_DOUBLE_EQ(act(1).beta, 2.5);
  EXPECT_EQ(act(2).function, Activation::leaky_relu);
  EXPECT_DOUBLE_EQ(act(2).alpha, 0.25);
  EXPECT_EQ(act(3).function, Activation::hard_sigmoid);
  EXPECT_DOUBLE_EQ(act(3).alpha, 0.2);
  EXPECT_LT(act(4).alpha, -1e30);  // no lower bound
  EXPECT_DOUBLE_EQ(act(4).beta, 2.5);

  // A weight-free file drops the bounds' values: the bounds of relu6, torch's only Clip.
  ModelBuilder stripped(13);
  stripped.input("input", {2, 5}).weight("lo", {}).weight("hi", {});
  stripped.node("Clip", {"input", "lo", "hi"}, {"output"}, "clip");
  stripped.output("output");
  const auto guessed = std::get<ActAttrs>(import_bytes(stripped.bytes()).layer(1).attrs);
  EXPECT_DOUBLE_EQ(guessed.alpha, 0.0);
  EXPECT_DOUBLE_EQ(guessed.beta, 6.0);

  ModelBuilder old(6);
  old.input("input", {2, 5});
  auto& clip = old.node("Clip", {"input"}, {"output"}, "relu6");
  set_attribute(clip, "min", 0.0f);
  set_attribute(clip, "max", 6.0f);
  old.output("output");
  const auto relu6 = std::get<ActAttrs>(import_bytes(old.bytes()).layer(1).attrs);
  EXPECT_DOUBLE_EQ(relu6.alpha, 0.0);
  EXPECT_DOUBLE_EQ(relu6.beta, 6.0);
}

TEST(OnnxOps, Opset20GeluAndOpset17LayerNorm) {
  ModelBuilder b(20);
  b.input("input", {2, 7, 32}).weight("scale", {32}).weight("bias", {32});
  b.node("Gelu", {"input"}, {"g"}, "gelu");
  set_attribute(b.node("LayerNormalization", {"g", "scale", "bias"}, {"output"}, "norm"), "epsilon",
                1e-6f);
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(std::get<ActAttrs>(net.layer(1).attrs).function, Activation::gelu);
  const auto norm = std::get<LayerNormAttrs>(net.layer(2).attrs);
  EXPECT_EQ(norm.axis, 2);
  EXPECT_NEAR(norm.epsilon, 1e-6, 1e-9);
  EXPECT_TRUE(norm.affine);
}

TEST(OnnxOps, BatchNormEpsilonOfZeroIsKeptANegativeOneRefused) {
  for (const float epsilon : {0.0F, -1.0F}) {
    ModelBuilder b;
    b.input("input", {1, 3, 4, 4}).weight("s", {3}).weight("b", {3}).weight("m", {3});
    b.weight("v", {3});
    set_attribute(b.node("BatchNormalization", {"input", "s", "b", "m", "v"}, {"output"}, "bn"),
                  "epsilon", epsilon);
    b.output("output");
    if (epsilon == 0.0F) {
      EXPECT_EQ(std::get<BnAttrs>(import_bytes(b.bytes()).layer(1).attrs).epsilon, 0.0);
      continue;
    }
    try {
      import_bytes(b.bytes());
      FAIL() << "epsilon " << epsilon << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'bn'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("epsilon -1 is negative"), std::string::npos)
          << e.what();
    }
  }
}

TEST(OnnxOps, SoftmaxAxisDefaultDependsOnTheOpset) {
  for (int64_t opset : {11, 13}) {
    ModelBuilder b(opset);
    b.input("input", {2, 3, 4});
    b.node("Softmax", {"input"}, {"output"}, "softmax");
    b.output("output");
    const auto a = std::get<SoftmaxAttrs>(import_bytes(b.bytes()).layer(1).attrs);
    EXPECT_EQ(a.axis, opset < 13 ? 1 : 2);
  }
}

TEST(OnnxOps, SplitBecomesOneSliceLayerPerOutput) {
  ModelBuilder b;
  b.input("input", {2, 8, 4, 4}).ints("sizes", {2, 3, 3});
  set_attribute(b.node("Split", {"input", "sizes"}, {"a", "b", "c"}, "split"), "axis", int64_t{1});
  set_attribute(b.node("Concat", {"c", "a", "b"}, {"output"}, "concat"), "axis", int64_t{-3});
  b.output("output");
  const Network net = import_bytes(b.bytes());
  ASSERT_EQ(net.size(), 5);
  const std::vector<std::pair<int64_t, int64_t>> ranges{{0, 2}, {2, 5}, {5, 8}};
  for (int k = 0; k < 3; ++k) {
    const Layer& slice = net.layer(k + 1);
    EXPECT_EQ(slice.name, "split/" + std::to_string(k));
    const auto a = std::get<SliceAttrs>(slice.attrs);
    EXPECT_EQ(a.axis, 1);
    EXPECT_EQ(a.start, ranges[static_cast<size_t>(k)].first);
    EXPECT_EQ(a.end, ranges[static_cast<size_t>(k)].second);
  }
  EXPECT_EQ(std::get<ConcatAttrs>(net.layer(4).attrs).axis, 1);
  EXPECT_EQ(net.layer(4).output_shape, (Shape{2, 8, 4, 4}));
}

TEST(OnnxOps, SqueezeUnsqueezeAndTransposeOfDimZeroWorkPerReplica) {
  ModelBuilder b;
  b.input("input", {3, 5, 1, 1}).ints("axes", {2, 3}).ints("front", {0}).ints("mid", {1});
  b.node("Squeeze", {"input", "axes"}, {"s"}, "squeeze");
  b.node("Unsqueeze", {"s", "mid"}, {"output"}, "unsqueeze");
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(std::get<ReshapeAttrs>(net.layer(1).attrs).sample_shape, (Shape{5}));
  EXPECT_EQ(net.layer(2).output_shape, (Shape{3, 1, 5}));

  ModelBuilder front;
  front.input("input", {3, 5}).ints("front", {0});
  front.node("Unsqueeze", {"input", "front"}, {"output"}, "unsqueeze");
  front.output("output");
  // A dim in front of dim 0 (a detector stacking its list of images) works per replica of the
  // file's batch: at batch 6, two replicas of 1x3x5.
  const Network stacked = import_bytes(front.bytes());
  EXPECT_EQ(stacked.layer(1).output_shape, (Shape{1, 3, 5}));
  EXPECT_EQ(std::get<ReshapeAttrs>(stacked.layer(1).attrs).leading_in, 3);
  ImportOptions two_replicas;
  two_replicas.batch = 6;
  EXPECT_EQ(import_bytes(front.bytes(), two_replicas).layer(1).output_shape, (Shape{2, 3, 5}));

  ModelBuilder transpose;
  transpose.input("input", {3, 5, 2});
  set_attribute(transpose.node("Transpose", {"input"}, {"output"}, "t"), "perm",
                std::vector<int64_t>{1, 0, 2});
  transpose.output("output");
  // A transpose that moves dim 0 (attention's heads in front) works per replica of the file's
  // batch: at batch 6, two replicas of 5x3x2.
  const Network moved = import_bytes(transpose.bytes());
  EXPECT_EQ(std::get<TransposeAttrs>(moved.layer(1).attrs).leading_in, 3);
  EXPECT_EQ(moved.layer(1).output_shape, (Shape{5, 3, 2}));
  ImportOptions six;
  six.batch = 6;
  EXPECT_EQ(import_bytes(transpose.bytes(), six).layer(1).output_shape, (Shape{10, 3, 2}));
}

// A detector's input: one C x H x W image, normalised and stacked into a batch of one by the
// graph. It has no batch dim: the network runs one image, at batch 1, and --batch is refused.
TEST(OnnxOps, AnImageStackedByTheGraphHasNoBatchDim) {
  ModelBuilder b;
  b.input("image", {3, 8, 8}).floats("mean", {0.5F, 0.5F, 0.5F}, {3, 1, 1}).ints("front", {0});
  b.weight("w", {4, 3, 3, 3});
  b.node("Sub", {"image", "mean"}, {"normalised"}, "normalise");
  b.node("Unsqueeze", {"normalised", "front"}, {"stacked"}, "stack");
  b.node("Conv", {"stacked", "w"}, {"output"}, "conv");
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(net.batch(), 1);
  EXPECT_FALSE(net.has_batch_dim());
  EXPECT_EQ(net.layer(0).output_shape, (Shape{3, 8, 8}));
  EXPECT_EQ(net.layers().back().output_shape, (Shape{1, 4, 6, 6}));
  ImportOptions two;
  two.batch = 2;
  try {
    import_bytes(b.bytes(), two);
    FAIL() << "--batch 2 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'stack' stacks the one image"), std::string::npos)
        << e.what();
  }
  ImportOptions one;
  one.batch = 1;
  EXPECT_FALSE(import_bytes(b.bytes(), one).has_batch_dim());
}

TEST(OnnxOps, LayerNamesFallBackToOutputsAndAreUnique) {
  ModelBuilder b;
  b.input("input", {1, 4});
  b.node("Relu", {"input"}, {"first"});
  b.node("Relu", {"first"}, {"second"}, "block");
  b.node("Relu", {"second"}, {"output"}, "block");
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(net.layer(0).name, "input");
  EXPECT_EQ(net.layer(1).name, "first");
  EXPECT_EQ(net.layer(2).name, "block");
  EXPECT_EQ(net.layer(3).name, "block_2");
}

TEST(OnnxOps, NetworkNameBatchAndDataType) {
  ModelBuilder named(17, "my_net");
  named.input("input", {5, 4}, onnx::TensorProto::FLOAT16);
  named.node("Relu", {"input"}, {"output"});
  named.output("output");
  const Network net = import_bytes(named.bytes());
  EXPECT_EQ(net.name(), "my_net");
  EXPECT_EQ(net.batch(), 5);
  EXPECT_EQ(net.dtype(), DataType::fp16);

  ModelBuilder torch_default(17, "torch_jit");
  torch_default.input("input", {1, 4});
  torch_default.node("Relu", {"input"}, {"output"});
  torch_default.output("output");
  const auto dir = std::filesystem::temp_directory_path() / "np_test_onnx_ops";
  std::filesystem::create_directories(dir);
  const auto path = dir / "custom_resnet.onnx";
  std::ofstream(path, std::ios::binary) << torch_default.bytes();
  const Network from_file = import_onnx(path.string(), {});
  EXPECT_EQ(from_file.name(), "custom_resnet");
  EXPECT_EQ(from_file.dtype(), DataType::fp32);
}

TEST(OnnxOps, InputShapeOverridesTheFileShape) {
  ModelBuilder b;
  b.input("input", {1, 3, 8, 8}).weight("w", {4, 3, 3, 3});
  b.node("Conv", {"input", "w"}, {"output"}, "conv");
  b.output("output");
  ImportOptions options;
  options.input_shape = Shape{4, 3, 20, 10};
  const Network net = import_bytes(b.bytes(), options);
  EXPECT_EQ(net.batch(), 4);
  EXPECT_EQ(net.layer(1).output_shape, (Shape{4, 4, 18, 8}));
  options.batch = 2;
  EXPECT_EQ(import_bytes(b.bytes(), options).layer(1).output_shape, (Shape{2, 4, 18, 8}));
}

TEST(OnnxOps, LayersNoOutputDependsOnArePruned) {
  ModelBuilder b;
  b.input("input", {1, 4});
  b.node("Relu", {"input"}, {"output"}, "used");
  b.node("Sigmoid", {"input"}, {"dead"}, "unused");
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(net.size(), 2);
  EXPECT_FALSE(net.find("unused"));
}

}  // namespace
}  // namespace np

namespace np {
namespace {

// PyTorch drops a ceil_mode window that would start in the end padding; ONNX 1.12's shape
// inference keeps it. The import follows PyTorch and does not report ONNX's shapes after it.
TEST(OnnxOps, CeilModePoolFollowsPyTorch) {
  ModelBuilder b;
  b.input("input", {1, 2, 5, 5}).weight("w", {4, 2, 3, 3});
  auto& pool = b.node("MaxPool", {"input"}, {"p"}, "pool");
  set_attribute(pool, "kernel_shape", std::vector<int64_t>{2, 2});
  set_attribute(pool, "strides", std::vector<int64_t>{2, 2});
  set_attribute(pool, "pads", std::vector<int64_t>{1, 1, 1, 1});
  set_attribute(pool, "ceil_mode", int64_t{1});
  set_attribute(b.node("Conv", {"p", "w"}, {"output"}, "conv"), "pads",
                std::vector<int64_t>{1, 1, 1, 1});
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(net.layer(1).output_shape, (Shape{1, 2, 3, 3}));  // torch.nn.MaxPool2d gives 3x3
  EXPECT_EQ(net.layer(2).output_shape, (Shape{1, 4, 3, 3}));
}

}  // namespace
}  // namespace np
