#pragma once
// How a network file is read: the options every importer (ONNX, our JSON, Paleo's JSON) takes.
// Every reader returns a Network with shapes inferred at the requested batch.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "neuralpower/shape.hpp"

namespace np {

struct ImportOptions {
  std::optional<int64_t> batch;               // overrides the file's batch
  std::map<std::string, Shape> input_shapes;  // --input-shape NAME=1x3x224x224 (full shapes)
  std::optional<Shape> input_shape;           // --input-shape 1x3x224x224 for a single input
  bool allow_unknown = false;                 // unsupported ops become zero-cost `unknown`
};

}  // namespace np
