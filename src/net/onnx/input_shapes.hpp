#pragma once
// The concrete shapes of a model's inputs: from --input-shape, --batch and the file's dims.
//
// A file with a fixed batch may bake that batch into constants (a torch Reshape to
// [1, 2, 58, 28, 28]), so such a file is imported at its own batch and the network's batch is
// changed afterwards (reshape targets are per-sample). A dynamic batch is filled in first.
//
// An input may have no batch dim at all: torchvision's detectors take a list of C x H x W
// images and stack them in the graph (an Unsqueeze in front of the normalised image). Such a
// network runs one image, its batch is 1 and --batch cannot change it. The walk over the graph
// finds that Unsqueeze (ONNX's shape inference does not run on a detector's If branches), so
// such a file is walked twice.
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
  // The node that stacks the inputs, which then have no batch dim, into a batch of one; empty
  // when dim 0 of the inputs is the batch.
  std::string batched_by_node;
};

ModelInputs resolve_inputs(const onnx::GraphProto& graph, const ImportOptions& options);

// Marks the inputs as having no batch dim, stacked by `stacking_node` (Context::stacking_node),
// and sets the batch to 1; throws np::Error when --batch asks for another.
void drop_batch_dim(const std::string& stacking_node, const ImportOptions& options,
                    ModelInputs& inputs);

}  // namespace np::onnx_import
