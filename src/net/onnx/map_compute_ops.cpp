// ONNX ops that compute: convolution, pooling, fully connected, normalisation, activations,
// elementwise arithmetic, concatenation.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "attributes.hpp"
#include "constant_folding.hpp"
#include "neuralpower/checked.hpp"
#include "op_handlers.hpp"
#include "shape_ops.hpp"

namespace np::onnx_import {
namespace {

struct WindowAttributes {
  std::vector<int64_t> kernel, strides, dilations;
  std::array<int64_t, 4> pads{};  // top, left, bottom, right
};

// Pads of a 2-D window, from `pads` or `auto_pad` (SAME_* put the odd pixel at the end for
// UPPER and at the beginning for LOWER), plus a Pad node folded in front of it.
std::array<int64_t, 4> window_pads(const onnx::NodeProto& node, const Tensor& x,
                                   const WindowAttributes& w) {
  const std::string auto_pad = string_attribute(node, "auto_pad", "NOTSET");
  std::array<int64_t, 4> pads{};
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    const auto given = ints_attribute(node, "pads", {0, 0, 0, 0});
    for (size_t i = 0; i < 4; ++i) {
      if (given[i] < 0)
        throw Unsupported("negative pads " + list_to_string(given) + " are not modelled");
      pads[i] = given[i];
    }
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (size_t axis = 0; axis < 2; ++axis) {
      const int64_t in = x.shape[2 + axis];
      const int64_t stride = w.strides[axis];
      const int64_t out = (in + stride - 1) / stride;
      const int64_t span =
          checked_add(checked_mul(out - 1, stride, "auto_pad"),
                      checked_add(checked_mul(w.kernel[axis] - 1, w.dilations[axis], "auto_pad"), 1,
                                  "auto_pad"),
                      "auto_pad");
      const int64_t total = std::max<int64_t>(0, span - in);
      const int64_t small = total / 2, large = total - small;
      pads[axis] = auto_pad == "SAME_UPPER" ? small : large;
      pads[axis + 2] = auto_pad == "SAME_UPPER" ? large : small;
    }
  } else if (auto_pad != "VALID") {
    throw Error("auto_pad '" + auto_pad + "' is not an ONNX value");
  }
  if (x.pad) {
    pads[0] += x.pad->top;
    pads[1] += x.pad->left;
    pads[2] += x.pad->bottom;
    pads[3] += x.pad->right;
  }
  return pads;
}

// The IR's window: the kernel and strides of the attributes with the pads window_pads works out.
Window ir_window(const onnx::NodeProto& node, const Tensor& x, const WindowAttributes& w) {
  const auto pads = window_pads(node, x, w);
  Window window;
  window.kernel_h = w.kernel[0];
  window.kernel_w = w.kernel[1];
  window.stride_h = w.strides[0];
  window.stride_w = w.strides[1];
  window.pad_top = pads[0];
  window.pad_left = pads[1];
  window.pad_bottom = pads[2];
  window.pad_right = pads[3];
  return window;
}

void require_spatial_rank(const Tensor& x, const char* what) {
  if (x.shape.size() != 4) {
    throw Unsupported(std::string("only 2-D ") + what +
                      " (a rank-4 input) is modelled; the input is " + shape_to_string(x.shape) +
                      " (rank " + std::to_string(x.shape.size()) + ")");
  }
}

void require_positive(const std::vector<int64_t>& values, const char* what) {
  for (int64_t v : values) {
    if (v <= 0) throw Error(std::string(what) + " " + list_to_string(values) + " must be positive");
  }
}

std::string padded_op(const Tensor& x, const onnx::NodeProto& node) {
  return x.pad ? "Pad+" + node.op_type() : node.op_type();
}

Layer single_input_layer(Context& ctx, const onnx::NodeProto& node, LayerKind kind,
                         LayerAttrs attrs) {
  const Tensor& x = ctx.data_input(node, 0);
  return node_layer(node, kind, std::move(attrs), {x.layer});
}

}  // namespace

Layer node_layer(const onnx::NodeProto& node, LayerKind kind, LayerAttrs attrs,
                 std::vector<int> inputs) {
  Layer layer;
  layer.name = node_display_name(node);
  layer.kind = kind;
  layer.op = node.op_type();
  layer.inputs = std::move(inputs);
  layer.attrs = std::move(attrs);
  return layer;
}

