// The ops of attention and of ViT's token handling: MatMul of two activations, Einsum that is
// a batched matrix product, Concat with a constant class token, Gather of one token.
#include <gtest/gtest.h>

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

TEST(OnnxAttention, MatmulOfTwoActivationsIsAMatmulLayerAndWithAWeightStaysFc) {
  ModelBuilder b;
  b.input("q", {2, 4, 5, 8}).input("k", {2, 4, 8, 5}).weight("w", {8, 3});
  b.weight("stack", {4, 5, 6});
  b.node("MatMul", {"q", "k"}, {"scores"}, "scores");
  b.node("MatMul", {"q", "w"}, {"projected"}, "projected");
  b.node("MatMul", {"scores", "stack"}, {"stacked"}, "stacked");
  b.output("projected").output("stacked");
  const Network net = import_bytes(b.bytes());
  const Layer& scores = net.layer(*net.find("scores"));
  EXPECT_EQ(scores.kind, LayerKind::matmul);
  EXPECT_EQ(scores.output_shape, (Shape{2, 4, 5, 5}));
  EXPECT_EQ(net.layer(*net.find("projected")).kind, LayerKind::fc);
  const int stacked = *net.find("stacked");
  EXPECT_EQ(net.layer(stacked).kind, LayerKind::matmul);
  EXPECT_EQ(std::get<MatmulAttrs>(net.layer(stacked).attrs).constant_b, (Shape{4, 5, 6}));
  EXPECT_EQ(layer_cost(net, stacked).params, 4 * 5 * 6);
  EXPECT_EQ(layer_cost(net, *net.find("scores")).macs, 2 * 4 * 5 * 5 * 8);

  ModelBuilder ranks;
  ranks.input("a", {2, 5, 8}).input("b", {2, 2, 8, 5});
  ranks.node("MatMul", {"a", "b"}, {"c"}, "mm");
  ranks.output("c");
  EXPECT_TRUE(has(error_of([&] { import_bytes(ranks.bytes()); }), "one rank"));
}

Network einsum(const std::string& equation, std::vector<test::Dim> a, std::vector<test::Dim> b) {
  ModelBuilder m;
  m.input("a", a).input("b", b);
  set_attribute(m.node("Einsum", {"a", "b"}, {"c"}, "einsum"), "equation", equation);
  m.output("c");
  return import_bytes(m.bytes());
}

// MaxViT's two equations, spaces and capitals as torch writes them.
TEST(OnnxAttention, EinsumThatIsABatchedMatrixProductIsAMatmul) {
  const Network scores =
      einsum("B G H I D, B G H J D -> B G H I J", {1, 3, 2, 49, 32}, {1, 3, 2, 49, 32});
  const auto& s = std::get<MatmulAttrs>(scores.layer(2).attrs);
  EXPECT_FALSE(s.transpose_a);
  EXPECT_TRUE(s.transpose_b);
  EXPECT_EQ(scores.layer(2).output_shape, (Shape{1, 3, 2, 49, 49}));
  EXPECT_EQ(layer_cost(scores, 2).macs, 3 * 2 * 49 * 49 * 32);
  const Network mixed =
      einsum("B G H I J, B G H J D -> B G H I D", {1, 3, 2, 49, 49}, {1, 3, 2, 49, 32});
  EXPECT_FALSE(std::get<MatmulAttrs>(mixed.layer(2).attrs).transpose_b);
  EXPECT_EQ(mixed.layer(2).output_shape, (Shape{1, 3, 2, 49, 32}));
  const Network transposed_a = einsum("bkm,bkn->bmn", {2, 7, 3}, {2, 7, 4});
  EXPECT_TRUE(std::get<MatmulAttrs>(transposed_a.layer(2).attrs).transpose_a);
  EXPECT_EQ(transposed_a.layer(2).output_shape, (Shape{2, 3, 4}));

  for (const char* other : {"bij,bjk->bki", "bij,bij->bij", "bij,bjk->bk", "bij,cjk->bik"}) {
    SCOPED_TRACE(other);
    EXPECT_TRUE(has(error_of([&] {
                      einsum(other, {2, 3, 3}, {2, 3, 3});
                    }),
                    "is not a batched matrix product"));
  }
}

// ViT: the class token (expanded over the batch) in front of the patches, the position
// embedding added, and the class token's row taken back by Gather.
TEST(OnnxAttention, ClassTokenConcatAndGatherOfOneToken) {
  ModelBuilder b;
  b.input("patches", {1, 196, 768}).weight("cls", {1, 1, 768}).weight("pos", {1, 197, 768});
  b.ints("shape", {1, 1, 1}).ints("zero", {0}, {});
  b.node("Expand", {"cls", "shape"}, {"cls_batch"}, "expand");
  set_attribute(b.node("Concat", {"cls_batch", "patches"}, {"tokens"}, "concat"), "axis",
                int64_t{1});
  b.node("Add", {"tokens", "pos"}, {"embedded"}, "add");
  set_attribute(b.node("Gather", {"embedded", "zero"}, {"first"}, "gather"), "axis", int64_t{1});
  b.output("first");
  const Network net = import_bytes(b.bytes());
  const int concat = *net.find("concat");
  EXPECT_EQ(net.layer(concat).output_shape, (Shape{1, 197, 768}));
  EXPECT_EQ(layer_cost(net, concat).params, 768);
  EXPECT_EQ(network_cost(net).total.params, 768 + 197 * 768);
  EXPECT_EQ(net.layer(net.size() - 1).output_shape, (Shape{1, 768}));
  ImportOptions eight;
  eight.batch = 8;
  const Network batched = import_bytes(b.bytes(), eight);
  EXPECT_EQ(batched.layer(batched.size() - 1).output_shape, (Shape{8, 768}));
  EXPECT_EQ(network_cost(batched).total.params, 768 + 197 * 768);
}

}  // namespace
}  // namespace np
