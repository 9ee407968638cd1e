#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "neuralpower/cost.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"

namespace np {
namespace {

// A small network with one layer of every modelled kind.
Network every_kind() {
  Network net("all", 4);
  auto add = [&](const std::string& name, LayerKind kind, std::vector<int> inputs,
                 LayerAttrs attrs) {
    return net.add(
        {name, kind, std::string(to_string(kind)), std::move(inputs), std::move(attrs), {}});
  };
  const int x = add("x", LayerKind::input, {}, InputAttrs{{16, 8, 8}});
  ConvAttrs c;
  c.out_channels = 16;
  c.kernel_h = c.kernel_w = 3;
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
  c.groups = 16;  // depthwise
  const int conv = add("conv", LayerKind::conv, {x}, c);
  PoolAttrs p;
  p.mode = PoolMode::avg;
  p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 2;
  add("pool", LayerKind::pool, {conv}, p);
  add("bn", LayerKind::bn, {conv}, BnAttrs{});
  add("act", LayerKind::act, {conv}, make_activation("hard_swish"));
  add("add", LayerKind::add, {conv, x}, EltwiseAttrs{});
  add("mul", LayerKind::mul, {conv}, EltwiseAttrs{{Shape{16, 1, 1}}});
  add("max", LayerKind::max, {conv, x}, EltwiseAttrs{});
  add("cat", LayerKind::concat, {conv, x}, ConcatAttrs{1, {}});
  add("lrn", LayerKind::lrn, {conv}, LrnAttrs{});
  const int t = add("t", LayerKind::transpose, {conv}, TransposeAttrs{{0, 2, 3, 1}});
  add("ln", LayerKind::layernorm, {t}, LayerNormAttrs{});
  add("scores", LayerKind::matmul, {conv, x}, MatmulAttrs{false, true, {}});
  ResizeAttrs up;
  up.scale_h = up.scale_w = 2;
  add("up", LayerKind::resize, {conv}, up);
  add("slice", LayerKind::slice, {conv}, SliceAttrs{1, 0, 8, 1});
  const int f = add("flat", LayerKind::flatten, {conv}, ReshapeAttrs{});
  const int fc = add("fc", LayerKind::fc, {f}, FcAttrs{10, true});
  add("softmax", LayerKind::softmax, {fc}, SoftmaxAttrs{});
  net.infer_shapes();
  return net;
}

TEST(Features, EveryModelledKindHasFeaturesMatchingItsSpec) {
  const Network net = every_kind();
  std::set<LayerKind> seen;
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    if (!is_modelled_kind(layer.kind)) {
      EXPECT_THROW(layer_features(net, id), Error) << layer.name;
      continue;
    }
    const LayerFeatures f = layer_features(net, id);
    const FeatureSpec& spec = feature_spec(layer.kind);
    EXPECT_EQ(f.features.size(), spec.features.size()) << layer.name;
    EXPECT_EQ(f.specials.size(), spec.specials.size()) << layer.name;
    for (double v : f.features) EXPECT_TRUE(std::isfinite(v) && v >= 0) << layer.name;
    seen.insert(layer.kind);
  }
  EXPECT_EQ(seen.size(), modelled_kinds().size());
}

TEST(Features, ConvSpecialTermsAreTheLayersCosts) {
  const Network net = every_kind();
  const int conv = *net.find("conv");
  const LayerFeatures f = layer_features(net, conv);
  const LayerCost cost = layer_cost(net, conv);
  EXPECT_EQ(f.specials[0], static_cast<double>(cost.flops));
  EXPECT_EQ(f.specials[3], static_cast<double>(cost.params));
  EXPECT_EQ(f.features[0], 4);   // batch
  EXPECT_EQ(f.features[9], 16);  // groups: depthwise is told apart
}

// Q Kᵀ over 4 samples x 16 channels of 8x8 matrices: 64 products of 8x8 by 8x8.
TEST(Features, MatmulFeaturesAreTheProductsShapeAndCosts) {
  Network net("attention", 4);
  net.add({"x", LayerKind::input, "", {}, InputAttrs{{16, 8, 8}}, {}});
  net.add({"y", LayerKind::input, "", {}, InputAttrs{{16, 8, 8}}, {}});
  const int id =
      net.add({"matmul", LayerKind::matmul, "", {0, 1}, MatmulAttrs{false, true, {}}, {}});
  net.infer_shapes();
  EXPECT_TRUE(is_modelled_kind(LayerKind::matmul));
  const auto named = named_features(net, id);
  EXPECT_EQ(named.at("batch"), 64);
  EXPECT_EQ(named.at("rows"), 8);
  EXPECT_EQ(named.at("in_features"), 8);
  EXPECT_EQ(named.at("out_features"), 8);
  EXPECT_EQ(named.at("flops"), static_cast<double>(layer_cost(net, id).flops));
  EXPECT_EQ(named.at("input_elements"), 2 * 4 * 16 * 8 * 8);
  EXPECT_EQ(named.at("weight_elements"), 0);
}

// Bilinear and nearest resizes differ by their arithmetic per output element.
TEST(Features, ResizeFeaturesAreItsShapesAndItsArithmeticPerElement) {
  Network net("head", 2);
  net.add({"x", LayerKind::input, "", {}, InputAttrs{{21, 65, 65}}, {}});
  ResizeAttrs linear;
  linear.mode = ResizeMode::linear;
  linear.out_height = linear.out_width = 520;
  const int id = net.add({"up", LayerKind::resize, "", {0}, linear, {}});
  ResizeAttrs nearest;
  nearest.scale_h = nearest.scale_w = 2;
  const int copy = net.add({"fpn", LayerKind::resize, "", {id}, nearest, {}});
  net.infer_shapes();
  EXPECT_TRUE(is_modelled_kind(LayerKind::resize));
  const auto named = named_features(net, id);
  EXPECT_EQ(named.at("batch"), 2);
  EXPECT_EQ(named.at("in_channels"), 21);
  EXPECT_EQ(named.at("in_height"), 65);
  EXPECT_EQ(named.at("out_height"), 520);
  EXPECT_EQ(named.at("flops_per_element"), 7);
  EXPECT_EQ(named.at("output_elements"), 2 * 21 * 520 * 520);
  EXPECT_EQ(named_features(net, copy).at("flops_per_element"), 0);
  EXPECT_EQ(named_features(net, copy).at("out_height"), 1040);
}

TEST(Features, PowerFeaturesAppendTheirLogarithms) {
  const std::vector<double> x{1, 8, 0.5, 1024};
  const auto p = power_features(x);
  ASSERT_EQ(p.size(), 8u);
  EXPECT_EQ(p[4], 0);
  EXPECT_EQ(p[5], 3);
  EXPECT_EQ(p[6], 0);  // below 1 clamps, so binary features stay finite
  EXPECT_EQ(p[7], 10);
}

TEST(Features, NamesAreUniqueAcrossKinds) {
  const auto& names = all_feature_names();
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
}

}  // namespace
}  // namespace np
