#pragma once
// The layer graph of a Paleo net (github.com/TalwalkarLab/paleo, paleo/graph.py): Blocks
// flattened into "block/layer" names and every parent resolved to a layer name.
#include <string>
#include <vector>

#include "net/json/shape_values.hpp"

namespace np::json {

struct PaleoNode {
  std::string name;                  // "Mixed_5b/Branch_1/Conv2d_0a_1x1" inside a Block
  std::string type;                  // "Convolution", "Input", ...
  const Json* spec = nullptr;        // the layer's object in the parsed file
  std::vector<std::string> parents;  // resolved names of other nodes
};

// Flattens the "layers" object of a Paleo file as paleo/graph.py does: a Block's layers are
// named "block/layer"; one with empty parents reads the Block's parents, the others name
// layers of the same Block; a parent that names a Block reads the Block's "endpoint". Nodes
// come in file order. Throws np::Error naming the layer on a malformed spec, a parent that
// names a Block without an endpoint, and ModelParallel splits ("x@all"), which describe
// several devices.
std::vector<PaleoNode> flatten_paleo_layers(const Json& layers);

}  // namespace np::json
