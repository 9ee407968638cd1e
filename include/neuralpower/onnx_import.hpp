#pragma once
// Reading ONNX model files into the network IR (docs/network-format.md lists the ops mapped).
#include <string>

#include "neuralpower/import_options.hpp"
#include "neuralpower/network.hpp"

namespace np {

// ONNX model file. Errors name the node and op ("onnx node 'conv3' (Conv): ...").
Network import_onnx(const std::string& path, const ImportOptions& options);
// Same, from the bytes of a model (tests, and files already in memory).
Network import_onnx_bytes(const std::string& bytes, const std::string& display_name,
                          const ImportOptions& options);

}  // namespace np
