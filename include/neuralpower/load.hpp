#pragma once
// Loading a network by name: a zoo name, or a .onnx or .json file of either JSON format.
#include <string>
#include <vector>

#include "neuralpower/import_options.hpp"
#include "neuralpower/network.hpp"

namespace np {

// NET is a zoo name ("alexnet", "resnet50") or a path to a .onnx or .json file.
Network load_network(const std::string& spec, const ImportOptions& options);
// The same, but a network whose input has no batch dim (a detector's one image), which no batch
// override fits, comes at its batch of 1 (has_batch_dim() false) instead of an error.
Network load_network_at_batch_or_one_image(const std::string& spec, const ImportOptions& options);

struct ZooEntry {
  std::string name;
  std::string path;    // the file behind it
  std::string format;  // "json" or "onnx"
};
// Zoo folder: $NEURALPOWER_ZOO if set, else the source tree's zoo/ or the installed one.
std::string zoo_dir();
std::vector<ZooEntry> zoo_entries();

}  // namespace np
