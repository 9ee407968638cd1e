#include "backends/common/canonical_data.hpp"

#include <cmath>

#include "neuralpower/checked.hpp"

namespace np {
namespace {

// Assigns roles in order; the last role of the group is a stream continued by later tensors.
class RoleAssigner {
 public:
  explicit RoleAssigner(std::vector<TensorRole> roles) : roles_(std::move(roles)) {}
  void assign(CanonicalTensor& tensor) {
    const int64_t count = element_count(tensor.shape);
    if (next_ + 1 < roles_.size()) {
      tensor.role = roles_[next_++];
      tensor.offset = 0;
      return;
    }
    tensor.role = roles_.back();
    tensor.offset = stream_offset_;
    stream_offset_ = checked_add(stream_offset_, count, "canonical stream offset");
  }

 private:
  std::vector<TensorRole> roles_;
  size_t next_ = 0;
  int64_t stream_offset_ = 0;
};

CanonicalTensor tensor(std::string name, Shape shape) {
  CanonicalTensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  return t;
}

}  // namespace

std::vector<float> CanonicalTensor::values() const {
  const int64_t count = element_count(shape);
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const float v = test_value(role, offset + i);
    out[static_cast<size_t>(i)] = variance ? 0.5f + std::fabs(v) : v;
  }
  return out;
}

std::vector<CanonicalTensor> canonical_inputs(const std::vector<Shape>& input_shapes) {
  RoleAssigner roles(
      {TensorRole::input0, TensorRole::input1, TensorRole::input2, TensorRole::input3});
  std::vector<CanonicalTensor> inputs;
  for (size_t k = 0; k < input_shapes.size(); ++k) {
    inputs.push_back(tensor("input" + std::to_string(k), input_shapes[k]));
    roles.assign(inputs.back());
  }
  return inputs;
}

std::vector<CanonicalTensor> canonical_parameters(const Layer& layer,
                                                  const std::vector<Shape>& input_shapes) {
  std::vector<CanonicalTensor> params;
  const Shape no_shape;
  const Shape& x = input_shapes.empty() ? no_shape : input_shapes[0];
  switch (layer.kind) {
    case LayerKind::conv: {
      const auto& a = std::get<ConvAttrs>(layer.attrs);
      if (x.size() != 4 || a.groups <= 0) throw Error("conv needs a rank-4 input");
      params.push_back(tensor("weight", {a.out_channels, x[1] / a.groups, a.kernel_h, a.kernel_w}));
      if (a.bias) params.push_back(tensor("bias", {a.out_channels}));
      break;
    }
    case LayerKind::fc: {
      const auto& a = std::get<FcAttrs>(layer.attrs);
      if (x.size() < 2) throw Error("fc needs an input of rank >= 2");
      params.push_back(tensor("weight", {a.out_features, x.back()}));
      if (a.bias) params.push_back(tensor("bias", {a.out_features}));
      break;
    }
    case LayerKind::matmul: {
      const auto& a = std::get<MatmulAttrs>(layer.attrs);
      if (!a.constant_b.empty()) params.push_back(tensor("weight", a.constant_b));
      break;
    }
    case LayerKind::bn: {
      if (x.size() < 2) throw Error("bn needs a channel dim");
      for (const char* name : {"scale", "shift", "mean", "variance"})
        params.push_back(tensor(name, {x[1]}));
      params.back().variance = true;
      break;
    }
    case LayerKind::layernorm: {
      const auto& a = std::get<LayerNormAttrs>(layer.attrs);
      if (!a.affine) break;
      const auto rank = static_cast<int64_t>(x.size());
      const int64_t axis = a.axis < 0 ? a.axis + rank : a.axis;
      if (axis < 0 || axis >= rank) throw Error("layernorm axis out of range");
      const Shape normalized(x.begin() + axis, x.end());
      params.push_back(tensor("scale", normalized));
      params.push_back(tensor("shift", normalized));
      break;
    }
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max: {
      const auto& a = std::get<EltwiseAttrs>(layer.attrs);
      for (size_t j = 0; j < a.constant_operands.size(); ++j)
        params.push_back(tensor("constant" + std::to_string(j), a.constant_operands[j]));
      break;
    }
    case LayerKind::concat: {  // one sample's tensor each (dim 0 is 1), broadcast over dim 0
      const auto& a = std::get<ConcatAttrs>(layer.attrs);
      for (size_t j = 0; j < a.constant_operands.size(); ++j)
        params.push_back(tensor("constant" + std::to_string(j), a.constant_operands[j]));
      break;
    }
    default:
      break;
  }
  RoleAssigner roles({TensorRole::weight, TensorRole::bias, TensorRole::aux});
  for (auto& p : params) roles.assign(p);
  return params;
}

CanonicalTensor canonical_layer_data(const Network& net, int layer_id) {
  const Layer& layer = net.layer(layer_id);
  if (layer.kind != LayerKind::input) return canonical_inputs({layer.output_shape})[0];
  std::vector<Shape> shapes;
  size_t position = 0;
  for (int id = 0; id < net.size(); ++id) {
    if (net.layer(id).kind != LayerKind::input) continue;
    if (id == layer_id) position = shapes.size();
    shapes.push_back(net.layer(id).output_shape);
  }
  return canonical_inputs(shapes)[position];
}

std::vector<Shape> checked_input_shapes(const Network& net, int layer_id) {
  if (layer_id < 0 || layer_id >= net.size()) {
    throw Error("layer id " + std::to_string(layer_id) + " is out of range (network '" +
                net.name() + "' has " + std::to_string(net.size()) + " layers)");
  }
  const Layer& layer = net.layer(layer_id);
  std::vector<Shape> shapes;
  for (int input : layer.inputs) {
    if (input < 0 || input >= layer_id) {
      throw Error("layer '" + layer.name + "' reads layer #" + std::to_string(input) +
                  ", which is not an earlier layer");
    }
    shapes.push_back(net.layer(input).output_shape);
  }
  try {
    const Shape expected = infer_output_shape(layer, shapes, net.batch());
    if (expected != layer.output_shape) {
      throw Error("output shape " + shape_to_string(layer.output_shape) +
                  " does not match its attributes and inputs (expected " +
                  shape_to_string(expected) + "; were shapes inferred?)");
    }
  } catch (...) {
    rethrow_with_context("layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) + ")");
  }
  return shapes;
}

}  // namespace np
