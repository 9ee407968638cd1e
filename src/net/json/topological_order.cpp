#include "net/json/topological_order.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

#include "neuralpower/error.hpp"

namespace np::json {
namespace {

// Walks parent links among the nodes left over by Kahn's algorithm (each has a parent that is
// also left over) until a node repeats: the nodes from its first visit on form a cycle.
std::string describe_cycle(const std::vector<std::vector<size_t>>& parents_of,
                           const std::vector<size_t>& pending_parents,
                           const std::vector<GraphNode>& nodes) {
  size_t start = 0;
  while (pending_parents[start] == 0) ++start;
  std::vector<size_t> path;
  std::vector<int> position(nodes.size(), -1);
  size_t current = start;
  while (position[current] < 0) {
    position[current] = static_cast<int>(path.size());
    path.push_back(current);
    for (size_t parent : parents_of[current]) {
      if (pending_parents[parent] != 0) {
        current = parent;
        break;
      }
    }
  }
  // The walk follows parents: reverse it to read in data-flow order, and start the cycle at
  // its first layer in the file so that the message does not depend on where the walk began.
  std::vector<size_t> cycle(path.rbegin(), path.rend() - position[current]);
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  std::string text;
  for (size_t node : cycle) text += "'" + nodes[node].name + "' -> ";
  return text + "'" + nodes[cycle.front()].name + "'";
}

}  // namespace

std::vector<size_t> topological_order(const std::vector<GraphNode>& nodes) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!index.emplace(nodes[i].name, i).second) {
      throw Error("duplicate layer name '" + nodes[i].name + "'");
    }
  }
  std::vector<std::vector<size_t>> parents_of(nodes.size());
  std::vector<std::vector<size_t>> children_of(nodes.size());
  std::vector<size_t> pending_parents(nodes.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& parent : nodes[i].parents) {
      const auto it = index.find(parent);
      if (it == index.end()) {
        throw Error("layer '" + nodes[i].name + "' reads '" + parent + "', which is not a layer");
      }
      parents_of[i].push_back(it->second);
      children_of[it->second].push_back(i);
      ++pending_parents[i];
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (pending_parents[i] == 0) ready.push(i);
  }
  std::vector<size_t> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    const size_t next = ready.top();
    ready.pop();
    order.push_back(next);
    for (size_t child : children_of[next]) {
      if (--pending_parents[child] == 0) ready.push(child);
    }
  }
  if (order.size() != nodes.size()) {
    throw Error("the layers form a cycle: " + describe_cycle(parents_of, pending_parents, nodes));
  }
  return order;
}

}  // namespace np::json
