#include "quantization.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "tensor_proto.hpp"

namespace np::onnx_import {
namespace {

bool is_eight_bit(int32_t elem_type) {
  return elem_type == onnx::TensorProto::INT8 || elem_type == onnx::TensorProto::UINT8;
}

bool is_clip_of_quantized(const Context& ctx, const onnx::NodeProto& node) {
  if (node.op_type() != "Clip" || node.input_size() == 0) return false;
  const Tensor* x = ctx.input(node, 0);
  return x && x->quantized;
}

// A node runs in int8 when its every data input is int8 (from DequantizeLinear) and so is every
// weight it reads (a float constant of rank 2 or more): a Gemm of int8 data by float weights
// stays a float Gemm in onnxruntime. Biases and per-channel vectors (rank 1, often left in float
// by torch's export: the runtime quantizes them to int32 when it fuses), shape inputs (int64)
// and scalars do not count.
bool reads_only_int8(const Context& ctx, const onnx::NodeProto& node) {
  bool any = false;
  for (int k = 0; k < node.input_size(); ++k) {
    const Tensor* t = ctx.input(node, k);
    if (!t) continue;
    if (t->is_data) {
      if (!t->int8) return false;
      any = true;
    } else if (!t->int8 && !is_integral_type(t->elem_type) && t->shape.size() >= 2) {
      return false;
    }
  }
  return any;
}

// The op between an int8 op and the QuantizeLinear of its result (Conv -> Relu -> Q: torch's
// export of a fused ConvReLU) is applied by the runtime when it requantizes, in int8.
bool finishes_an_int8_op(const Context& ctx, const onnx::NodeProto& node) {
  bool any = false;
  for (int k = 0; k < node.input_size(); ++k) {
    const Tensor* t = ctx.input(node, k);
    if (!t || !t->is_data) continue;
    if (t->layer < 0 || ctx.layers().at(static_cast<size_t>(t->layer)).dtype != DataType::int8) {
      return false;
    }
    any = true;
  }
  for (const auto& name : node.output()) {
    if (name.empty()) continue;
    for (const auto& reader : ctx.readers(name)) any = any && reader == "QuantizeLinear";
  }
  return any;
}

bool keeps_quantization(const Layer& layer) {
  switch (layer.kind) {
    case LayerKind::pool:
      return std::get<PoolAttrs>(layer.attrs).mode == PoolMode::max;
    case LayerKind::reshape:
    case LayerKind::flatten:
    case LayerKind::transpose:
    case LayerKind::slice:
    case LayerKind::concat:
    case LayerKind::identity:
    case LayerKind::dropout:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool is_quantization_node(const Context& ctx, const onnx::NodeProto& node) {
  if (!default_domain(node)) return false;
  return node.op_type() == "QuantizeLinear" || node.op_type() == "DequantizeLinear" ||
         is_clip_of_quantized(ctx, node);
}

void map_quantization_node(Context& ctx, const onnx::NodeProto& node) {
  Tensor out = ctx.required_input(node, 0);
  if (node.op_type() == "Clip") {  // clamping the integers to the quantization range
    ctx.define(node.output(0), std::move(out));
    return;
  }
  if (node.op_type() == "QuantizeLinear") {
    // The output type is the zero point's (uint8 when it is absent); 16-bit is not int8.
    const Tensor* zero_point = ctx.input(node, 2);
    const int32_t type = zero_point ? zero_point->elem_type : onnx::TensorProto::UINT8;
    if (!is_eight_bit(type)) {
      throw Unsupported("QuantizeLinear to element type " + std::to_string(type) +
                        " (only 8-bit integers are modelled)");
    }
    out.elem_type = type;
    out.quantized = true;
  } else if (!out.is_data && out.elem_type == onnx::TensorProto::INT32) {
    // A bias in int32, of the op the runtime replaces with an int8 one; its few elements are
    // counted with the op's int8 bytes.
    out.elem_type = onnx::TensorProto::FLOAT;
    out.quantized = false;
  } else {
    if (!out.quantized && !(!out.is_data && is_eight_bit(out.elem_type))) {
      throw Unsupported("DequantizeLinear of " +
                        std::string(out.is_data ? "data that no QuantizeLinear made"
                                                : "element type " + std::to_string(out.elem_type)) +
                        " (only 8-bit integers are modelled)");
    }
    out.elem_type = onnx::TensorProto::FLOAT;
    out.quantized = false;
  }
  out.int8 = true;
  out.values.reset();  // quantized values are never shape arithmetic
  out.graph_constant = false;
  ctx.define(node.output(0), std::move(out));
}

void mark_int8_layers(Context& ctx, const onnx::NodeProto& node, size_t first_layer) {
  if (ctx.layers().size() == first_layer) return;
  if (!reads_only_int8(ctx, node) && !finishes_an_int8_op(ctx, node)) return;
  ctx.set_dtype_from(first_layer, DataType::int8);
  if (!keeps_quantization(ctx.layers().back())) return;
  for (const auto& name : node.output()) {
    if (name.empty() || !ctx.knows(name) || !ctx.tensor(name).is_data) continue;
    Tensor out = ctx.tensor(name);
    out.int8 = true;
    ctx.define(name, std::move(out));
  }
}

void mark_int8_fusion(Context& ctx, const std::string& input, size_t first_layer) {
  if (ctx.knows(input) && ctx.tensor(input).int8) ctx.set_dtype_from(first_layer, DataType::int8);
}

}  // namespace np::onnx_import
