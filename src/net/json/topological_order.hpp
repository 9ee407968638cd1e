#pragma once
// Orders the nodes of a file's layer graph so that parents come first, as the network IR
// requires, keeping the file's order wherever the graph allows it.
#include <string>
#include <vector>

namespace np::json {

struct GraphNode {
  std::string name;
  std::vector<std::string> parents;
};

// Indices into `nodes`, parents before children; among nodes that are ready at the same time
// the one earlier in `nodes` comes first, so an already sorted file keeps its order. Throws
// np::Error naming the duplicate name, the missing parent and its reader, or the layers of a
// cycle ("cycle: a -> b -> a").
std::vector<size_t> topological_order(const std::vector<GraphNode>& nodes);

}  // namespace np::json
