#include "net/json/topological_order.hpp"

#include <gtest/gtest.h>

#include "neuralpower/error.hpp"

namespace np::json {
namespace {

std::vector<std::string> ordered_names(const std::vector<GraphNode>& nodes) {
  std::vector<std::string> names;
  for (size_t i : topological_order(nodes)) names.push_back(nodes[i].name);
  return names;
}

std::string error_of(const std::vector<GraphNode>& nodes) {
  try {
    topological_order(nodes);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(TopologicalOrder, ASortedListKeepsItsOrder) {
  const std::vector<GraphNode> nodes{
      {"in", {}}, {"b", {"in"}}, {"a", {"in"}}, {"join", {"a", "b"}}, {"out", {"join"}}};
  EXPECT_EQ(ordered_names(nodes), (std::vector<std::string>{"in", "b", "a", "join", "out"}));
}

TEST(TopologicalOrder, ParentsMoveBeforeChildrenAndTiesFollowTheFile) {
  // Reversed chain plus an independent root listed last.
  const std::vector<GraphNode> nodes{
      {"c", {"b"}}, {"b", {"a"}}, {"x", {}}, {"a", {}}, {"y", {"x"}}};
  // Ready at the start: x (#2) and a (#3). After x, a (#3) still precedes y (#4); after a, b
  // (#1) and then c (#0) precede y.
  EXPECT_EQ(ordered_names(nodes), (std::vector<std::string>{"x", "a", "b", "c", "y"}));
}

TEST(TopologicalOrder, EveryParentPrecedesItsChild) {
  std::vector<GraphNode> nodes;
  // A diamond lattice written bottom-up: node i reads i+1 and i+2.
  for (int i = 0; i < 30; ++i) {
    GraphNode node{"n" + std::to_string(i), {}};
    if (i + 1 < 30) node.parents.push_back("n" + std::to_string(i + 1));
    if (i + 2 < 30) node.parents.push_back("n" + std::to_string(i + 2));
    nodes.push_back(node);
  }
  const auto order = topological_order(nodes);
  ASSERT_EQ(order.size(), nodes.size());
  std::vector<size_t> position(nodes.size());
  for (size_t p = 0; p < order.size(); ++p) position[order[p]] = p;
  for (size_t i = 0; i + 1 < nodes.size(); ++i) EXPECT_LT(position[i + 1], position[i]);
}

TEST(TopologicalOrder, ErrorsNameTheLayers) {
  EXPECT_EQ(error_of({{"a", {}}, {"a", {}}}), "duplicate layer name 'a'");
  EXPECT_EQ(error_of({{"a", {}}, {"b", {"ghost"}}}),
            "layer 'b' reads 'ghost', which is not a layer");
  EXPECT_EQ(error_of({{"in", {}}, {"p", {"in", "r"}}, {"q", {"p"}}, {"r", {"q"}}, {"tail", {"r"}}}),
            "the layers form a cycle: 'p' -> 'q' -> 'r' -> 'p'");
}

}  // namespace
}  // namespace np::json
