// Importing Paleo's JSON nets: TensorFlow padding, NHWC -> NCHW, Blocks, every type, errors.
#include <gtest/gtest.h>

#include "neuralpower/cost.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/paleo_import.hpp"

namespace np {
namespace {

std::string fixture(const std::string& name) {
  return std::string(NP_SOURCE_DIR) + "/tests/netjson/fixtures/" + name;
}

const Layer& layer_named(const Network& net, const std::string& name) {
  const auto id = net.find(name);
  if (!id) throw Error("no layer '" + name + "'");
  return net.layer(*id);
}

std::string error_of(const std::string& text, const ImportOptions& options = {}) {
  try {
    parse_paleo_json(text, "net.json", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::string import_error_of(const std::string& file, const ImportOptions& options = {}) {
  try {
    import_paleo(fixture(file), options);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "message: " << (text)

struct Pads {
  int64_t top, left, bottom, right;
  bool operator==(const Pads&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Pads& p) {
  return out << p.top << "," << p.left << "," << p.bottom << "," << p.right;
}

Pads conv_pads(const Network& net, const std::string& name) {
  const auto& a = std::get<ConvAttrs>(layer_named(net, name).attrs);
  return {a.pad_top, a.pad_left, a.pad_bottom, a.pad_right};
}

Pads pool_pads(const Network& net, const std::string& name) {
  const auto& a = std::get<PoolAttrs>(layer_named(net, name).attrs);
  return {a.pad_top, a.pad_left, a.pad_bottom, a.pad_right};
}

// Expected values from TensorFlow's rule, worked by hand: out = ceil(in / s), total pad =
// max((out - 1) * s + k - in, 0), the odd element at the bottom/right; VALID: floor((in - k) / s)
// + 1.
TEST(PaleoImport, SameAndValidPaddingFollowTensorFlow) {
  const Network net = import_paleo(fixture("paleo_tf_padding.json"), {});
  EXPECT_EQ(net.batch(), 2);
  EXPECT_EQ(layer_named(net, "data").output_shape, (Shape{2, 3, 224, 224}));
  // 224, k=11, s=4: SAME -> 56 (pad 7 = 3 + 4), VALID -> 54.
  EXPECT_EQ(layer_named(net, "conv_same_k11_s4").output_shape, (Shape{2, 8, 56, 56}));
  EXPECT_EQ(conv_pads(net, "conv_same_k11_s4"), (Pads{3, 3, 4, 4}));
  EXPECT_EQ(layer_named(net, "conv_valid_k11_s4").output_shape, (Shape{2, 8, 54, 54}));
  EXPECT_EQ(conv_pads(net, "conv_valid_k11_s4"), (Pads{0, 0, 0, 0}));
  // ResNet's stem: 224, k=7, s=2 SAME -> 112 with pads 2 and 3.
  EXPECT_EQ(layer_named(net, "conv_same_k7_s2").output_shape, (Shape{2, 8, 112, 112}));
  EXPECT_EQ(conv_pads(net, "conv_same_k7_s2"), (Pads{2, 2, 3, 3}));
  // 56, k=3, s=2 -> 28, total pad 1: all of it at the bottom and right.
  EXPECT_EQ(layer_named(net, "conv_same_k3_s2").output_shape, (Shape{2, 4, 28, 28}));
  EXPECT_EQ(conv_pads(net, "conv_same_k3_s2"), (Pads{0, 0, 1, 1}));
  // An even kernel at stride 1 pads one element, at the end.
  EXPECT_EQ(layer_named(net, "conv_same_k2_s1").output_shape, (Shape{2, 4, 56, 56}));
  EXPECT_EQ(conv_pads(net, "conv_same_k2_s1"), (Pads{0, 0, 1, 1}));
  // 54, k=1, s=2 -> 27 needs no padding ((27 - 1) * 2 + 1 = 53 < 54): clamped at 0.
  EXPECT_EQ(layer_named(net, "conv_same_k1_s2").output_shape, (Shape{2, 4, 27, 27}));
  EXPECT_EQ(conv_pads(net, "conv_same_k1_s2"), (Pads{0, 0, 0, 0}));
  // A 1x7 kernel pads only the width, 3 on each side.
  EXPECT_EQ(layer_named(net, "conv_same_1x7").output_shape, (Shape{2, 4, 56, 56}));
  EXPECT_EQ(conv_pads(net, "conv_same_1x7"), (Pads{0, 3, 0, 3}));
  // Paleo's explicit [pad_h, pad_w] is symmetric: 56 + 2 - 3 + 1 = 56, 56 + 4 - 3 + 1 = 58.
  EXPECT_EQ(layer_named(net, "conv_explicit_pads").output_shape, (Shape{2, 4, 56, 58}));
  EXPECT_EQ(conv_pads(net, "conv_explicit_pads"), (Pads{1, 2, 1, 2}));
  // Pooling follows the same rule.
  EXPECT_EQ(layer_named(net, "pool_same_k3_s2").output_shape, (Shape{2, 8, 28, 28}));
  EXPECT_EQ(pool_pads(net, "pool_same_k3_s2"), (Pads{0, 0, 1, 1}));
  EXPECT_EQ(layer_named(net, "avgpool_same_k3_s1").output_shape, (Shape{2, 8, 54, 54}));
  EXPECT_EQ(pool_pads(net, "avgpool_same_k3_s1"), (Pads{1, 1, 1, 1}));
  EXPECT_FALSE(std::get<PoolAttrs>(layer_named(net, "avgpool_same_k3_s1").attrs).count_include_pad);
  EXPECT_EQ(layer_named(net, "pool_valid_k3_s2").output_shape, (Shape{2, 8, 26, 26}));
}

TEST(PaleoImport, ConvolutionsGetPaleosImplicitReluUnlessTheFileSaysNull) {
  const Network net = import_paleo(fixture("paleo_tf_padding.json"), {});
  // Every conv of this file has "activation_fn": null: no layer is added.
  EXPECT_EQ(net.size(), 12);
  const Network all = import_paleo(fixture("paleo_all_types.json"), {});
  const Layer& relu = layer_named(all, "conv_default_relu/relu");
  EXPECT_EQ(relu.kind, LayerKind::act);
  EXPECT_EQ(std::get<ActAttrs>(relu.attrs).function, Activation::relu);
  EXPECT_EQ(relu.op, "Convolution.activation_fn");
  EXPECT_EQ(all.layer(relu.inputs[0]).name, "conv_default_relu");
  EXPECT_FALSE(all.find("conv_linear/relu").has_value());
  EXPECT_EQ(std::get<ActAttrs>(layer_named(all, "conv_tanh/tanh").attrs).function,
            Activation::tanh);
  // The add reads the conv's activation, not the bare conv.
  const Layer& add = layer_named(all, "add");
  EXPECT_EQ(all.layer(add.inputs[0]).name, "conv_linear");
  EXPECT_EQ(all.layer(add.inputs[1]).name, "conv_tanh/tanh");
}

TEST(PaleoImport, EveryTypeMapsToTheIr) {
  const Network net = import_paleo(fixture("paleo_all_types.json"), {});
  EXPECT_EQ(net.name(), "Every Paleo type");
  std::vector<std::string> rows;
  for (const auto& layer : net.layers()) {
    rows.push_back(layer.name + " " + std::string(to_string(layer.kind)) + " " +
                   shape_to_string(layer.output_shape));
  }
  const std::vector<std::string> expected{
      "data input 8x3x32x32",
      "conv_default_relu conv 8x16x32x32",  // filter [5, 5, -1, 16]: c_in taken from the input
      "conv_default_relu/relu act 8x16x32x32",
      "norm lrn 8x16x32x32",
      "pool pool 8x16x16x16",
      "bn bn 8x16x16x16",
      "relu act 8x16x16x16",
      "conv_linear conv 8x16x16x16",
      "conv_tanh conv 8x16x16x16",
      "conv_tanh/tanh act 8x16x16x16",
      "add add 8x16x16x16",
      "cat concat 8x32x16x16",  // NHWC dim 3 is the channel axis
      "avg pool 8x32x8x8",
      "fc1/flatten flatten 8x2048",  // Paleo flattens a 4-d input before InnerProduct
      "fc1 fc 8x64",
      "drop dropout 8x64",
      "fc2 fc 8x10",
      "gate act 8x10",
      "reshape reshape 8x10x1x1",  // [-1, 1, 1, 10] in NHWC
      "softmax softmax 8x10x1x1",
  };
  EXPECT_EQ(rows, expected);
  EXPECT_EQ(std::get<ConvAttrs>(layer_named(net, "conv_default_relu").attrs).pad_top, 2);
  EXPECT_EQ(std::get<ConcatAttrs>(layer_named(net, "cat").attrs).axis, 1);
  EXPECT_EQ(std::get<SoftmaxAttrs>(layer_named(net, "softmax").attrs).axis, 1);
  EXPECT_EQ(std::get<ActAttrs>(layer_named(net, "gate").attrs).function, Activation::sigmoid);
  EXPECT_EQ(std::get<PoolAttrs>(layer_named(net, "avg").attrs).mode, PoolMode::avg);
  EXPECT_EQ(std::get<PoolAttrs>(layer_named(net, "pool").attrs).mode, PoolMode::max);
  EXPECT_EQ(layer_named(net, "conv_default_relu").op, "Convolution");
}

TEST(PaleoImport, BlocksResolveNamesEndpointsAndInheritedParents) {
  const Network net = import_paleo(fixture("paleo_blocks.json"), {});
  // A Block's layers inherit its parents when they list none.
  const Layer& branch0 = layer_named(net, "Mixed_a/Branch_0/Conv2d_0a_1x1");
  EXPECT_EQ(net.layer(branch0.inputs[0]).name, "data");
  // normalizer_fn batch_norm: conv without bias, then batch norm, then the relu.
  EXPECT_FALSE(std::get<ConvAttrs>(branch0.attrs).bias);
  EXPECT_EQ(layer_named(net, "Mixed_a/Branch_0/Conv2d_0a_1x1/batch_norm").kind, LayerKind::bn);
  const Layer& relu = layer_named(net, "Mixed_a/Branch_0/Conv2d_0a_1x1/relu");
  EXPECT_EQ(net.layer(relu.inputs[0]).name, "Mixed_a/Branch_0/Conv2d_0a_1x1/batch_norm");
  // Names inside a Block are relative to it.
  const Layer& b1 = layer_named(net, "Mixed_a/Branch_1/Conv2d_0b_5x5");
  EXPECT_EQ(net.layer(b1.inputs[0]).name, "Mixed_a/Branch_1/Conv2d_0a_1x1/relu");
  EXPECT_EQ(std::get<ConvAttrs>(b1.attrs).pad_top, 2);
  // 64 + 64 + 32 channels.
  EXPECT_EQ(layer_named(net, "Mixed_a/concat").output_shape, (Shape{4, 160, 35, 35}));
  // "Mixed_b" names its parent by full path; its sum lists a sibling written after it.
  const Layer& skip = layer_named(net, "Mixed_b/skip");
  EXPECT_EQ(net.layer(skip.inputs[0]).name, "Mixed_a/concat");
  const Layer& sum = layer_named(net, "Mixed_b/sum");
  EXPECT_EQ(net.layer(sum.inputs[0]).name, "Mixed_b/reduce/relu");
  EXPECT_EQ(net.layer(sum.inputs[1]).name, "Mixed_b/skip");
  // A parent naming a Block reads the Block's endpoint.
  const Layer& grid = layer_named(net, "reduce_grid");
  EXPECT_EQ(net.layer(grid.inputs[0]).name, "Mixed_b/sum");
  EXPECT_EQ(grid.output_shape, (Shape{4, 192, 17, 17}));
  // The softmax, first in the file, is sorted after its parents.
  EXPECT_EQ(net.layers().back().name, "softmax");
  EXPECT_EQ(net.layers().back().output_shape, (Shape{4, 10}));
  EXPECT_EQ(layer_named(net, "logits/flatten").output_shape, (Shape{4, 192}));
}

// VGG-16 written in Paleo's format: its parameter count (138,357,544) and multiply-adds
// (15.47 G per 224x224 image, as torchvision lists it) are the architecture's published figures.
TEST(PaleoImport, Vgg16HasThePublishedSizeAndShapes) {
  const Network net = import_paleo(fixture("paleo_vgg16.json"), {});
  EXPECT_EQ(net.batch(), 64);
  EXPECT_EQ(layer_named(net, "block5_pool").output_shape, (Shape{64, 512, 7, 7}));
  EXPECT_EQ(layer_named(net, "fc6/flatten").output_shape, (Shape{64, 25088}));
  const NetworkCost cost = network_cost(net);
  EXPECT_EQ(cost.total.params, 138357544);
  EXPECT_NEAR(static_cast<double>(cost.total.macs) / 64 / 1e9, 15.47, 0.005);
}

TEST(PaleoImport, OptionsOverrideTheFilesBatchAndInputShape) {
  ImportOptions batch;
  batch.batch = 128;
  EXPECT_EQ(import_paleo(fixture("paleo_vgg16.json"), batch).batch(), 128);
  ImportOptions shape;  // our NCHW convention, batch first
  shape.input_shape = Shape{1, 3, 32, 32};
  const Network small = import_paleo(fixture("paleo_vgg16.json"), shape);
  EXPECT_EQ(small.batch(), 1);
  EXPECT_EQ(layer_named(small, "block5_pool").output_shape, (Shape{1, 512, 1, 1}));
  // SAME pads are recomputed for the new size: 32 -> 16 -> ... all 3x3 stride 1, pad 1.
  EXPECT_EQ(std::get<ConvAttrs>(layer_named(small, "block5_conv1").attrs).pad_bottom, 1);
}

TEST(PaleoImport, GraphErrorsNameTheLayers) {
  EXPECT_CONTAINS(import_error_of("paleo_cycle.json"),
                  "the layers form a cycle: 'a' -> 'b' -> 'c' -> 'a'");
  EXPECT_CONTAINS(import_error_of("paleo_dangling_parent.json"),
                  "layer 'pool1' reads 'conv0', which is not a layer");
  EXPECT_CONTAINS(import_error_of("paleo_dangling_parent.json"), "paleo_dangling_parent.json: ");
  EXPECT_CONTAINS(
      error_of(R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [1, 4, 4, 3]},
      "blk": {"type": "Block", "parents": ["data"], "layers": {"r": {"parents": [], "type": "ReLU"}}},
      "after": {"parents": ["blk"], "type": "ReLU"}}})"),
      "layer 'after' reads Block 'blk', which has no endpoint");
  EXPECT_CONTAINS(
      error_of(R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [1, 4, 4, 3]},
      "split": {"parents": ["data@all"], "type": "ReLU"}}})"),
      "layer 'split': parent 'data@all' refers to a ModelParallel split");
  EXPECT_CONTAINS(
      error_of(R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [1, 4, 4, 3]},
      "data": {"parents": [], "type": "Input", "tensor": [1, 4, 4, 3]}}})"),
      "key 'data' appears twice");
  EXPECT_CONTAINS(
      error_of(R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [1, 4, 4, 3]},
      "b": {"type": "Block", "parents": ["data"], "endpoint": "x", "layers": {"x": {"parents": [], "type": "ReLU"}}},
      "b/x": {"parents": ["data"], "type": "ReLU"}}})"),
      "duplicate layer name 'b/x'");
}