void map_conv(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0, true);
  require_spatial_rank(x, "convolution");
  const Tensor& weight = ctx.required_input(node, 1);
  if (weight.is_data) throw Unsupported("the weight is computed from the input, not a constant");
  if (weight.shape.size() != 4) {
    throw Error("weight of shape " + shape_to_string(weight.shape) + ", expected rank 4");
  }
  WindowAttributes w;
  w.kernel = ints_attribute(node, "kernel_shape", {weight.shape[2], weight.shape[3]});
  if (w.kernel[0] != weight.shape[2] || w.kernel[1] != weight.shape[3]) {
    throw Error("kernel_shape " + list_to_string(w.kernel) + " differs from the weight's " +
                shape_to_string(weight.shape));
  }
  w.strides = ints_attribute(node, "strides", {1, 1});
  w.dilations = ints_attribute(node, "dilations", {1, 1});
  require_positive(w.strides, "strides");
  require_positive(w.dilations, "dilations");
  ConvAttrs a;
  a.out_channels = weight.shape[0];
  a.groups = int_attribute(node, "group", 1);
  if (a.groups <= 0) throw Error("group " + std::to_string(a.groups) + " must be positive");
  const int64_t expected = checked_mul(weight.shape[1], a.groups, "conv channels");
  if (expected != x.shape[1]) {
    throw Error("weight " + shape_to_string(weight.shape) + " with group " +
                std::to_string(a.groups) + " expects " + std::to_string(expected) +
                " input channels, the input " + shape_to_string(x.shape) + " has " +
                std::to_string(x.shape[1]));
  }
  a.set_window(ir_window(node, x, w));
  a.dilation_h = w.dilations[0];
  a.dilation_w = w.dilations[1];
  a.bias = ctx.input(node, 2) != nullptr;
  Layer layer = node_layer(node, LayerKind::conv, a, {x.layer});
  layer.op = padded_op(x, node);
  const int id = ctx.emit(std::move(layer), node.output(0));
  ctx.set_constant_operand_names(id, {node.input(1)});
}

void map_pool(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0, true);
  require_spatial_rank(x, "pooling");
  WindowAttributes w;
  const auto kernel = ints_attribute(node, "kernel_shape");
  if (!kernel || kernel->size() != 2) throw Error("kernel_shape must have 2 values");
  w.kernel = *kernel;
  w.strides = ints_attribute(node, "strides", {1, 1});
  w.dilations = ints_attribute(node, "dilations", {1, 1});
  require_positive(w.kernel, "kernel_shape");
  require_positive(w.strides, "strides");
  if (w.dilations != std::vector<int64_t>{1, 1}) {
    throw Unsupported("pooling dilations " + list_to_string(w.dilations) + " are not modelled");
  }
  PoolAttrs a;
  a.mode = node.op_type() == "MaxPool" ? PoolMode::max : PoolMode::avg;
  a.set_window(ir_window(node, x, w));
  a.ceil_mode = int_attribute(node, "ceil_mode", 0) != 0;
  a.count_include_pad = int_attribute(node, "count_include_pad", 0) != 0;
  Layer layer = node_layer(node, LayerKind::pool, a, {x.layer});
  layer.op = padded_op(x, node);
  ctx.emit(std::move(layer), node.output(0));
}

void map_global_pool(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  require_spatial_rank(x, "pooling");
  PoolAttrs a;
  a.mode = node.op_type() == "GlobalMaxPool" ? PoolMode::max : PoolMode::avg;
  a.global = true;
  ctx.emit(node_layer(node, LayerKind::pool, a, {x.layer}), node.output(0));
}

void map_spatial_reduce(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  std::vector<int64_t> axes;
  if (const Tensor* listed = ctx.input(node, 1)) {
    axes = integer_values(*listed, "axes");
  } else {
    axes = ints_attribute(node, "axes").value_or(std::vector<int64_t>{});
  }
  const auto rank = static_cast<int64_t>(x.shape.size());
  axes = normalize_axes(axes, rank, "axis");
  std::sort(axes.begin(), axes.end());
  if (rank != 4 || axes != std::vector<int64_t>{2, 3}) {
    throw Unsupported(node.op_type() + " over axes " + list_to_string(axes) + " of " +
                      shape_to_string(x.shape) +
                      " is not modelled (only over height and width of a rank-4 input)");
  }
  PoolAttrs a;
  a.mode = node.op_type() == "ReduceMax" ? PoolMode::max : PoolMode::avg;
  a.global = true;
  const bool keep_dims = int_attribute(node, "keepdims", 1) != 0;
  const int pool =
      ctx.emit(node_layer(node, LayerKind::pool, a, {x.layer}), keep_dims ? node.output(0) : "");
  if (!keep_dims) {
    Layer squeeze = node_layer(node, LayerKind::flatten, NoAttrs{}, {pool});
    squeeze.name += "/squeeze";
    ctx.emit(std::move(squeeze), node.output(0));
  }
}

