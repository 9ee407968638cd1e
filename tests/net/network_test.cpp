#include <gtest/gtest.h>

#include "neuralpower/cost.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/network.hpp"

namespace np {
namespace {

Layer input(const std::string& name, Shape sample) {
  return {name, LayerKind::input, "Input", {}, InputAttrs{std::move(sample)}, {}};
}

Layer layer(const std::string& name, LayerKind kind, std::vector<int> inputs, LayerAttrs attrs) {
  return {name, kind, std::string(to_string(kind)), std::move(inputs), std::move(attrs), {}};
}

ConvAttrs conv(int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t groups = 1) {
  ConvAttrs a;
  a.out_channels = out;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
  a.groups = groups;
  return a;
}

TEST(Network, ConvOutputShapeFollowsTheArithmeticOfTheAlexNetPaper) {
  Network net("t", 2);
  net.add(input("data", {3, 227, 227}));
  net.add(layer("conv1", LayerKind::conv, {0}, conv(96, 11, 4, 0)));
  net.infer_shapes();
  EXPECT_EQ(net.layer(1).output_shape, (Shape{2, 96, 55, 55}));
}

TEST(Network, ConvCostCountsAMultiplyAddAsTwoFlops) {
  Network net("t", 2);
  net.add(input("data", {8, 10, 10}));
  net.add(layer("c", LayerKind::conv, {0}, conv(4, 3, 1, 1, 2)));
  net.infer_shapes();
  const LayerCost cost = layer_cost(net, 1);
  // 2 x 4 x 10 x 10 outputs, each a dot product over (8/2) x 3 x 3 inputs.
  EXPECT_EQ(cost.macs, 2 * 4 * 10 * 10 * 4 * 9);
  EXPECT_EQ(cost.flops, 2 * cost.macs + 2 * 4 * 10 * 10);
  EXPECT_EQ(cost.params, 4 * 4 * 9 + 4);
  EXPECT_EQ(cost.bytes_read, (2 * 8 * 100 + cost.params) * 4);
  EXPECT_EQ(cost.bytes_written, 2 * 4 * 100 * 4);
}

TEST(Network, AsymmetricPaddingAndDilation) {
  Network net("t", 1);
  net.add(input("data", {1, 9, 9}));
  ConvAttrs a = conv(1, 3, 2, 0);
  a.pad_top = 0;
  a.pad_bottom = 1;
  a.pad_left = 1;
  a.pad_right = 1;
  a.dilation_h = 2;
  net.add(layer("c", LayerKind::conv, {0}, a));
  net.infer_shapes();
  // height: (9 + 1 - 5) / 2 + 1 = 3; width: (9 + 2 - 3) / 2 + 1 = 5
  EXPECT_EQ(net.layer(1).output_shape, (Shape{1, 1, 3, 5}));
}

TEST(Network, CeilModePoolingKeepsTheLastWindowInsideTheInput) {
  Network net("t", 1);
  net.add(input("data", {1, 6, 6}));
  PoolAttrs p;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.ceil_mode = true;
  net.add(layer("p", LayerKind::pool, {0}, p));
  net.infer_shapes();
  // floor((6-3)/2)+1 = 2; ceil gives 3 (window starting at 4 < 6).
  EXPECT_EQ(net.layer(1).output_shape, (Shape{1, 1, 3, 3}));
}

TEST(Network, FcOnTheLastDimAndBatchOverride) {
  Network net("t", 4);
  net.add(input("data", {7, 7, 512}));
  net.add(layer("fc", LayerKind::fc, {0}, FcAttrs{2048, true}));
  net.infer_shapes();
  EXPECT_EQ(net.layer(1).output_shape, (Shape{4, 7, 7, 2048}));
  EXPECT_EQ(layer_cost(net, 1).macs, 4 * 49 * 512 * 2048);
  net.set_batch(16);
  EXPECT_EQ(net.layer(1).output_shape, (Shape{16, 7, 7, 2048}));
  EXPECT_EQ(layer_cost(net, 1).macs, 16 * 49 * 512 * 2048);
}

TEST(Network, BroadcastingElementwiseWithAConstantOperand) {
  Network net("t", 2);
  net.add(input("a", {8, 4, 4}));
  net.add(layer("m", LayerKind::mul, {0}, EltwiseAttrs{{Shape{8, 1, 1}}}));
  net.infer_shapes();
  EXPECT_EQ(net.layer(1).output_shape, (Shape{2, 8, 4, 4}));
  EXPECT_EQ(layer_cost(net, 1).params, 8);
}

TEST(Network, ConcatAndReshapeChecks) {
  Network net("t", 2);
  net.add(input("a", {8, 4, 4}));
  net.add(input("b", {3, 4, 4}));
  net.add(layer("cat", LayerKind::concat, {0, 1}, ConcatAttrs{1, {}}));
  net.add(layer("r", LayerKind::reshape, {2}, ReshapeAttrs{{11, -1}}));
  net.add(layer("f", LayerKind::flatten, {3}, ReshapeAttrs{}));
  net.infer_shapes();
  EXPECT_EQ(net.layer(2).output_shape, (Shape{2, 11, 4, 4}));
  EXPECT_EQ(net.layer(3).output_shape, (Shape{2, 11, 16}));
  EXPECT_EQ(net.layer(4).output_shape, (Shape{2, 176}));
  EXPECT_EQ(layer_cost(net, 3).bytes(), 0);
}

// ViT's attention as torch exports it at batch 1: tokens first ([197, 1, 768]), heads in front
// for the products ([12, 197, 64]), back to the batch in front. Every layer's dim 0 is the
// batch times its dim 0 at batch 1, and at batch 8 the last layer has the true shape.
TEST(Network, TransposesThatMoveDimZeroFollowTheBatchExactly) {
  Network net("attention", 1);
  net.add(input("x", {197, 768}));
  net.add(layer("seq_first", LayerKind::transpose, {0}, TransposeAttrs{{1, 0, 2}, 1}));
  net.add(layer("qkv", LayerKind::fc, {1}, FcAttrs{2304, true}));
  net.add(layer("split_heads", LayerKind::reshape, {2}, ReshapeAttrs{{36, 64}}));
  net.add(layer("heads_first", LayerKind::transpose, {3}, TransposeAttrs{{1, 0, 2}, 197}));
  net.add(layer("tokens_first", LayerKind::transpose, {4}, TransposeAttrs{{1, 0, 2}, 36}));
  net.add(layer("merge_heads", LayerKind::reshape, {5}, ReshapeAttrs{{1, 2304}}));
  net.add(layer("batch_first", LayerKind::transpose, {6}, TransposeAttrs{{1, 0, 2}, 197}));
  net.infer_shapes();
  EXPECT_EQ(net.layer(4).output_shape, (Shape{36, 197, 64}));
  EXPECT_EQ(net.layer(7).output_shape, (Shape{1, 197, 2304}));
  const NetworkCost one = network_cost(net);
  net.set_batch(8);
  EXPECT_EQ(net.layer(1).output_shape, (Shape{8 * 197, 1, 768}));
  EXPECT_EQ(net.layer(4).output_shape, (Shape{8 * 36, 197, 64}));
  EXPECT_EQ(net.layer(7).output_shape, (Shape{8, 197, 2304}));
  const NetworkCost eight = network_cost(net);
  EXPECT_EQ(eight.total.flops, 8 * one.total.flops);
  EXPECT_EQ(eight.total.macs, 8 * one.total.macs);
  net.set_batch(1);
  EXPECT_EQ(net.layer(4).output_shape, (Shape{36, 197, 64}));
}

// Swin's window partition and reverse at batch 1: 1x2x7x2x7x96 to 4x49x96 and back.
TEST(Network, ReshapesThatMoveDimZeroWorkPerReplicaOfTheFilesBatch) {
  Network net("windows", 1);
  net.add(input("x", {2, 7, 2, 7, 96}));
  net.add(layer("group", LayerKind::transpose, {0}, TransposeAttrs{{0, 1, 3, 2, 4, 5}}));
  net.add(layer("partition", LayerKind::reshape, {1}, ReshapeAttrs{{4, 49, 96}, 1}));
  net.add(layer("proj", LayerKind::fc, {2}, FcAttrs{96, true}));
  net.add(layer("reverse", LayerKind::reshape, {3}, ReshapeAttrs{{1, 2, 2, 7, 7, 96}, 4}));
  net.infer_shapes();
  EXPECT_EQ(net.layer(2).output_shape, (Shape{4, 49, 96}));
  const int64_t macs = layer_cost(net, 3).macs;
  net.set_batch(8);
  EXPECT_EQ(net.layer(2).output_shape, (Shape{32, 49, 96}));
  EXPECT_EQ(net.layer(4).output_shape, (Shape{8, 2, 2, 7, 7, 96}));
  EXPECT_EQ(layer_cost(net, 3).macs, 8 * macs);

  Network pairs("pairs", 2);
  pairs.add(input("x", {3, 4}));
  pairs.add(layer("mix", LayerKind::reshape, {0}, ReshapeAttrs{{3, 8}, 2}));
  pairs.infer_shapes();
  pairs.set_batch(6);
  EXPECT_EQ(pairs.layer(1).output_shape, (Shape{9, 8}));
  try {
    pairs.set_batch(3);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'mix'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("multiple of the file's batch"), std::string::npos)
        << e.what();
  }
}

TEST(Network, RejectsInconsistentNetworksWithTheLayerName) {
  Network net("t", 1);
  net.add(input("a", {8, 4, 4}));
  net.add(layer("c", LayerKind::conv, {0}, conv(6, 3, 1, 1, 4)));  // 6 % 4 != 0
  try {
    net.infer_shapes();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'c'"), std::string::npos) << e.what();
  }
}

TEST(Network, OnlyEarlierLayersCanBeInputsSoCyclesCannotBeBuilt) {
  Network net("t", 1);
  net.add(input("a", {8}));
  EXPECT_THROW(net.add(layer("x", LayerKind::act, {1}, ActAttrs{})), Error);
  EXPECT_THROW(net.add(layer("a", LayerKind::act, {0}, ActAttrs{})), Error);
  EXPECT_THROW(net.add(layer("", LayerKind::act, {0}, ActAttrs{})), Error);
}

TEST(Network, HugeTensorsAreRejectedNotWrapped) {
  Network net("t", 1000);
  net.add(input("a", {1000, 1000, 1000}));  // 10^12 elements
  EXPECT_THROW(net.infer_shapes(), Error);
  Network ok("t", 1);
  ok.add(input("a", {100000, 100000}));  // 10^10: allowed, costs stay exact
  ok.add(layer("fc", LayerKind::fc, {0}, FcAttrs{100000, false}));
  ok.infer_shapes();
  EXPECT_EQ(layer_cost(ok, 1).macs, 1000000000000000);  // 10^15, exact
  Network wide("t", 1);
  wide.add(input("a", {100000}));
  wide.add(layer("fc", LayerKind::fc, {0}, FcAttrs{10000000, false}));
  wide.infer_shapes();
  EXPECT_THROW(layer_cost(wide, 1), Error);  // 10^12 weights
}

TEST(Network, NonPositiveBatchAndDims) {
  EXPECT_THROW(Network("t", 0), Error);
  Network net("t", 1);
  net.add(input("a", {3, 0, 4}));
  EXPECT_THROW(net.infer_shapes(), Error);
}

}  // namespace
}  // namespace np

