#include "net/json/paleo_graph.hpp"

#include <map>
#include <set>

#include "neuralpower/error.hpp"

namespace np::json {
namespace {

// Blocks inside Blocks are an extension (Paleo itself reads one level); the limit keeps a
// hostile file from exhausting the stack.
constexpr int kMaxBlockDepth = 16;

struct Flattener {
  std::vector<PaleoNode> nodes;
  std::map<std::string, std::string> block_endpoints;  // block name -> "block/endpoint"
  std::set<std::string> blocks;

  // `scope` is "" at the top level and "block/" inside a Block; `inherited` are the parents
  // of the enclosing Block, in their unresolved form, for layers that list none.
  void add_layers(const Json& layers, const std::string& scope,
                  const std::vector<std::string>& inherited, int depth) {
    if (!layers.is_object()) {
      throw Error("key 'layers' must be an object of named layers, got " + brief(layers));
    }
    if (depth > kMaxBlockDepth) {
      throw Error("Blocks are nested more than " + std::to_string(kMaxBlockDepth) + " deep");
    }
    for (const auto& item : layers.items()) {
      const std::string name = scope + item.key();
      try {
        add_layer(name, item.value(), scope, inherited, depth);
      } catch (...) {
        rethrow_with_context("layer '" + name + "'");
      }
    }
  }

  void add_layer(const std::string& name, const Json& spec, const std::string& scope,
                 const std::vector<std::string>& inherited, int depth) {
    ObjectReader r(spec, "a layer");
    std::vector<std::string> parents;
    if (!spec.contains("parents") && name == "data" && scope.empty()) {
      parents = {};  // Paleo's data layer sometimes omits its empty parents
    } else {
      parents = r.string_list_or("parents", {});
      r.required("parents");
    }
    for (const auto& parent : parents) {
      if (parent.find('@') != std::string::npos) {
        throw Error("parent '" + parent +
                    "' refers to a ModelParallel split, which describes several devices and "
                    "is not supported");
      }
    }
    if (parents.empty()) {
      parents = inherited;
    } else {
      for (auto& parent : parents) parent = scope + parent;
    }
    const std::string type = r.optional_string("type").value_or(name == "data" ? "Input" : "");
    if (type.empty()) throw Error("missing key 'type'");
    if (type == "Block") {
      blocks.insert(name);
      if (const auto endpoint = r.optional_string("endpoint")) {
        block_endpoints[name] = name + "/" + *endpoint;
      }
      add_layers(r.required("layers"), name + "/", parents, depth + 1);
      return;
    }
    nodes.push_back({name, type, &spec, std::move(parents)});
  }

  // A Block's endpoint may itself be a nested Block, hence the loop; the bound stops a Block
  // whose endpoint names the Block itself.
  std::string resolve(const std::string& parent, const std::string& reader) const {
    std::string name = parent;
    for (int hops = 0; hops <= kMaxBlockDepth; ++hops) {
      const auto it = block_endpoints.find(name);
      if (it != block_endpoints.end()) {
        name = it->second;
        continue;
      }
      if (blocks.count(name) != 0) {
        throw Error("layer '" + reader + "' reads Block '" + name + "', which has no endpoint");
      }
      return name;
    }
    throw Error("the endpoints of Block '" + parent + "' lead back to a Block");
  }
};

}  // namespace

std::vector<PaleoNode> flatten_paleo_layers(const Json& layers) {
  Flattener flattener;
  flattener.add_layers(layers, "", {}, 0);
  for (auto& node : flattener.nodes) {
    for (auto& parent : node.parents) parent = flattener.resolve(parent, node.name);
  }
  return std::move(flattener.nodes);
}

}  // namespace np::json
