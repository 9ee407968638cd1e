#pragma once
// Quantized graphs in the QDQ format (onnxruntime's static quantization, torch's export of
// fake-quantized models, TensorRT's int8): QuantizeLinear -> DequantizeLinear pairs around
// float ops. A runtime fuses DQ -> op -> Q into one int8 op (QLinearConv), so the pairs are
// views here and the ops between them are int8 layers (docs/zoo.md, "Quantized ONNX networks").
#include <cstddef>
#include <string>

#include "import_context.hpp"

namespace np::onnx_import {

// QuantizeLinear, DequantizeLinear, and a Clip of quantized values between them (torch's export
// clamps to the quantization range there): nodes that map to no layer.
bool is_quantization_node(const Context& ctx, const onnx::NodeProto& node);
void map_quantization_node(Context& ctx, const onnx::NodeProto& node);

// After `node` was mapped to the layers from `first_layer` on: they are int8 when the node read
// only int8 data and int8 weights; an int8 layer that keeps its input's quantization (max pool,
// reshape, transpose, slice, concat: no arithmetic on the values) leaves its output int8 too.
void mark_int8_layers(Context& ctx, const onnx::NodeProto& node, size_t first_layer);
// The same for the layers of a fused pattern (GELU, a linear layer on 4-d) reading `input`:
// int8 when that data is.
void mark_int8_fusion(Context& ctx, const std::string& input, size_t first_layer);

}  // namespace np::onnx_import