void map_gemm(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  if (x.shape.size() != 2) {
    throw Error("Gemm needs a rank-2 input, got " + shape_to_string(x.shape));
  }
  if (int_attribute(node, "transA", 0) != 0) throw Unsupported("transA = 1 is not modelled");
  const Tensor& weight = ctx.required_input(node, 1);
  if (weight.is_data)
    throw Unsupported("B is computed from the input; only a constant weight is modelled");
  if (weight.shape.size() != 2) {
    throw Error("B of shape " + shape_to_string(weight.shape) + ", expected rank 2");
  }
  const bool transposed = int_attribute(node, "transB", 0) != 0;
  const int64_t k = weight.shape[transposed ? 1 : 0];
  FcAttrs a;
  a.out_features = weight.shape[transposed ? 0 : 1];
  if (x.shape[1] != k) {
    throw Error("the input has " + std::to_string(x.shape[1]) + " features, B " +
                shape_to_string(weight.shape) + (transposed ? " (transB)" : "") + " expects " +
                std::to_string(k));
  }
  a.bias = ctx.input(node, 2) != nullptr;
  ctx.emit(node_layer(node, LayerKind::fc, a, {x.layer}), node.output(0));
}

Layer matmul_layer(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  const Tensor& weight = ctx.required_input(node, 1);
  if (weight.is_data) {
    if (x.shape.size() < 3 || weight.shape.size() != x.shape.size()) {
      throw Unsupported("MatMul of two computed tensors " + shape_to_string(x.shape) + " and " +
                        shape_to_string(weight.shape) +
                        " is modelled only for operands of one rank >= 3");
    }
    return node_layer(node, LayerKind::matmul, MatmulAttrs{},
                      {x.layer, ctx.data_input(node, 1).layer});
  }
  if (x.shape.size() < 2 || weight.shape.size() < 2) {
    throw Unsupported("MatMul of " + shape_to_string(x.shape) + " by a constant " +
                      shape_to_string(weight.shape) + " is not modelled (rank < 2)");
  }
  if (weight.shape.size() > 2) {
    MatmulAttrs a;
    a.constant_b = weight.shape;
    return node_layer(node, LayerKind::matmul, a, {x.layer});
  }
  if (x.shape.back() != weight.shape[0]) {
    throw Error("the input " + shape_to_string(x.shape) + " does not match the weight " +
                shape_to_string(weight.shape));
  }
  FcAttrs a;
  a.out_features = weight.shape[1];
  a.bias = false;
  return node_layer(node, LayerKind::fc, a, {x.layer});
}

void map_matmul(Context& ctx, const onnx::NodeProto& node) {
  ctx.emit(matmul_layer(ctx, node), node.output(0));
}

namespace {

struct EinsumTerms {
  std::string a, b, out;
};

EinsumTerms parse_einsum(const std::string& equation) {
  std::string text;
  for (char ch : equation) {
    if (ch != ' ') text += ch;
  }
  const auto comma = text.find(',');
  const auto arrow = text.find("->");
  if (comma == std::string::npos || arrow == std::string::npos || arrow < comma ||
      text.find(',', comma + 1) != std::string::npos || text.find('.') != std::string::npos) {
    throw Unsupported("Einsum '" + equation + "' is not a product of two operands");
  }
  return {text.substr(0, comma), text.substr(comma + 1, arrow - comma - 1), text.substr(arrow + 2)};
}

}  // namespace

