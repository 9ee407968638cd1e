#pragma once
// Evaluating nodes whose inputs are all constants, and Shape/Size of data (whose shapes are
// concrete at import): the int64 shape arithmetic torch exports around Reshape, Slice and
// Split (Shape -> Gather -> Div -> Unsqueeze -> Concat -> Reshape). Values are computed when
// every input's values are known; otherwise only the output shape is.
#include <optional>
#include <vector>

#include "onnx/onnx_pb.h"
#include "tensor.hpp"

namespace np::onnx_import {

// `inputs` holds nullptr for absent optional inputs. Returns nullopt when the op has no rule
// here; throws np::Error when the op is malformed or needs values that are not known.
std::optional<std::vector<Tensor>> fold_constant_node(const onnx::NodeProto& node,
                                                      const std::vector<const Tensor*>& inputs,
                                                      int64_t opset);

// Starts, ends, axes (normalised) and steps of a Slice, from its inputs (opset 10+) or
// attributes; all of the same length.
struct SliceSpec {
  std::vector<int64_t> starts, ends, axes, steps;
};
SliceSpec slice_spec(const onnx::NodeProto& node, const std::vector<const Tensor*>& inputs,
                     int64_t rank);

// Sizes of the parts of a Split of a dim: from its input (opset 13+), attribute, or equal
// parts (the last one smaller from opset 18); they add up to the dim.
std::vector<int64_t> split_sizes(const onnx::NodeProto& node,
                                 const std::vector<const Tensor*>& inputs, int64_t dim,
                                 int64_t opset);

// Integer values of a constant input (axes, starts, pads, shapes); throws naming `what` when
// the values are not known.
std::vector<int64_t> integer_values(const Tensor& t, const char* what);

}  // namespace np::onnx_import
