// Int64 shape arithmetic that torch exports around reshapes and slices (Shape -> Gather ->
// Div -> Unsqueeze -> Concat -> Reshape), folded at import so the data ops get concrete,
// per-sample shapes.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "model_builder.hpp"
#include "neuralpower/cost.hpp"
#include "onnx/onnx_pb.h"
#include "test_support.hpp"

namespace np {
namespace {

using test::error_of;
using test::import_bytes;
using test::ModelBuilder;
using test::set_attribute;

const std::string kShuffleNet = "shufflenet_v2_x1_0_dynamic_batch.onnx";

Network shufflenet_at(int64_t batch) {
  ImportOptions options;
  options.batch = batch;
  return import_onnx(test::fixture_path(kShuffleNet), options);
}

TEST(OnnxShapeFolding, DynamicBatchShuffleNetImportsAtAnyBatch) {
  for (int64_t batch : {8, 1, 32}) {
    SCOPED_TRACE(batch);
    const Network net = shufflenet_at(batch);
    EXPECT_EQ(net.batch(), batch);
    EXPECT_EQ(net.layers().back().output_shape, (Shape{batch, 1000}));
    EXPECT_EQ(net.layers().back().kind, LayerKind::fc);
  }
}

TEST(OnnxShapeFolding, ShuffleNetChannelSplitBecomesHalfChannelSlices) {
  const Network net = shufflenet_at(8);
  int slices = 0, shuffles = 0;
  for (const Layer& layer : net.layers()) {
    if (layer.kind == LayerKind::slice) {
      ++slices;
      const auto& a = std::get<SliceAttrs>(layer.attrs);
      const Shape& in = net.layer(layer.inputs[0]).output_shape;
      EXPECT_EQ(a.axis, 1);
      EXPECT_EQ(layer.output_shape[1] * 2, in[1]) << layer.name;
    }
    if (layer.kind == LayerKind::reshape && layer.output_shape.size() == 5) {
      ++shuffles;  // x.view(batch, groups, channels_per_group, h, w)
      const auto& sample = std::get<ReshapeAttrs>(layer.attrs).sample_shape;
      EXPECT_EQ(sample[0], 2) << layer.name;
    }
  }
  // Stages of 4, 8 and 4 units; all but the first unit of a stage split their input in two.
  EXPECT_EQ(slices, 2 * (3 + 7 + 3));
  EXPECT_EQ(shuffles, 4 + 8 + 4);
}

TEST(OnnxShapeFolding, ShuffleNetParametersMatchTheFileDims) {
  std::ifstream in(test::fixture_path(kShuffleNet), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(bytes.str()));
  std::map<std::string, int64_t> elements;
  for (const auto& init : model.graph().initializer()) {
    if (init.data_type() != onnx::TensorProto::FLOAT) continue;
    EXPECT_TRUE(init.raw_data().empty() && init.float_data().empty()) << "weight-free fixture";
    int64_t count = 1;
    for (int64_t d : init.dims()) count *= d;
    elements[init.name()] = count;
  }
  // torch shares equal initializers between convs through Identity nodes.
  std::map<std::string, std::string> alias;
  for (const auto& node : model.graph().node()) {
    if (node.op_type() == "Identity") alias[node.output(0)] = node.input(0);
  }
  int64_t weights = 0;
  for (const auto& node : model.graph().node()) {
    if (node.op_type() != "Conv" && node.op_type() != "Gemm") continue;
    for (int k = 1; k < node.input_size(); ++k) {
      const std::string& name = alias.count(node.input(k)) ? alias[node.input(k)] : node.input(k);
      ASSERT_TRUE(elements.count(name)) << name;
      weights += elements[name];
    }
  }
  // Batch norm is folded into the convs by torch: conv and fc weights and biases are all.
  EXPECT_EQ(network_cost(shufflenet_at(1)).total.params, weights);
}

TEST(OnnxShapeFolding, BatchChangesAfterImportKeepWorking) {
  Network net = shufflenet_at(8);
  const int64_t params = network_cost(net).total.params;
  net.set_batch(5);
  EXPECT_EQ(net.layers().back().output_shape, (Shape{5, 1000}));
  EXPECT_EQ(network_cost(net).total.params, params);
  EXPECT_EQ(network_cost(net).total.macs * 8, network_cost(shufflenet_at(8)).total.macs * 5);
}

// Flatten the way torch exports x.view(x.size(0), -1) with a dynamic batch.
TEST(OnnxShapeFolding, ShapeGatherUnsqueezeConcatReshapeFlatten) {
  ModelBuilder b;
  b.input("input", {"batch", 16, 3, 3}).weight("fc", {10, 144}).ints("zero", {0}, {});
  b.ints("axes", {0}).ints("minus_one", {-1});
  b.node("Shape", {"input"}, {"shape"});
  set_attribute(b.node("Gather", {"shape", "zero"}, {"n"}), "axis", int64_t{0});
  b.node("Unsqueeze", {"n", "axes"}, {"n1"});
  set_attribute(b.node("Concat", {"n1", "minus_one"}, {"target"}), "axis", int64_t{0});
  b.node("Reshape", {"input", "target"}, {"flat"}, "flatten");
  set_attribute(b.node("Gemm", {"flat", "fc"}, {"output"}, "fc"), "transB", int64_t{1});
  b.output("output");
  ImportOptions options;
  options.batch = 6;
  Network net = import_bytes(b.bytes(), options);
  ASSERT_EQ(net.size(), 3);
  EXPECT_EQ(std::get<ReshapeAttrs>(net.layer(1).attrs).sample_shape, (Shape{144}));
  EXPECT_EQ(net.layer(2).output_shape, (Shape{6, 10}));
  net.set_batch(2);
  EXPECT_EQ(net.layer(2).output_shape, (Shape{2, 10}));
}

// Channel split with the arithmetic in the graph: (C + 1) / 2 via Shape, Slice, Add, Div, Mul,
// Cast and Squeeze, and a Split whose sizes come from a Concat.
TEST(OnnxShapeFolding, ArithmeticOnShapesDrivesSlicesAndSplits) {
  ModelBuilder b;
  b.input("input", {"batch", 10, 4, 4});
  b.ints("one", {1}).ints("two", {2}).ints("axis1", {1}).ints("start1", {1}).ints("end2", {2});
  b.node("Shape", {"input"}, {"shape"});
  b.node("Slice", {"shape", "start1", "end2"}, {"c"});  // [10]
  b.node("Add", {"c", "one"}, {"c1"});                  // [11]
  b.node("Div", {"c1", "two"}, {"half"});               // [5]
  b.node("Mul", {"half", "one"}, {"end"});              // [5]
  set_attribute(b.node("Cast", {"end"}, {"end64"}), "to", int64_t{onnx::TensorProto::INT64});
  b.node("Slice", {"input", "end64", "c", "axis1"}, {"tail"}, "tail");  // channels 5..10
  b.node("Sub", {"half", "two"}, {"rest"});                             // [3]
  set_attribute(b.node("Concat", {"two", "rest"}, {"sizes"}), "axis", int64_t{0});  // [2, 3]
  set_attribute(b.node("Split", {"tail", "sizes"}, {"p", "q"}, "split"), "axis", int64_t{1});
  b.node("Relu", {"p"}, {"output"}, "relu");
  b.output("output");
  ImportOptions options;
  options.batch = 3;
  const Network net = import_bytes(b.bytes(), options);
  const auto tail = net.find("tail");
  ASSERT_TRUE(tail);
  const auto& slice = std::get<SliceAttrs>(net.layer(*tail).attrs);
  EXPECT_EQ(slice.axis, 1);
  EXPECT_EQ(slice.start, 5);
  EXPECT_EQ(slice.end, 10);
  const auto first = net.find("split/0");
  ASSERT_TRUE(first);
  EXPECT_EQ(std::get<SliceAttrs>(net.layer(*first).attrs).end, 2);
  EXPECT_EQ(net.layers().back().output_shape, (Shape{3, 2, 4, 4}));
}

TEST(OnnxShapeFolding, FixedBatchConstantsSurviveABatchOverride) {
  // torch with a fixed batch of 1 bakes the batch into the shuffle's reshape target.
  ModelBuilder b;
  b.input("input", {1, 8, 5, 5}).ints("target", {1, 2, 4, 5, 5}).ints("back", {1, 8, 5, 5});
  b.node("Reshape", {"input", "target"}, {"r"}, "split_groups");
  set_attribute(b.node("Transpose", {"r"}, {"t"}, "shuffle"), "perm",
                std::vector<int64_t>{0, 2, 1, 3, 4});
  b.node("Reshape", {"t", "back"}, {"output"}, "merge_groups");
  b.output("output");
  ImportOptions options;
  options.batch = 8;
  const Network net = import_bytes(b.bytes(), options);
  EXPECT_EQ(net.batch(), 8);
  EXPECT_EQ(net.layer(1).output_shape, (Shape{8, 2, 4, 5, 5}));
  EXPECT_EQ(net.layer(2).output_shape, (Shape{8, 4, 2, 5, 5}));
  EXPECT_EQ(net.layers().back().output_shape, (Shape{8, 8, 5, 5}));
}

// Swin's window partition: torch with a fixed batch reshapes 1x8x8x7x7x96 to 64x49x96. The
// reshape works per replica of the file's batch, so another batch that is a multiple of it
// scales dim 0, and one that is not is an error naming the layer.
TEST(OnnxShapeFolding, ReshapeThatMovesTheBatchWorksPerReplicaOfTheFilesBatch) {
  ModelBuilder b;
  b.input("input", {2, 3, 4}).ints("target", {3, 8});
  b.node("Reshape", {"input", "target"}, {"output"}, "mix");
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(net.layer(1).output_shape, (Shape{3, 8}));
  ImportOptions options;
  options.batch = 8;
  EXPECT_EQ(import_bytes(b.bytes(), options).layer(1).output_shape, (Shape{12, 8}));
  options.batch = 3;
  const std::string message = error_of([&] { import_bytes(b.bytes(), options); });
  EXPECT_NE(message.find("layer 'mix' (reshape)"), std::string::npos) << message;
  EXPECT_NE(message.find("multiple of the file's batch"), std::string::npos) << message;
}

TEST(OnnxShapeFolding, ReshapeTargetWithoutValuesIsAnError) {
  ModelBuilder b;
  b.input("input", {2, 3, 4});
  auto* target = b.proto().mutable_graph()->add_initializer();
  target->set_name("target");
  target->set_data_type(onnx::TensorProto::INT64);
  target->add_dims(2);  // dims, but the data is missing
  b.node("Reshape", {"input", "target"}, {"output"}, "reshape");
  b.output("output");
  // ONNX's inference cannot resolve it either, so the node is named.
  const std::string message = error_of([&] { import_bytes(b.bytes()); });
  EXPECT_NE(message.find("onnx node 'reshape' (Reshape)"), std::string::npos) << message;
}

}  // namespace
}  // namespace np