// An Einsum that is a batched matrix product: both operands and the output share their
// leading (batch) letters in order, the output ends in (m, n), and each operand's last two
// letters are (m, k) or (k, m), and (k, n) or (n, k).
void map_einsum(Context& ctx, const onnx::NodeProto& node) {
  const auto* attribute = find_attribute(node, "equation");
  if (!attribute) throw Error("Einsum has no equation attribute");
  const std::string equation = attribute->s();
  const EinsumTerms t = parse_einsum(equation);
  const auto not_matmul = [&] {
    return Unsupported("Einsum '" + equation + "' is not a batched matrix product");
  };
  if (t.a.size() != t.b.size() || t.a.size() != t.out.size() || t.a.size() < 3) throw not_matmul();
  const size_t batch = t.a.size() - 2;
  if (t.a.substr(0, batch) != t.out.substr(0, batch) ||
      t.b.substr(0, batch) != t.out.substr(0, batch)) {
    throw not_matmul();
  }
  const char m = t.out[batch], n = t.out[batch + 1];
  const std::string a_tail = t.a.substr(batch), b_tail = t.b.substr(batch);
  MatmulAttrs a;
  char k = 0;
  if (a_tail[0] == m) {
    k = a_tail[1];
  } else if (a_tail[1] == m) {
    k = a_tail[0];
    a.transpose_a = true;
  } else {
    throw not_matmul();
  }
  if (b_tail == std::string{k, n}) {
    a.transpose_b = false;
  } else if (b_tail == std::string{n, k}) {
    a.transpose_b = true;
  } else {
    throw not_matmul();
  }
  if (k == m || k == n || m == n || t.out.substr(0, batch).find(k) != std::string::npos) {
    throw not_matmul();
  }
  const Tensor& x = ctx.data_input(node, 0);
  if (!ctx.is_data(node, 1)) throw Unsupported("Einsum with a constant operand is not modelled");
  ctx.emit(node_layer(node, LayerKind::matmul, a, {x.layer, ctx.data_input(node, 1).layer}),
           node.output(0));
}

namespace {

// 0 is allowed (torch's BatchNorm2d(eps=0)); a negative or non-finite one is not a normalisation.
double epsilon_attribute(const onnx::NodeProto& node) {
  const double epsilon = float_attribute(node, "epsilon", 1e-5);
  if (!(epsilon >= 0) || !std::isfinite(epsilon)) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", epsilon);
    throw Error("epsilon " + std::string(text) + " is negative or not finite");
  }
  return epsilon;
}

}  // namespace

void map_batch_norm(Context& ctx, const onnx::NodeProto& node) {
  BnAttrs a;
  a.epsilon = epsilon_attribute(node);
  ctx.emit(single_input_layer(ctx, node, LayerKind::bn, a), node.output(0));
}

namespace {

// A Clip bound: from the input (opset 11+) or attribute, the relu6 bound when a weight-free
// file dropped its value, and no bound when absent.
double clip_bound(Context& ctx, const onnx::NodeProto& node, int input, const char* attribute,
                  double relu6_bound, double unbounded) {
  if (ctx.opset() < 11) return float_attribute(node, attribute, unbounded);
  const Tensor* t = ctx.input(node, input);
  if (!t) return unbounded;
  if (t->is_data) throw Unsupported("a Clip bound computed from the input is not modelled");
  if (!t->values || t->values->size() != 1) return relu6_bound;
  return t->values->real(0);
}

}  // namespace

void map_activation(Context& ctx, const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  ActAttrs a;
  if (op == "Relu") {
    a = make_activation("relu");
  } else if (op == "LeakyRelu") {
    a = make_activation("leaky_relu");
    a.alpha = float_attribute(node, "alpha", 0.01);
  } else if (op == "Sigmoid") {
    a = make_activation("sigmoid");
  } else if (op == "HardSigmoid") {
    a = make_activation("hard_sigmoid");
    a.alpha = float_attribute(node, "alpha", 0.2);
    a.beta = float_attribute(node, "beta", 0.5);
  } else if (op == "HardSwish") {
    a = make_activation("hard_swish");
  } else if (op == "Tanh") {
    a = make_activation("tanh");
  } else if (op == "Gelu") {
    a = make_activation("gelu");
  } else if (op == "Clip") {
    a = make_activation("clip");
    a.alpha = clip_bound(ctx, node, 1, "min", 0.0, std::numeric_limits<float>::lowest());
    a.beta = clip_bound(ctx, node, 2, "max", 6.0, std::numeric_limits<float>::max());
  } else {
    throw Unsupported("unsupported activation");
  }
  ctx.emit(single_input_layer(ctx, node, LayerKind::act, a), node.output(0));
}

