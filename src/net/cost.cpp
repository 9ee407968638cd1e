#include "neuralpower/cost.hpp"

#include <algorithm>

#include "neuralpower/checked.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

// Arithmetic per element of the activation functions, counting a transcendental as 4 (a
// convention, documented in docs/costs.md; only conv and fc FLOPs are checked against
// independent counts).
int64_t activation_flops_per_element(Activation fn) {
  switch (fn) {
    case Activation::relu:
      return 1;
    case Activation::leaky_relu:
    case Activation::clip:
      return 2;
    case Activation::hard_sigmoid:
      return 3;
    case Activation::sigmoid:
    case Activation::tanh:
      return 4;
    case Activation::hard_swish:
    case Activation::silu:
      return 5;
    case Activation::gelu:
      return 8;
  }
  return 1;
}

// Errors name what overflowed: "integer overflow computing the cost of layer 'c1' (a * b)".
struct Counter {
  std::string what;
  int64_t mul(int64_t a, int64_t b) const { return checked_mul(a, b, what.c_str()); }
  int64_t add(int64_t a, int64_t b) const { return checked_add(a, b, what.c_str()); }
};

}  // namespace

LayerCost layer_cost(const Network& net, int id) {
  const Layer& layer = net.layer(id);
  LayerCost cost;
  if (is_zero_cost(layer.kind)) return cost;

  const Counter c{"the cost of layer '" + layer.name + "'"};
  const int64_t bytes_per = element_bytes(net.dtype_of(id));
  const int64_t out = element_count(layer.output_shape);
  int64_t in_total = 0;
  for (int input : layer.inputs) {
    in_total = c.add(in_total, element_count(net.layer(input).output_shape));
  }
  const Shape& x =
      layer.inputs.empty() ? layer.output_shape : net.layer(layer.inputs.front()).output_shape;
  int64_t read_elements = in_total;

  switch (layer.kind) {
    case LayerKind::conv: {
      const auto& a = std::get<ConvAttrs>(layer.attrs);
      const int64_t window = c.mul(c.mul(x[1] / a.groups, a.kernel_h), a.kernel_w);
      cost.macs = c.mul(out, window);
      const int64_t weights = conv_weight_elements(a, x);
      if (a.shared_weights) {
        read_elements = c.add(read_elements, weights);
      } else {
        cost.params = weights;
      }
      cost.flops = c.add(c.mul(2, cost.macs), a.bias ? out : 0);
      break;
    }
    case LayerKind::pool: {
      const auto& a = std::get<PoolAttrs>(layer.attrs);
      const int64_t window = a.global ? c.mul(x[2], x[3]) : c.mul(a.kernel_h, a.kernel_w);
      cost.flops = c.add(c.mul(out, window), a.mode == PoolMode::avg ? out : 0);
      break;
    }
    case LayerKind::fc: {
      const auto& a = std::get<FcAttrs>(layer.attrs);
      const int64_t k = x.back();
      const int64_t rows = element_count(x) / k;
      cost.macs = c.mul(c.mul(rows, k), a.out_features);
      cost.params = c.add(c.mul(k, a.out_features), a.bias ? a.out_features : 0);
      cost.flops = c.add(c.mul(2, cost.macs), a.bias ? out : 0);
      break;
    }
    case LayerKind::matmul: {
      const auto& a = std::get<MatmulAttrs>(layer.attrs);
      const Shape& a_shape = x;
      const int64_t k = a.transpose_a ? a_shape[a_shape.size() - 2] : a_shape.back();
      cost.macs = c.mul(out, k);
      cost.params = a.constant_b.empty() ? 0 : element_count(a.constant_b);
      cost.flops = c.mul(2, cost.macs);
      break;
    }
    case LayerKind::bn:
      // Inference folds the statistics into one scale and one shift per channel.
      cost.params = c.mul(4, x[1]);
      cost.flops = c.mul(2, out);
      break;
    case LayerKind::act:
      cost.flops =
          c.mul(out, activation_flops_per_element(std::get<ActAttrs>(layer.attrs).function));
      break;
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max: {
      const auto& a = std::get<EltwiseAttrs>(layer.attrs);
      int64_t operands = static_cast<int64_t>(layer.inputs.size());
      for (size_t i = 0; i < a.constant_operands.size(); ++i) {
        const int64_t elements = element_count(a.constant_operands[i]);
        const bool shared = std::find(a.shared_operands.begin(), a.shared_operands.end(), i) !=
                            a.shared_operands.end();
        if (shared) {
          read_elements = c.add(read_elements, elements);
        } else {
          cost.params = c.add(cost.params, elements);
        }
        ++operands;
      }
      cost.flops = c.mul(out, operands - 1);
      break;
    }
    case LayerKind::lrn: {
      const auto& a = std::get<LrnAttrs>(layer.attrs);
      // Sum of `size` squares, then scale, power and divide.
      cost.flops = c.mul(out, c.add(c.mul(2, a.size), 3));
      break;
    }
    case LayerKind::softmax:
      // max, subtract, exp, sum, divide
      cost.flops = c.mul(out, 5);
      break;
    case LayerKind::layernorm: {
      const auto& a = std::get<LayerNormAttrs>(layer.attrs);
      const int64_t axis = a.axis < 0 ? a.axis + static_cast<int64_t>(x.size()) : a.axis;
      int64_t normalized = 1;
      for (size_t i = static_cast<size_t>(axis); i < x.size(); ++i) normalized *= x[i];
      // mean, centre, square-sum, normalise (+ scale and shift)
      cost.flops = c.mul(out, a.affine ? 7 : 5);
      cost.params = a.affine ? c.mul(2, normalized) : 0;
      break;
    }
    case LayerKind::slice:
      read_elements = out;  // only the selected part is read
      break;
    case LayerKind::concat:
      // The constant operands (a class token) are read once per sample.
      for (const auto& s : std::get<ConcatAttrs>(layer.attrs).constant_operands) {
        cost.params = c.add(cost.params, element_count(s));
        read_elements = c.add(read_elements, c.mul(element_count(s), layer.output_shape[0] - 1));
      }
      break;
    case LayerKind::resize:
      // Bilinear: four weighted taps per output element (4 multiplies, 3 adds); nearest copies.
      if (std::get<ResizeAttrs>(layer.attrs).mode == ResizeMode::linear) cost.flops = c.mul(out, 7);
      break;
    case LayerKind::transpose:
      break;
    default:
      break;
  }
  if (cost.params > kMaxTensorElements) {
    throw Error("layer '" + layer.name + "' has " + std::to_string(cost.params) +
                " weights, more than the 2^38 supported");
  }
  cost.bytes_read = c.mul(c.add(read_elements, cost.params), bytes_per);
  cost.bytes_written = c.mul(out, bytes_per);
  return cost;
}

int64_t conv_weight_elements(const ConvAttrs& a, const Shape& x) {
  const Counter c{"the weights of a conv"};
  const int64_t window = c.mul(c.mul(x.at(1) / a.groups, a.kernel_h), a.kernel_w);
  return c.add(c.mul(a.out_channels, window), a.bias ? a.out_channels : 0);
}

NetworkCost network_cost(const Network& net) {
  NetworkCost result;
  const Counter c{"the cost of network '" + net.name() + "'"};
  for (int id = 0; id < net.size(); ++id) {
    const LayerCost cost = layer_cost(net, id);
    result.total.flops = c.add(result.total.flops, cost.flops);
    result.total.macs = c.add(result.total.macs, cost.macs);
    result.total.params = c.add(result.total.params, cost.params);
    result.total.bytes_read = c.add(result.total.bytes_read, cost.bytes_read);
    result.total.bytes_written = c.add(result.total.bytes_written, cost.bytes_written);
  }
  for (const auto& layer : net.layers()) {
    if (layer.kind != LayerKind::input) ++result.layers;
  }
  return result;
}

}  // namespace np
