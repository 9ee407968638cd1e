// Writing a network and reading it back gives the same network: built here with every kind
// and non-default attribute, and every network of the zoo.
#include <gtest/gtest.h>

#include <filesystem>

#include "netjson/network_compare.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/network_json.hpp"

namespace np {
namespace {

class NetBuilder {
 public:
  explicit NetBuilder(Network& net) : net_(net) {}
  int add(const std::string& name, LayerKind kind, std::vector<int> inputs, LayerAttrs attrs,
          std::string op = "") {
    return net_.add({name, kind, std::move(op), std::move(inputs), std::move(attrs), {}});
  }

 private:
  Network& net_;
};

ActAttrs act(const std::string& name, std::optional<double> alpha = std::nullopt,
             std::optional<double> beta = std::nullopt) {
  ActAttrs a = make_activation(name);
  if (alpha) a.alpha = *alpha;
  if (beta) a.beta = *beta;
  return a;
}

// Every layer kind, every attribute away from its default at least once, several inputs,
// a layer with no inputs, wiring that is not "the previous layer", and op names.
Network network_with_every_kind() {
  Network net("every \"kind\" \u00fc", 3, DataType::fp16);
  NetBuilder b(net);
  const int data = b.add("data", LayerKind::input, {}, InputAttrs{{3, 17, 19}}, "Input");
  ConvAttrs c1;
  c1.out_channels = 8;
  c1.kernel_h = 3;
  c1.kernel_w = 5;
  c1.stride_h = 2;
  c1.pad_top = 1;
  c1.pad_left = 2;
  c1.pad_right = 1;
  c1.dilation_h = 2;
  c1.bias = false;
  const int conv1 = b.add("conv1", LayerKind::conv, {data}, c1, "Conv");
  ConvAttrs c2;
  c2.out_channels = 4;
  c2.groups = 2;
  const int conv2 = b.add("conv2", LayerKind::conv, {conv1}, c2);
  ConvAttrs c3;
  c3.out_channels = 2;
  c3.kernel_h = c3.kernel_w = 3;
  c3.pad_top = c3.pad_bottom = 1;
  c3.pad_left = c3.pad_right = 2;
  c3.stride_h = c3.stride_w = 3;
  c3.dilation_h = c3.dilation_w = 2;
  b.add("conv3_symmetric_pads", LayerKind::conv, {data}, c3);
  const int bn = b.add("bn", LayerKind::bn, {conv2}, BnAttrs{1e-3});
  const int leaky = b.add("leaky", LayerKind::act, {bn}, act("leaky_relu", 0.2));
  PoolAttrs p1;
  p1.kernel_h = p1.kernel_w = 3;
  p1.stride_h = p1.stride_w = 2;
  p1.pad_bottom = p1.pad_right = 1;
  p1.ceil_mode = true;
  const int pool_max = b.add("pool_max", LayerKind::pool, {leaky}, p1, "MaxPool");
  PoolAttrs p2;
  p2.mode = PoolMode::avg;
  p2.kernel_h = 2;
  p2.kernel_w = 3;
  p2.pad_top = p2.pad_left = p2.pad_bottom = p2.pad_right = 1;
  p2.count_include_pad = true;
  const int pool_avg = b.add("pool_avg", LayerKind::pool, {pool_max}, p2);
  PoolAttrs global;
  global.mode = PoolMode::max;
  global.global = true;
  b.add("global_max", LayerKind::pool, {conv2}, global);
  PoolAttrs global_with_window = global;
  global_with_window.mode = PoolMode::avg;
  global_with_window.kernel_h = 7;
  global_with_window.stride_w = 2;
  b.add("global_avg_kept_window", LayerKind::pool, {conv2}, global_with_window);
  LrnAttrs lrn_attrs{3, 2e-4, 0.5, 2.0};
  const int lrn = b.add("lrn", LayerKind::lrn, {pool_avg}, lrn_attrs);
  const int gelu = b.add("gelu", LayerKind::act, {pool_avg}, act("gelu"));
  const int concat = b.add("concat", LayerKind::concat, {lrn, gelu}, ConcatAttrs{1, {}});
  const int add = b.add("add", LayerKind::add, {concat}, EltwiseAttrs{{{8, 1, 1}}});
  const int mul = b.add("mul", LayerKind::mul, {add, concat}, EltwiseAttrs{});
  const int max = b.add("max", LayerKind::max, {mul}, EltwiseAttrs{{{1, 5, 9}, {9}}});
  const int slice = b.add("slice", LayerKind::slice, {max}, SliceAttrs{1, 0, 6, 2});
  const int slice2 = b.add("slice_negative", LayerKind::slice, {slice}, SliceAttrs{-1, -4, 100, 1});
  const int transpose =
      b.add("transpose", LayerKind::transpose, {slice2}, TransposeAttrs{{0, 2, 3, 1}});
  const int ln =
      b.add("layernorm", LayerKind::layernorm, {transpose}, LayerNormAttrs{-2, 1e-6, false});
  const int ln2 = b.add("layernorm_default", LayerKind::layernorm, {ln}, LayerNormAttrs{});
  const int softmax = b.add("softmax", LayerKind::softmax, {ln2}, SoftmaxAttrs{2});
  int last = b.add("softmax_default", LayerKind::softmax, {softmax}, SoftmaxAttrs{});
  last = b.add("clip", LayerKind::act, {last}, act("clip", -1.0, 4.0));
  last = b.add("relu6", LayerKind::act, {last}, act("relu6"));
  last = b.add("hard_sigmoid", LayerKind::act, {last}, act("hard_sigmoid"));
  last = b.add("hard_sigmoid_custom", LayerKind::act, {last}, act("hard_sigmoid", 1.0 / 6, 0.5));
  for (const char* fn : {"hard_swish", "silu", "tanh", "sigmoid", "relu"}) {
    last = b.add(std::string("act_") + fn, LayerKind::act, {last}, act(fn));
  }
  last = b.add("reshape", LayerKind::reshape, {last}, ReshapeAttrs{{-1, 4}});
  last = b.add("flatten", LayerKind::flatten, {last}, NoAttrs{});
  last = b.add("dropout", LayerKind::dropout, {last}, NoAttrs{});
  last = b.add("identity", LayerKind::identity, {last}, NoAttrs{});
  last = b.add("cast", LayerKind::cast, {last}, NoAttrs{}, "Cast");
  b.add("fc", LayerKind::fc, {last}, FcAttrs{10, false});
  b.add("mystery", LayerKind::unknown, {}, UnknownAttrs{{7}}, "Mystery");
  const int aux = b.add("aux", LayerKind::input, {}, InputAttrs{{5}});
  b.add("fc_aux", LayerKind::fc, {aux}, FcAttrs{6, true});
  net.infer_shapes();
  return net;
}

TEST(NetworkJsonRoundTrip, EveryKindAndAttributeSurvives) {
  const Network original = network_with_every_kind();
  const std::string text = write_network_json(original);
  const Network read = parse_network_json(text, "every.json", {});
  test::expect_same_network(original, read);
  // Writing what was read gives the same text: nothing depends on the reader's choices.
  EXPECT_EQ(text, write_network_json(read));
}

TEST(NetworkJsonRoundTrip, WriterLeavesOutDefaultsAndThePreviousLayerAsInput) {
  Network net("small", 2);
  net.add({"data", LayerKind::input, "", {}, InputAttrs{{3, 8, 8}}, {}});
  ConvAttrs conv;
  conv.out_channels = 4;
  conv.kernel_h = conv.kernel_w = 3;
  net.add({"conv", LayerKind::conv, "", {0}, conv, {}});
  net.add({"relu", LayerKind::act, "", {1}, make_activation("relu"), {}});
  net.add({"sum", LayerKind::add, "", {1, 2}, EltwiseAttrs{}, {}});
  net.infer_shapes();
  const std::string text = write_network_json(net);
  EXPECT_NE(text.find(R"({"name": "conv", "kind": "conv", "out_channels": 4, "kernel": 3})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"({"name": "relu", "kind": "act", "function": "relu"})"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"({"name": "sum", "kind": "add", "inputs": ["conv", "relu"]})"),
            std::string::npos)
      << text;
}

// Layers that move dim 0 (attention heads, windows) work per replica of the file's batch.
TEST(NetworkJsonRoundTrip, LayersThatMoveDimZeroSurviveAndFollowTheBatch) {
  Network net("replicas", 3);
  NetBuilder b(net);
  const int tokens = b.add("tokens", LayerKind::input, {}, InputAttrs{{5}});
  const int fc = b.add("fc", LayerKind::fc, {tokens}, FcAttrs{6, true});
  const int heads = b.add("heads", LayerKind::transpose, {fc}, TransposeAttrs{{1, 0}, 3});
  b.add("windows", LayerKind::reshape, {heads}, ReshapeAttrs{{2, 9}, 6});
  net.infer_shapes();
  EXPECT_EQ(net.layers().back().output_shape, (Shape{2, 9}));
  const std::string text = write_network_json(net);
  EXPECT_NE(text.find(R"("perm": [1, 0], "leading_in": 3)"), std::string::npos) << text;
  const Network read = parse_network_json(text, "replicas.json", {});
  test::expect_same_network(net, read);
  EXPECT_EQ(text, write_network_json(read));
  ImportOptions options;
  options.batch = 12;  // four replicas of the file's batch of 3
  const Network batched = parse_network_json(text, "replicas.json", options);
  EXPECT_EQ(batched.layer(2).output_shape, (Shape{24, 3}));
  EXPECT_EQ(batched.layers().back().output_shape, (Shape{8, 9}));
}

// Attention's products and ViT's class token.
TEST(NetworkJsonRoundTrip, MatmulAndConcatConstantsSurvive) {
  Network net("attention", 2);
  NetBuilder b(net);
  const int q = b.add("q", LayerKind::input, {}, InputAttrs{{4, 6, 8}});
  const int k = b.add("k", LayerKind::input, {}, InputAttrs{{4, 6, 8}});
  const int scores = b.add("scores", LayerKind::matmul, {q, k}, MatmulAttrs{false, true, {}});
  const int stacked =
      b.add("stacked", LayerKind::matmul, {scores}, MatmulAttrs{true, false, Shape{6, 3}});
  b.add("cls", LayerKind::concat, {stacked}, ConcatAttrs{2, {Shape{1, 4, 1, 3}}});
  net.infer_shapes();
  EXPECT_EQ(net.layers().back().output_shape, (Shape{2, 4, 7, 3}));
  const std::string text = write_network_json(net);
  EXPECT_NE(text.find(R"("kind": "matmul", "inputs": ["q", "k"], "transpose_b": true)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("constant_operands": [[1, 4, 1, 3]])"), std::string::npos) << text;
  const Network read = parse_network_json(text, "attention.json", {});
  test::expect_same_network(net, read);
  EXPECT_EQ(text, write_network_json(read));
}

// A segmentation head (bilinear to a size) and an FPN path (nearest by a scale).
TEST(NetworkJsonRoundTrip, ResizeBySizeAndByScaleSurvives) {
  Network net("heads", 2);
  NetBuilder b(net);
  const int x = b.add("x", LayerKind::input, {}, InputAttrs{{21, 65, 65}});
  ResizeAttrs to_size;
  to_size.mode = ResizeMode::linear;
  to_size.out_height = 520;
  to_size.out_width = 513;
  const int head = b.add("head", LayerKind::resize, {x}, to_size);
  ResizeAttrs by_scale;
  by_scale.scale_h = 0.5;
  by_scale.scale_w = 0.5;
  b.add("fpn", LayerKind::resize, {head}, by_scale);
  net.infer_shapes();
  EXPECT_EQ(net.layers().back().output_shape, (Shape{2, 21, 260, 256}));
  const std::string text = write_network_json(net);
  EXPECT_NE(text.find(R"("kind": "resize", "mode": "linear", "size": [520, 513])"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("mode": "nearest", "scale": 0.5)"), std::string::npos) << text;
  const Network read = parse_network_json(text, "heads.json", {});
  test::expect_same_network(net, read);
  EXPECT_EQ(text, write_network_json(read));
}

// A detector's one image: no batch dim, batch 1 for good.
TEST(NetworkJsonRoundTrip, AnInputWithoutABatchDimSurvivesAndRefusesAnotherBatch) {
  Network net("detector", 1);
  NetBuilder b(net);
  const int image = b.add("image", LayerKind::input, {}, InputAttrs{{3, 32, 32}, false});
  b.add("stacked", LayerKind::reshape, {image}, ReshapeAttrs{{1, 3, 32, 32}, 3});
  net.infer_shapes();
  EXPECT_FALSE(net.has_batch_dim());
  EXPECT_EQ(net.layer(0).output_shape, (Shape{3, 32, 32}));
  EXPECT_EQ(net.layers().back().output_shape, (Shape{1, 3, 32, 32}));
  const std::string text = write_network_json(net);
  EXPECT_NE(text.find(R"("shape": [3, 32, 32], "batched": false)"), std::string::npos) << text;
  const Network read = parse_network_json(text, "detector.json", {});
  test::expect_same_network(net, read);
  EXPECT_FALSE(read.has_batch_dim());
  ImportOptions two;
  two.batch = 2;
  try {
    parse_network_json(text, "detector.json", two);
    FAIL() << "batch 2 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no batch dim"), std::string::npos) << e.what();
  }
  Network copy = read;
  EXPECT_THROW(copy.set_batch(4), Error);
}

TEST(NetworkJsonRoundTrip, BatchAndInputOverridesApplyToWrittenFiles) {
  const Network original = network_with_every_kind();
  ImportOptions options;
  options.batch = 7;
  const Network read = parse_network_json(write_network_json(original), "every.json", options);
  EXPECT_EQ(read.batch(), 7);
  EXPECT_EQ(read.layer(0).output_shape, (Shape{7, 3, 17, 19}));
}

TEST(NetworkJsonRoundTrip, WritingAMismatchedAttributeIsAnErrorNamingTheLayer) {
  Network net("bad", 1);
  net.add({"data", LayerKind::input, "", {}, InputAttrs{{3}}, {}});
  net.add({"broken", LayerKind::conv, "", {0}, FcAttrs{3, true}, {}});
  try {
    write_network_json(net);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'broken' (conv)"), std::string::npos) << e.what();
  }
}

TEST(NetworkJsonRoundTrip, EveryZooNetworkSurvives) {
  namespace fs = std::filesystem;
  const fs::path zoo = fs::path(NP_SOURCE_DIR) / "zoo";
  std::vector<fs::path> files;
  if (fs::is_directory(zoo)) {
    for (const auto& entry : fs::recursive_directory_iterator(zoo)) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".json" || ext == ".onnx") &&
          entry.path().filename().string().rfind('_', 0) != 0) {
        files.push_back(entry.path());
      }
    }
  }
  if (files.empty()) GTEST_SKIP() << "no networks in " << zoo;
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    try {
      const Network original = load_network(file.string(), {});
      const Network read = parse_network_json(write_network_json(original), file.string(), {});
      test::expect_same_network(original, read);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

}  // namespace
}  // namespace np