TEST(PaleoImport, UnknownTypesAreErrorsUnlessAllowed) {
  EXPECT_CONTAINS(import_error_of("paleo_unknown_type.json"),
                  "layer 'up' (Upsample): unknown Paleo layer type 'Upsample'");
  ImportOptions allow;
  allow.allow_unknown = true;
  const Network net = import_paleo(fixture("paleo_unknown_type.json"), allow);
  // Paleo's Generic layer: zero cost, shaped as its input.
  const Layer& up = layer_named(net, "up");
  EXPECT_EQ(up.kind, LayerKind::unknown);
  EXPECT_EQ(up.op, "Upsample");
  EXPECT_EQ(up.output_shape, (Shape{1, 4, 8, 8}));
  EXPECT_EQ(net.unmodelled_layers(), (std::vector<std::string>{"up (Upsample)"}));
  EXPECT_CONTAINS(import_error_of("paleo_unknown_type.json", allow), "no error");
  EXPECT_CONTAINS(
      error_of(R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [1, 4, 4, 3]},
      "p": {"type": "ModelParallel", "parents": ["data"], "layers": {}}}})",
               allow),
      "layer 'p' (ModelParallel): Paleo type 'ModelParallel' is not supported");
}

TEST(PaleoImport, BadLayerSpecsNameLayerAndKey) {
  const std::string head =
      R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [2, 8, 8, 3]}, )";
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("c": {"parents": ["data"], "type": "Convolution", "filter": [3, 3, 4, 8], "padding": "SAME", "strides": [1, 1, 1, 1]}}})"),
      "net.json: layer 'c' (Convolution): filter [3,3,4,8] expects 4 input channels, the input has "
      "3");
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("c": {"parents": ["data"], "type": "Convolution", "filter": [3, 3, 8], "padding": "SAME", "strides": [1, 1, 1, 1]}}})"),
      "key 'filter' must be [kh, kw, c_in, c_out]");
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("c": {"parents": ["data"], "type": "Convolution", "filter": [3, 3, 3, 8], "padding": "FULL", "strides": [1, 1, 1, 1]}}})"),
      "key 'padding' must be \"SAME\", \"VALID\" or [pad_h, pad_w], got \"FULL\"");
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("c": {"parents": ["data"], "type": "Convolution", "filter": [3, 3, 3, 8], "padding": "SAME", "strides": [2, 1, 1, 1]}}})"),
      "key 'strides' must be 1 along batch and channels");
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("c": {"parents": ["data"], "type": "Convolution", "filter": [3, 3, 3, 8], "padding": "SAME"}}})"),
      "layer 'c' (Convolution): missing key 'strides'");
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("c": {"parents": ["data"], "type": "Convolution", "filter": [3, 3, 3, 8], "padding": "SAME", "strides": [1, 1, 1, 1], "normalizer_fn": "layer_norm"}}})"),
      "key 'normalizer_fn' must be \"batch_norm\" or null");
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("c": {"parents": ["data"], "type": "Convolution", "filter": [3, 3, 3, 8], "padding": "SAME", "strides": [1, 1, 1, 1], "activation_fn": "swish"}}})"),
      "unknown activation 'swish'");
  EXPECT_CONTAINS(error_of(head + R"("d": {"parents": ["data"], "type": "Dropout"}}})"),
                  "layer 'd' (Dropout): missing key 'dropout_keep_prob'");
  EXPECT_CONTAINS(
      error_of(head + R"("d": {"parents": ["data"], "type": "Dropout", "dropout_keep_prob": 0}}})"),
      "key 'dropout_keep_prob' must be in (0, 1]");
  EXPECT_CONTAINS(
      error_of(head + R"("s": {"parents": ["data"], "type": "Softmax", "num_classes": 1000}}})"),
      "num_classes 1000 differs from the 3 classes of its input 2x3x8x8");
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("p": {"parents": ["data"], "type": "Pooling", "ksize": [1, 9, 9, 1], "strides": [1, 1, 1, 1], "padding": "VALID"}}})"),
      "layer 'p' (Pooling): window of 9 is larger than the padded height extent 8");
  EXPECT_CONTAINS(
      error_of(
          head +
          R"("p": {"parents": ["data"], "type": "Pooling", "ksize": [1, 2, 2, 1], "strides": [1, 2147483648, 2, 1], "padding": "SAME"}}})"),
      "key 'strides' is too large");
  EXPECT_CONTAINS(error_of(head + R"("c": {"parents": ["data", "data"], "type": "ReLU"}}})"),
                  "layer 'c' (ReLU): expects 1 parent, has 2");
  EXPECT_CONTAINS(error_of(head + R"("c": {"parents": ["data"]}}})"),
                  "layer 'c': missing key 'type'");
  EXPECT_CONTAINS(
      error_of(R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [2, 8, 8]}}})"),
      "key 'tensor' must be [N, H, W, C] or [N, features]");
  EXPECT_CONTAINS(
      error_of(R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [2, 0, 8, 3]}}})"),
      "key 'tensor' has a dim that is not positive");
  EXPECT_CONTAINS(
      error_of(
          R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [1000000, 1000000, 1000000, 3]}}})"),
      "is too large");
  EXPECT_CONTAINS(error_of(R"({"layers": {"r": {"parents": [], "type": "ReLU"}}})"),
                  "the net has no Input layer");
}

TEST(PaleoImport, PaleoFilesAreRecognisedByTheirLayersObject) {
  EXPECT_TRUE(is_paleo_json(R"({"name": "x", "layers": {}})"));
  EXPECT_FALSE(is_paleo_json(R"({"format": "neuralpower-network", "layers": []})"));
  EXPECT_FALSE(is_paleo_json(R"([{"layers": {}}])"));
  EXPECT_FALSE(is_paleo_json("{not json"));
  EXPECT_FALSE(is_paleo_json(""));
}

TEST(PaleoImport, LoadNetworkReadsPaleoFilesByContent) {
  const Network net = load_network(fixture("paleo_blocks.json"), {});
  EXPECT_EQ(net.name(), "Inception-style blocks");
}

}  // namespace
}  // namespace np
