#pragma once
// The walk over a graph's nodes in their (topological) order: constants are folded, fused
// patterns emitted at their last node, every other node that reads data mapped to layers, and
// unsupported ops reported or, with --allow-unknown, kept as `unknown` layers.
#include "import_context.hpp"

namespace np::onnx_import {

// Defines the graph's initializers as constants in `ctx`.
void define_initializers(Context& ctx, const onnx::GraphProto& graph);

void import_nodes(Context& ctx, const onnx::GraphProto& graph);

}  // namespace np::onnx_import
