#pragma once
// The concrete shapes of a model's inputs: from --input-shape, --batch and the file's dims.
//
// A file with a fixed batch may bake that batch into constants (a torch Reshape to
// [1, 2, 58, 28, 28]), so such a file is imported at its own batch and the network's batch is
// changed afterwards (reshape targets are per-sample). A dynamic batch is filled in first.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "neuralpower/import_options.hpp"
#include "neuralpower/network.hpp"
#include "onnx/onnx_pb.h"

namespace np::onnx_import {

struct ModelInputs {
  std::vector<std::pair<std::string, Shape>> shapes;  // at the import batch
  int64_t import_batch = 1;
  int64_t final_batch = 1;
  DataType dtype = DataType::fp32;
};

ModelInputs resolve_inputs(const onnx::GraphProto& graph, const ImportOptions& options);

}  // namespace np::onnx_import
