// A detector's data-dependent post-processing is left out and listed; heads that share one set
// of weights across FPN levels count them once.
#include <gtest/gtest.h>

#include "model_builder.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/network_json.hpp"
#include "test_support.hpp"

namespace np {
namespace {

using test::import_bytes;
using test::ModelBuilder;
using test::set_attribute;

// conv -> scores; TopK over the scores and a Gather of its indices: the selection and all that
// reads it are left out, the conv stays (it feeds them).
ModelBuilder conv_then_selection() {
  ModelBuilder b;
  b.input("x", {1, 3, 8, 8}).weight("w", {4, 3, 1, 1}).ints("k", {5}).ints("shape", {1, -1});
  b.node("Conv", {"x", "w"}, {"scores"}, "head");
  b.node("Reshape", {"scores", "shape"}, {"flat"}, "flatten");
  b.node("TopK", {"flat", "k"}, {"best", "index"}, "topk");
  b.node("Relu", {"best"}, {"kept"}, "after_topk");
  b.output("kept").output("index");
  return b;
}

TEST(OnnxPostProcessing, DataDependentNodesAndTheirReadersAreLeftOutAndListed) {
  const Network net = import_bytes(conv_then_selection().bytes());
  ASSERT_TRUE(net.find("head"));
  EXPECT_FALSE(net.find("topk"));
  EXPECT_FALSE(net.find("after_topk"));
  const UnmodelledNodes& left_out = net.unmodelled_nodes();
  EXPECT_EQ(left_out.first, "topk");
  EXPECT_EQ(left_out.ops, (std::map<std::string, int64_t>{{"Relu", 1}, {"TopK", 1}}));
  EXPECT_EQ(left_out.graph_nodes, 4);
  EXPECT_EQ(left_out.summary(), "2 of 4 graph nodes (50.0%) from 'topk' on: Relu 1, TopK 1");
  // Kept through our JSON format.
  const std::string text = write_network_json(net);
  EXPECT_NE(text.find(R"("unmodelled_nodes": {"first": "topk", "graph_nodes": 4)"),
            std::string::npos)
      << text;
  EXPECT_EQ(parse_network_json(text, "n.json", {}).unmodelled_nodes().summary(),
            left_out.summary());
}

// Without an op that selects by the data, an unsupported op is an error as before.
TEST(OnnxPostProcessing, AnUnsupportedOpOutsidePostProcessingIsStillAnError) {
  ModelBuilder b;
  b.input("x", {1, 3, 8, 8});
  b.node("Erf", {"x"}, {"y"}, "erf");
  b.output("y");
  EXPECT_NE(test::error_of([&] { import_bytes(b.bytes()); }).find("--allow-unknown"),
            std::string::npos);
}

// RetinaNet's heads: one conv module applied to two FPN levels.
TEST(OnnxPostProcessing, WeightsSharedByTwoConvsAreCountedOnceAndReadByBoth) {
  ModelBuilder b;
  b.input("p3", {1, 8, 16, 16}).input("p4", {1, 8, 8, 8}).weight("w", {8, 8, 3, 3});
  b.weight("bias", {8});
  for (const char* level : {"p3", "p4"}) {
    auto& conv = b.node("Conv", {level, "w", "bias"}, {std::string(level) + "_out"},
                        std::string(level) + "_head");
    set_attribute(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
    b.output(std::string(level) + "_out");
  }
  const Network net = import_bytes(b.bytes());
  const int first = *net.find("p3_head"), second = *net.find("p4_head");
  EXPECT_FALSE(std::get<ConvAttrs>(net.layer(first).attrs).shared_weights);
  EXPECT_TRUE(std::get<ConvAttrs>(net.layer(second).attrs).shared_weights);
  const int64_t weights = 8 * 8 * 9 + 8;
  EXPECT_EQ(network_cost(net).total.params, weights);
  EXPECT_EQ(layer_cost(net, second).bytes_read, 4 * (8 * 8 * 8 + weights));
  const std::string text = write_network_json(net);
  EXPECT_NE(text.find(R"("shared_weights": true)"), std::string::npos) << text;
  EXPECT_EQ(network_cost(parse_network_json(text, "n.json", {})).total.params, weights);
}

}  // namespace
}  // namespace np