void map_elementwise(Context& ctx, const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  LayerKind kind = LayerKind::add;
  if (op == "Mul" || op == "Div") kind = LayerKind::mul;
  if (op == "Max" || op == "Min") kind = LayerKind::max;
  EltwiseAttrs a;
  std::vector<int> inputs;
  std::vector<std::string> names;  // of the constant operands
  for (int k = 0; k < node.input_size(); ++k) {
    const Tensor* t = ctx.input(node, k);
    if (!t) continue;
    if (t->is_data) {
      inputs.push_back(ctx.data_input(node, k).layer);
    } else {
      a.constant_operands.push_back(t->shape);
      // An empty name: a Constant node's number, read but never a parameter.
      names.push_back(t->graph_constant ? std::string() : node.input(k));
    }
  }
  if (inputs.size() + a.constant_operands.size() == 1) {
    ctx.emit(node_layer(node, LayerKind::identity, NoAttrs{}, inputs), node.output(0));
    return;
  }
  const int id = ctx.emit(node_layer(node, kind, a, inputs), node.output(0));
  ctx.set_constant_operand_names(id, std::move(names));
}

// A constant operand before every data operand (ViT's class token, expanded over the file's
// batch) is one sample's parameter tensor broadcast over dim 0.
void map_concat(Context& ctx, const onnx::NodeProto& node) {
  std::vector<int> inputs;
  ConcatAttrs a;
  size_t rank = 0;
  for (int k = 0; k < node.input_size(); ++k) {
    const Tensor* t = ctx.input(node, k);
    if (!t) continue;
    rank = t->shape.size();
    if (!t->is_data) {
      if (!inputs.empty() || t->shape.size() < 2 ||
          (t->shape[0] != 1 && t->shape[0] != ctx.batch())) {
        throw Unsupported("Concat with a constant operand " + shape_to_string(t->shape) +
                          " is modelled only before the data operands, one per sample");
      }
      Shape one = t->shape;
      one[0] = 1;
      a.constant_operands.push_back(one);
      continue;
    }
    inputs.push_back(ctx.data_input(node, k).layer);
  }
  if (inputs.empty()) throw Error("Concat has no data operand");
  const auto axis = int_attribute(node, "axis");
  if (!axis) throw Error("Concat has no axis attribute");
  a.axis = normalize_axis(*axis, static_cast<int64_t>(rank), "axis");
  if (a.axis == 0 && inputs.size() == 1 && a.constant_operands.empty()) {
    // A batch of one tensor (a detector's list of one image) is that tensor. (DenseNet's
    // concatenation of one tensor along the channels stays a concat: frameworks copy it.)
    for (int k = 0; k < node.input_size(); ++k) {
      if (ctx.is_data(node, k)) ctx.define(node.output(0), ctx.data_input(node, k));
    }
    return;
  }
  ctx.emit(node_layer(node, LayerKind::concat, a, inputs), node.output(0));
}

void map_lrn(Context& ctx, const onnx::NodeProto& node) {
  LrnAttrs a;
  const auto size = int_attribute(node, "size");
  if (!size || *size <= 0) throw Error("LRN needs a positive size attribute");
  a.size = *size;
  a.alpha = float_attribute(node, "alpha", 1e-4);
  a.beta = float_attribute(node, "beta", 0.75);
  a.bias = float_attribute(node, "bias", 1.0);
  ctx.emit(single_input_layer(ctx, node, LayerKind::lrn, a), node.output(0));
}

void map_softmax(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  SoftmaxAttrs a;
  const int64_t axis = int_attribute(node, "axis", ctx.opset() < 13 ? 1 : -1);
  a.axis = normalize_axis(axis, static_cast<int64_t>(x.shape.size()), "axis");
  ctx.emit(node_layer(node, LayerKind::softmax, a, {x.layer}), node.output(0));
}

void map_layer_norm(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  LayerNormAttrs a;
  a.axis =
      normalize_axis(int_attribute(node, "axis", -1), static_cast<int64_t>(x.shape.size()), "axis");
  if (a.axis == 0) throw Unsupported("LayerNormalization over the batch axis is not modelled");
  a.epsilon = epsilon_attribute(node);
  a.affine = ctx.input(node, 1) != nullptr;
  ctx.emit(node_layer(node, LayerKind::layernorm, a, {x.layer}), node.output(0));
}

}  // namespace np::onnx_import

