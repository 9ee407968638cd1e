#pragma once
// Reading initializers and Constant nodes: dims always, values when the file holds them
// (weight-free files keep dims only) and there are at most kMaxFoldedElements of them.
#include <string>

#include "onnx/onnx_pb.h"
#include "tensor.hpp"

namespace np::onnx_import {

// `what` names the tensor in errors ("initializer 'fc.weight'").
Tensor read_tensor_proto(const onnx::TensorProto& proto, const std::string& what);

// Throws unless the raw bytes, when the tensor has them and its type a fixed size, are exactly
// its element count times that size: ONNX's own readers trust them (ONNX 1.12 copies all the
// bytes into a vector sized from whole elements).
void check_raw_data_size(const onnx::TensorProto& proto);

// The value of a Constant node (value, value_int(s), value_float(s) attributes).
Tensor read_constant_node(const onnx::NodeProto& node);

// True for the element types whose values fold as integers.
bool is_integral_type(int32_t elem_type);

}  // namespace np::onnx_import
