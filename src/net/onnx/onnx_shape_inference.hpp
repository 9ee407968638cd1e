#pragma once
// ONNX's own shape inference (with data propagation) at the concrete input shapes: the
// reference every layer's inferred shape is checked against, and the only source of shapes
// for ops the IR does not model.
#include <string>
#include <utility>
#include <vector>

#include "import_context.hpp"

namespace np::onnx_import {

// Empty when ONNX's inference gives up on the model (our own inference still runs).
InferredShapes infer_onnx_shapes(const onnx::ModelProto& model,
                                 const std::vector<std::pair<std::string, Shape>>& inputs);

}  // namespace np::onnx_import