namespace np::onnx_import {
namespace {

// A constant input of Resize or Upsample, nullptr when it is absent or has no elements (ONNX
// leaves unused inputs empty).
const Values* resize_operand(Context& ctx, const onnx::NodeProto& node, int k, const char* what) {
  const Tensor* t = ctx.input(node, k);
  if (!t || (!t->is_data && t->values && t->values->size() == 0)) return nullptr;
  if (t->is_data || !t->values) {
    throw Unsupported(std::string("a Resize whose ") + what +
                      " are computed in the graph is not modelled");
  }
  return &*t->values;
}

std::string scales_text(const std::vector<double>& values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    std::ostringstream number;
    number << values[i];
    text += (i ? ", " : "") + number.str();
  }
  return text + "]";
}

}  // namespace

void map_resize(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  require_spatial_rank(x, "resize");
  const std::string mode = string_attribute(node, "mode", "nearest");
  ResizeAttrs a;
  if (mode == "nearest") {
    a.mode = ResizeMode::nearest;
  } else if (mode == "linear" || mode == "bilinear") {
    a.mode = ResizeMode::linear;
  } else {
    throw Unsupported(node.op_type() + " mode '" + mode +
                      "' is not modelled (nearest and linear are)");
  }
  if (const auto axes = ints_attribute(node, "axes")) {
    const auto normalized = normalize_axes(*axes, 4, "axes");
    if (normalized != std::vector<int64_t>{2, 3}) {
      throw Unsupported(node.op_type() + " over axes " + list_to_string(*axes) +
                        " is not modelled (only height and width)");
    }
  }
  // Resize: X, scales (opset 10) or X, roi, scales, sizes (11+); Upsample: X, scales (9), or
  // a `scales` attribute (7, 8).
  const bool resize = node.op_type() == "Resize";
  const Values* sizes =
      resize && ctx.opset() >= 11 ? resize_operand(ctx, node, 3, "sizes") : nullptr;
  const Values* scales =
      resize || ctx.opset() >= 9
          ? resize_operand(ctx, node, resize && ctx.opset() >= 11 ? 2 : 1, "scales")
          : nullptr;
  std::vector<double> factors;
  if (!sizes && !scales) {
    const auto* attribute = find_attribute(node, "scales");
    if (resize || !attribute) throw Error(node.op_type() + " has neither scales nor sizes");
    for (float f : attribute->floats()) factors.push_back(f);
  } else if (scales) {
    for (size_t i = 0; i < scales->size(); ++i) factors.push_back(scales->real(i));
  }
  if (sizes) {
    std::vector<int64_t> given;
    for (size_t i = 0; i < sizes->size(); ++i) given.push_back(sizes->integer(i));
    if (given.size() == 4) {
      if (given[0] != x.shape[0] || given[1] != x.shape[1]) {
        throw Unsupported(node.op_type() + " to sizes " + list_to_string(given) + " of " +
                          shape_to_string(x.shape) +
                          " changes batch or channels, which is not modelled");
      }
      given = {given[2], given[3]};
    }
    if (given.size() != 2) {
      throw Error(node.op_type() + " sizes " + list_to_string(given) + " must have 4 values");
    }
    require_positive(given, "sizes");
    const std::string policy = string_attribute(node, "keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch") {
      throw Unsupported(node.op_type() + " keep_aspect_ratio_policy '" + policy +
                        "' is not modelled");
    }
    a.out_height = given[0];
    a.out_width = given[1];
  } else {
    if (factors.size() == 4) {
      if (factors[0] != 1.0 || factors[1] != 1.0) {
        throw Unsupported(node.op_type() + " scales " + scales_text(factors) +
                          " change batch or channels, which is not modelled");
      }
      factors = {factors[2], factors[3]};
    }
    if (factors.size() != 2) {
      throw Error(node.op_type() + " scales " + scales_text(factors) + " must have 4 values");
    }
    for (double f : factors) {
      if (!(f > 0.0) || !std::isfinite(f)) {
        throw Error(node.op_type() + " scales " + scales_text(factors) + " must be positive");
      }
    }
    a.scale_h = factors[0];
    a.scale_w = factors[1];
  }
  ctx.emit(node_layer(node, LayerKind::resize, a, {x.layer}), node.output(0));
}

}  // namespace np::onnx_import