namespace np {
namespace {

TEST(Network, HugeWindowAttributesAreErrorsNotOverflow) {
  Network net("t", 1);
  net.add({"x", LayerKind::input, "Input", {}, InputAttrs{{1, 8, 8}}, {}});
  ConvAttrs a;
  a.out_channels = 1;
  a.kernel_h = a.kernel_w = 3;
  a.dilation_h = int64_t{1} << 62;
  net.add({"c", LayerKind::conv, "Conv", {0}, a, {}});
  EXPECT_THROW(net.infer_shapes(), Error);
  ConvAttrs pads;
  pads.out_channels = 1;
  pads.pad_top = pads.pad_bottom = int64_t{1} << 62;
  Network padded("t", 1);
  padded.add({"x", LayerKind::input, "Input", {}, InputAttrs{{1, 8, 8}}, {}});
  padded.add({"c", LayerKind::conv, "Conv", {0}, pads, {}});
  EXPECT_THROW(padded.infer_shapes(), Error);
}

}  // namespace
// Attention's products on heads in front ([heads, tokens, dim] per sample at batch 1): Q Kᵀ
// by a transposed operand, then the weights times V. MACs are rows x columns x inner per
// matrix, and the whole layer scales with the batch.
TEST(Network, MatmulOfTwoActivationsWithATransposedOperand) {
  Network net("attention", 1);
  net.add(input("q", {12, 197, 64}));
  net.add(input("k", {12, 197, 64}));
  net.add(layer("scores", LayerKind::matmul, {0, 1}, MatmulAttrs{false, true, {}}));
  net.add(layer("mixed", LayerKind::matmul, {2, 1}, MatmulAttrs{}));
  net.infer_shapes();
  EXPECT_EQ(net.layer(2).output_shape, (Shape{1, 12, 197, 197}));
  EXPECT_EQ(net.layer(3).output_shape, (Shape{1, 12, 197, 64}));
  const LayerCost scores = layer_cost(net, 2);
  EXPECT_EQ(scores.macs, int64_t{12} * 197 * 197 * 64);
  EXPECT_EQ(scores.flops, 2 * scores.macs);
  EXPECT_EQ(scores.params, 0);
  EXPECT_EQ(scores.bytes_read, 4 * 2 * int64_t{12} * 197 * 64);
  EXPECT_EQ(scores.bytes_written, 4 * int64_t{12} * 197 * 197);
  EXPECT_EQ(layer_cost(net, 3).macs, int64_t{12} * 197 * 64 * 197);
  net.set_batch(8);
  EXPECT_EQ(net.layer(2).output_shape, (Shape{8, 12, 197, 197}));
  EXPECT_EQ(layer_cost(net, 2).macs, 8 * scores.macs);
}

// A constant B of lower rank broadcasts over the leading dims; its elements are weights.
TEST(Network, MatmulByAConstantBroadcastsAndCountsItsWeights) {
  Network net("t", 2);
  net.add(input("x", {3, 5, 4}));
  net.add(layer("p", LayerKind::matmul, {0}, MatmulAttrs{false, false, Shape{3, 4, 6}}));
  net.add(layer("q", LayerKind::matmul, {0}, MatmulAttrs{true, false, Shape{5, 7}}));
  net.infer_shapes();
  EXPECT_EQ(net.layer(1).output_shape, (Shape{2, 3, 5, 6}));
  EXPECT_EQ(net.layer(2).output_shape, (Shape{2, 3, 4, 7}));
  const LayerCost p = layer_cost(net, 1);
  EXPECT_EQ(p.macs, int64_t{2} * 3 * 5 * 6 * 4);
  EXPECT_EQ(p.params, 3 * 4 * 6);
  EXPECT_EQ(p.bytes_read, 4 * (2 * 3 * 5 * 4 + 3 * 4 * 6));
  EXPECT_EQ(layer_cost(net, 2).macs, int64_t{2} * 3 * 4 * 7 * 5);
}

TEST(Network, MatmulShapeErrorsNameTheOperands) {
  const auto error_of = [](std::vector<Shape> inputs, MatmulAttrs attrs) {
    Network net("t", 1);
    std::vector<int> ids;
    for (size_t i = 0; i < inputs.size(); ++i) {
      ids.push_back(net.add(input("x" + std::to_string(i), inputs[i])));
    }
    net.add(layer("m", LayerKind::matmul, ids, attrs));
    try {
      net.infer_shapes();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({{2, 3, 4}, {2, 5, 6}}, {}).find("do not agree on the inner dim"),
            std::string::npos);
  EXPECT_NE(error_of({{2, 3, 4}, {3, 4, 6}}, {}).find("do not broadcast"), std::string::npos);
  EXPECT_NE(error_of({{3, 4}, {2, 4, 6}}, {}).find("of one rank"), std::string::npos);
  EXPECT_NE(error_of({{3, 4}}, {}).find("exactly one of them"), std::string::npos);
  EXPECT_NE(error_of({{3, 4}}, {false, false, Shape{2, 4, 6}}).find("must not set dim 0"),
            std::string::npos);
}

// ViT's class token: a constant one-sample operand in front along the tokens.
TEST(Network, ConcatWithAConstantOperandCountsItAsParameters) {
  Network net("t", 1);
  net.add(input("patches", {196, 768}));
  net.add(layer("tokens", LayerKind::concat, {0}, ConcatAttrs{1, {Shape{1, 1, 768}}}));
  net.infer_shapes();
  EXPECT_EQ(net.layer(1).output_shape, (Shape{1, 197, 768}));
  const LayerCost one = layer_cost(net, 1);
  EXPECT_EQ(one.params, 768);
  EXPECT_EQ(one.bytes_read, 4 * (196 * 768 + 768));
  net.set_batch(4);
  EXPECT_EQ(net.layer(1).output_shape, (Shape{4, 197, 768}));
  EXPECT_EQ(layer_cost(net, 1).bytes_read, 4 * (4 * 196 * 768 + 4 * 768));
  EXPECT_EQ(layer_cost(net, 1).params, 768);

  Network bad("t", 2);
  bad.add(input("patches", {196, 768}));
  bad.add(layer("tokens", LayerKind::concat, {0}, ConcatAttrs{1, {Shape{2, 1, 768}}}));
  EXPECT_THROW(bad.infer_shapes(), Error);
}

}  // namespace np
