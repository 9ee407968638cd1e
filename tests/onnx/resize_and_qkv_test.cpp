// Resize (segmentation heads, FPN top-down paths) and Swin's q, k and v: Gathers along dim 0 of a
// transpose that put the 3 of qkv in front.
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

// torch's interpolate(size=...) as opset 17 writes it: X, empty roi and scales, sizes.
ModelBuilder resize_to_sizes(const std::vector<int64_t>& sizes, const std::string& mode) {
  ModelBuilder b;
  b.input("x", {1, 21, 65, 65}).ints("sizes", sizes);
  set_attribute(b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "resize"), "mode", mode);
  b.output("y");
  return b;
}

TEST(OnnxResize, SizesGiveABilinearResizeThatScalesWithTheBatch) {
  const ModelBuilder b = resize_to_sizes({1, 21, 520, 520}, "linear");
  const Network net = import_bytes(b.bytes());
  const Layer& resize = net.layer(net.size() - 1);
  ASSERT_EQ(resize.kind, LayerKind::resize);
  EXPECT_EQ(std::get<ResizeAttrs>(resize.attrs).mode, ResizeMode::linear);
  EXPECT_EQ(resize.output_shape, (Shape{1, 21, 520, 520}));
  const LayerCost cost = layer_cost(net, net.size() - 1);
  EXPECT_EQ(cost.flops, 7 * 21 * 520 * 520);
  EXPECT_EQ(cost.bytes_read, 4 * 21 * 65 * 65);
  EXPECT_EQ(cost.bytes_written, 4 * 21 * 520 * 520);
  ImportOptions four;
  four.batch = 4;
  const Network batched = import_bytes(b.bytes(), four);
  EXPECT_EQ(batched.layer(batched.size() - 1).output_shape, (Shape{4, 21, 520, 520}));
  EXPECT_EQ(network_cost(batched).total.flops, 4 * network_cost(net).total.flops);
}

TEST(OnnxResize, ScalesGiveANearestResizeOfFloorInTimesScale) {
  ModelBuilder b;
  b.input("x", {2, 8, 25, 19}).floats("scales", {1, 1, 2, 2});
  set_attribute(b.node("Resize", {"x", "", "scales"}, {"y"}, "up"), "mode", std::string("nearest"));
  b.output("y");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(net.layer(net.size() - 1).output_shape, (Shape{2, 8, 50, 38}));
  EXPECT_EQ(layer_cost(net, net.size() - 1).flops, 0);

  ModelBuilder upsample(9);
  upsample.input("x", {1, 4, 5, 5}).floats("scales", {1, 1, 3, 2});
  upsample.node("Upsample", {"x", "scales"}, {"y"}, "upsample");
  upsample.output("y");
  const Network old = import_bytes(upsample.bytes());
  EXPECT_EQ(old.layer(old.size() - 1).output_shape, (Shape{1, 4, 15, 10}));
}

TEST(OnnxResize, FormsTheIrDoesNotModelAreNamed) {
  EXPECT_TRUE(has(error_of([] {
                    import_bytes(resize_to_sizes({1, 21, 9, 9}, "cubic").bytes());
                  }),
                  "mode 'cubic' is not modelled"));
  EXPECT_TRUE(has(error_of([] {
                    import_bytes(resize_to_sizes({1, 42, 130, 130}, "linear").bytes());
                  }),
                  "changes batch or channels"));
  ModelBuilder computed;
  computed.input("x", {1, 3, 8, 8}).input("t", {1, 4}).ints("axis0", {0});
  computed.node("Squeeze", {"t", "axis0"}, {"s"}, "squeeze");
  computed.node("Resize", {"x", "", "s"}, {"y"}, "resize");
  computed.output("y");
  const std::string computed_error = error_of([&] { import_bytes(computed.bytes()); });
  EXPECT_TRUE(has(computed_error, "computed in the graph")) << computed_error;
}

// Swin: [windows, tokens, 3, heads, dim] -> [3, windows, heads, tokens, dim], then q, k, v by
// Gather along dim 0: each becomes a slice of the qkv tensor and a transpose of the rest.
TEST(OnnxSwinQkv, GathersOfATransposeThatMovesDimZeroAreSlicesOfItsInput) {
  ModelBuilder b;
  b.input("qkv", {4, 49, 3, 3, 32});
  b.ints("q_index", {0}, {}).ints("k_index", {1}, {}).ints("v_index", {2}, {});
  set_attribute(b.node("Transpose", {"qkv"}, {"heads"}, "transpose"), "perm",
                std::vector<int64_t>{2, 0, 3, 1, 4});
  for (const char* part : {"q", "k", "v"}) {
    set_attribute(b.node("Gather", {"heads", std::string(part) + "_index"}, {part}, part), "axis",
                  int64_t{0});
  }
  set_attribute(b.node("Transpose", {"k"}, {"k_t"}, "k_t"), "perm",
                std::vector<int64_t>{0, 1, 3, 2});
  b.node("MatMul", {"q", "k_t"}, {"scores"}, "scores");
  b.node("MatMul", {"scores", "v"}, {"out"}, "out");
  b.output("out");
  const Network net = import_bytes(b.bytes());
  EXPECT_FALSE(net.find("transpose")) << "the transpose that moves dim 0 is not a layer";
  const Layer& q = net.layer(*net.find("q"));
  EXPECT_EQ(q.kind, LayerKind::transpose);
  EXPECT_EQ(q.output_shape, (Shape{4, 3, 49, 32}));
  EXPECT_EQ(std::get<TransposeAttrs>(q.attrs).perm, (std::vector<int64_t>{0, 2, 1, 3}));
  const Layer& v_slice = net.layer(*net.find("v/slice"));
  EXPECT_EQ(std::get<SliceAttrs>(v_slice.attrs).axis, 2);
  EXPECT_EQ(std::get<SliceAttrs>(v_slice.attrs).start, 2);
  EXPECT_EQ(net.layer(net.size() - 1).output_shape, (Shape{4, 3, 49, 32}));
  EXPECT_EQ(layer_cost(net, *net.find("scores")).macs, 4 * 3 * 49 * 49 * 32);
  // Reads and writes add up to those of the one transpose and three Gathers they replace.
  int64_t moved = 0;
  for (int id = 0; id < net.size(); ++id) {
    const LayerKind kind = net.layer(id).kind;
    if (kind == LayerKind::slice || (kind == LayerKind::transpose && net.layer(id).name != "k_t")) {
      moved += layer_cost(net, id).bytes_read + layer_cost(net, id).bytes_written;
    }
  }
  EXPECT_EQ(moved, 4 * 4 * (4 * 49 * 3 * 3 * 32));
  ImportOptions eight;
  eight.batch = 8;  // two replicas of the file's 4 windows
  const Network batched = import_bytes(b.bytes(), eight);
  EXPECT_EQ(batched.layer(batched.size() - 1).output_shape, (Shape{8, 3, 49, 32}));
  EXPECT_EQ(network_cost(batched).total.flops, 2 * network_cost(net).total.flops);

  ModelBuilder other;
  other.input("qkv", {4, 49, 3, 3, 32}).ints("index", {0, 1});
  set_attribute(other.node("Transpose", {"qkv"}, {"heads"}, "transpose"), "perm",
                std::vector<int64_t>{2, 0, 3, 1, 4});
  other.node("Gather", {"heads", "index"}, {"two"}, "gather");
  other.output("two");
  EXPECT_TRUE(has(error_of([&] { import_bytes(other.bytes()); }), "one scalar index along dim 0"));
}

}  // namespace
}  // namespace np
