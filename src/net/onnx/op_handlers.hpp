#pragma once
// One function per family of ONNX ops that read data, each emitting the IR layers for one node.
// They throw Unsupported for forms the IR does not model and np::Error for malformed nodes.
#include "import_context.hpp"

namespace np::onnx_import {

using Handler = void (*)(Context&, const onnx::NodeProto&);

// map_compute_ops.cpp
void map_conv(Context& ctx, const onnx::NodeProto& node);
void map_pool(Context& ctx, const onnx::NodeProto& node);            // MaxPool, AveragePool
void map_global_pool(Context& ctx, const onnx::NodeProto& node);     // Global{Average,Max}Pool
void map_spatial_reduce(Context& ctx, const onnx::NodeProto& node);  // ReduceMean/Max over H, W
void map_gemm(Context& ctx, const onnx::NodeProto& node);
void map_matmul(Context& ctx, const onnx::NodeProto& node);
void map_einsum(Context& ctx, const onnx::NodeProto& node);  // where it is a matrix product
void map_batch_norm(Context& ctx, const onnx::NodeProto& node);
void map_activation(Context& ctx, const onnx::NodeProto& node);
void map_elementwise(Context& ctx, const onnx::NodeProto& node);
void map_concat(Context& ctx, const onnx::NodeProto& node);
void map_lrn(Context& ctx, const onnx::NodeProto& node);
void map_softmax(Context& ctx, const onnx::NodeProto& node);
void map_layer_norm(Context& ctx, const onnx::NodeProto& node);
void map_resize(Context& ctx, const onnx::NodeProto& node);  // Resize, Upsample

// map_shape_ops.cpp
void map_transpose(Context& ctx, const onnx::NodeProto& node);
void map_reshape(Context& ctx, const onnx::NodeProto& node);  // Reshape, Squeeze, Unsqueeze
void map_flatten(Context& ctx, const onnx::NodeProto& node);
void map_slice(Context& ctx, const onnx::NodeProto& node);
void map_split(Context& ctx, const onnx::NodeProto& node);
void map_gather(Context& ctx, const onnx::NodeProto& node);  // one index off dim 0: a slice
void map_pad(Context& ctx, const onnx::NodeProto& node);
void map_passthrough(Context& ctx, const onnx::NodeProto& node);  // Dropout, Identity, Cast

// The handler for an op of the default domain, nullptr when the IR does not model it.
Handler find_handler(const std::string& op_type);

// The fc layer of a MatMul with a constant rank-2 weight (shared with the MatMul+Add fusion).
Layer matmul_layer(Context& ctx, const onnx::NodeProto& node);

// A layer named after the node, reading the given layers.
Layer node_layer(const onnx::NodeProto& node, LayerKind kind, LayerAttrs attrs,
                 std::vector<int> inputs);

}  // namespace np::onnx_import
