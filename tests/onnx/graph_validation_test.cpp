// What the importer checks about a graph as a whole: every tensor has one producer (a second
// node writing it is refused instead of silently replacing the first one's layer), and a
// constant shared by many nodes counts once among the network's parameters.
#include <gtest/gtest.h>

#include "model_builder.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/network_json.hpp"
#include "test_support.hpp"

namespace np::test {
namespace {

TEST(GraphValidation, TwoNodesWritingOneTensorAreRefusedNamingBoth) {
  ModelBuilder b;
  b.input("x", {1, 3, 8, 8});
  b.node("Relu", {"x"}, {"y"}, "relu");
  b.node("Sigmoid", {"x"}, {"y"}, "sigmoid");
  b.output("y");
  EXPECT_EQ(error_of([&] { import_bytes(b.bytes()); }),
            "onnx node 'sigmoid' (Sigmoid) writes 'y', already defined by onnx node 'relu' "
            "(Relu) (a tensor has one producer in ONNX)");
}

TEST(GraphValidation, ANodeOverwritingAnInputOrAnInitializerIsRefused) {
  ModelBuilder input;
  input.input("x", {1, 3, 8, 8});
  input.node("Relu", {"x"}, {"x"}, "relu");
  input.output("x");
  EXPECT_NE(error_of([&] { import_bytes(input.bytes()); }).find("already defined by a graph input"),
            std::string::npos);
  ModelBuilder init;
  init.input("x", {1, 3, 8, 8}).floats("s", {2.0f}, {});
  init.node("Mul", {"x", "s"}, {"y"}, "mul");
  init.node("Relu", {"y"}, {"s"}, "relu");
  init.output("s");
  EXPECT_NE(error_of([&] { import_bytes(init.bytes()); }).find("already defined by an initializer"),
            std::string::npos);
}

// A TF-converted graph: one scalar initializer read by many Mul nodes.
ModelBuilder shared_scalar(int users) {
  ModelBuilder b;
  b.input("x", {1, 4, 8, 8}).floats("half", {0.5f}, {});
  std::string previous = "x";
  for (int i = 0; i < users; ++i) {
    const std::string out = "m" + std::to_string(i);
    b.node("Mul", {previous, "half"}, {out}, out);
    previous = out;
  }
  b.output(previous);
  return b;
}

TEST(GraphValidation, AScalarSharedByManyNodesCountsOnceAmongTheParameters) {
  const Network one = import_bytes(shared_scalar(1).bytes());
  const Network many = import_bytes(shared_scalar(19).bytes());
  EXPECT_EQ(network_cost(one).total.params, 1);
  EXPECT_EQ(network_cost(many).total.params, 1);  // not 19: the file holds one number
  // Every reader still reads it: bytes and FLOPs are per layer.
  const LayerCost first = layer_cost(many, 1), last = layer_cost(many, many.size() - 1);
  EXPECT_EQ(first.bytes_read, last.bytes_read);
  EXPECT_EQ(first.flops, last.flops);
  // Our JSON keeps which operand is shared.
  const Network again = parse_network_json(write_network_json(many), "again.json", {});
  EXPECT_EQ(network_cost(again).total.params, 1);
}

TEST(GraphValidation, ASharedConstantIsCountedByTheFirstReaderThatStays) {
  // The first reader of "half" feeds nothing the output needs and is dropped: the next one counts
  // it.
  ModelBuilder b;
  b.input("x", {1, 4, 8, 8}).floats("half", {0.5f}, {});
  b.node("Mul", {"x", "half"}, {"dead"}, "dead");
  b.node("Mul", {"x", "half"}, {"y"}, "live");
  b.output("y");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(net.size(), 2);
  EXPECT_EQ(network_cost(net).total.params, 1);
}

}  // namespace
}  // namespace np::test
