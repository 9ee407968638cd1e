#pragma once
// Reading networks: the zoo, our JSON format (docs/network-format.md), Paleo's JSON nets and
// ONNX files. Every reader returns a Network with shapes inferred at the requested batch.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/network.hpp"

namespace np {

struct ImportOptions {
  std::optional<int64_t> batch;               // overrides the file's batch
  std::map<std::string, Shape> input_shapes;  // --input-shape NAME=1x3x224x224 (full shapes)
  std::optional<Shape> input_shape;           // --input-shape 1x3x224x224 for a single input
  bool allow_unknown = false;                 // unsupported ops become zero-cost `unknown`
};

// ONNX model file. Errors name the node and op ("onnx node 'conv3' (Conv): ...").
Network import_onnx(const std::string& path, const ImportOptions& options);
// Same, from the bytes of a model (tests, and files already in memory).
Network import_onnx_bytes(const std::string& bytes, const std::string& display_name,
                          const ImportOptions& options);

// Our JSON network format.
Network read_network_json(const std::string& path, const ImportOptions& options);
Network parse_network_json(const std::string& text, const std::string& display_name,
                           const ImportOptions& options);
std::string write_network_json(const Network& net);

// Paleo's JSON nets (Qi et al. 2016, github.com/TalwalkarLab/paleo, nets/*.json).
Network import_paleo(const std::string& path, const ImportOptions& options);
Network parse_paleo_json(const std::string& text, const std::string& display_name,
                         const ImportOptions& options);
// True when the text is a Paleo net: an object whose "layers" is an object of named specs.
bool is_paleo_json(const std::string& text);

// NET is a zoo name ("alexnet", "resnet50") or a path to a .onnx or .json file.
Network load_network(const std::string& spec, const ImportOptions& options);

struct ZooEntry {
  std::string name;
  std::string path;    // the file behind it
  std::string format;  // "json" or "onnx"
};
// Zoo folder: $NEURALPOWER_ZOO if set, else the source tree's zoo/ or the installed one.
std::string zoo_dir();
std::vector<ZooEntry> zoo_entries();

}  // namespace np
