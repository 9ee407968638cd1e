#include "common/reference_ops.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "backends/common/canonical_data.hpp"
#include "neuralpower/network.hpp"

namespace np::test {
namespace {

using Index = std::vector<int64_t>;

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// The multi-index of flat element `flat` of a row-major tensor.
Index unflatten(int64_t flat, const Shape& shape) {
  Index index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    index[i] = flat % shape[i];
    flat /= shape[i];
  }
  return index;
}

int64_t product(const Shape& shape, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= shape[i];
  return p;
}

int64_t axis_of(int64_t axis, size_t rank) {
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

const RefTensor& operand(const std::vector<RefTensor>& tensors, size_t k, const char* what) {
  if (k >= tensors.size()) throw Error(std::string("reference: missing ") + what);
  return tensors[k];
}

std::vector<float> conv(const ConvAttrs& a, const RefTensor& x, const std::vector<RefTensor>& p,
                        const Shape& out) {
  const RefTensor& w = operand(p, 0, "conv weight");
  const int64_t n_batch = x.shape[0], c_in = x.shape[1], h_in = x.shape[2], w_in = x.shape[3];
  const int64_t c_out = out[1], h_out = out[2], w_out = out[3];
  const int64_t cg = c_in / a.groups, og = c_out / a.groups;
  std::vector<float> y(static_cast<size_t>(product(out, 0, 4)));
  size_t o = 0;
  for (int64_t n = 0; n < n_batch; ++n) {
    for (int64_t co = 0; co < c_out; ++co) {
      const int64_t g = co / og;
      for (int64_t oh = 0; oh < h_out; ++oh) {
        for (int64_t ow = 0; ow < w_out; ++ow) {
          double acc = a.bias ? operand(p, 1, "conv bias").values[static_cast<size_t>(co)] : 0.0;
          for (int64_t c = 0; c < cg; ++c) {
            for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
              const int64_t ih = oh * a.stride_h - a.pad_top + kh * a.dilation_h;
              if (ih < 0 || ih >= h_in) continue;
              for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                const int64_t iw = ow * a.stride_w - a.pad_left + kw * a.dilation_w;
                if (iw < 0 || iw >= w_in) continue;
                const int64_t xi = ((n * c_in + g * cg + c) * h_in + ih) * w_in + iw;
                const int64_t wi = ((co * cg + c) * a.kernel_h + kh) * a.kernel_w + kw;
                acc += static_cast<double>(x.values[static_cast<size_t>(xi)]) *
                       w.values[static_cast<size_t>(wi)];
              }
            }
          }
          y[o++] = static_cast<float>(acc);
        }
      }
    }
  }
  return y;
}

std::vector<float> pool(const PoolAttrs& a, const RefTensor& x, const Shape& out) {
  const int64_t h_in = x.shape[2], w_in = x.shape[3], h_out = out[2], w_out = out[3];
  int64_t kh = a.kernel_h, kw = a.kernel_w, sh = a.stride_h, sw = a.stride_w;
  int64_t pt = a.pad_top, pl = a.pad_left, pb = a.pad_bottom, pr = a.pad_right;
  if (a.global) {
    kh = h_in, kw = w_in, sh = sw = 1;
    pt = pl = pb = pr = 0;
  }
  std::vector<float> y(static_cast<size_t>(product(out, 0, 4)));
  size_t o = 0;
  for (int64_t nc = 0; nc < out[0] * out[1]; ++nc) {
    const float* plane = x.values.data() + nc * h_in * w_in;
    for (int64_t oh = 0; oh < h_out; ++oh) {
      for (int64_t ow = 0; ow < w_out; ++ow) {
        // torch: the window is clipped to the padded extent for the divisor, then to the input.
        int64_t h0 = oh * sh - pt, w0 = ow * sw - pl;
        int64_t h1 = std::min(h0 + kh, h_in + pb), w1 = std::min(w0 + kw, w_in + pr);
        const int64_t padded_count = (h1 - h0) * (w1 - w0);
        h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
        h1 = std::min(h1, h_in), w1 = std::min(w1, w_in);
        double acc = a.mode == PoolMode::max ? -std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) {
            const double v = plane[ih * w_in + iw];
            acc = a.mode == PoolMode::max ? std::max(acc, v) : acc + v;
          }
        }
        if (a.mode == PoolMode::avg) {
          const int64_t count = a.count_include_pad ? padded_count : (h1 - h0) * (w1 - w0);
          acc /= static_cast<double>(count);
        }
        y[o++] = static_cast<float>(acc);
      }
    }
  }
  return y;
}

std::vector<float> fc(const FcAttrs& a, const RefTensor& x, const std::vector<RefTensor>& p) {
  const RefTensor& w = operand(p, 0, "fc weight");
  const int64_t k_in = x.shape.back();
  const int64_t rows = static_cast<int64_t>(x.values.size()) / k_in;
  std::vector<float> y(static_cast<size_t>(rows * a.out_features));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < a.out_features; ++o) {
      double acc = a.bias ? operand(p, 1, "fc bias").values[static_cast<size_t>(o)] : 0.0;
      for (int64_t k = 0; k < k_in; ++k) {
        acc += static_cast<double>(x.values[static_cast<size_t>(r * k_in + k)]) *
               w.values[static_cast<size_t>(o * k_in + k)];
      }
      y[static_cast<size_t>(r * a.out_features + o)] = static_cast<float>(acc);
    }
  }
  return y;
}

// Y = op(A) op(B) with numpy broadcasting over the leading dims, index by index.
std::vector<float> matmul(const MatmulAttrs& a, const RefTensor& x, const RefTensor& b,
                          const Shape& out) {
  const size_t rank = out.size();
  const auto padded = [rank](const Shape& s) {
    Shape p(rank - s.size(), 1);
    p.insert(p.end(), s.begin(), s.end());
    return p;
  };
  const Shape xs = padded(x.shape), bs = padded(b.shape);
  const auto x_strides = strides_of(xs), b_strides = strides_of(bs);
  const int64_t k_dim = a.transpose_a ? xs[rank - 2] : xs[rank - 1];
  std::vector<float> y(static_cast<size_t>(product(out, 0, rank)));
  for (size_t flat = 0; flat < y.size(); ++flat) {
    const Index index = unflatten(static_cast<int64_t>(flat), out);
    int64_t x_base = 0, b_base = 0;
    for (size_t i = 0; i + 2 < rank; ++i) {
      x_base += (xs[i] == 1 ? 0 : index[i]) * x_strides[i];
      b_base += (bs[i] == 1 ? 0 : index[i]) * b_strides[i];
    }
    const int64_t m = index[rank - 2], n = index[rank - 1];
    double acc = 0.0;
    for (int64_t k = 0; k < k_dim; ++k) {
      const int64_t xi = a.transpose_a ? k * x_strides[rank - 2] + m : m * x_strides[rank - 2] + k;
      const int64_t bi = a.transpose_b ? n * b_strides[rank - 2] + k : k * b_strides[rank - 2] + n;
      acc += static_cast<double>(x.values[static_cast<size_t>(x_base + xi)]) *
             b.values[static_cast<size_t>(b_base + bi)];
    }
    y[flat] = static_cast<float>(acc);
  }
  return y;
}

std::vector<float> batch_norm(const BnAttrs& a, const RefTensor& x,
                              const std::vector<RefTensor>& p) {
  const int64_t channels = x.shape[1];
  const int64_t inner = product(x.shape, 2, x.shape.size());
  std::vector<float> y(x.values.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const auto c = static_cast<size_t>((static_cast<int64_t>(i) / inner) % channels);
    const double scale = operand(p, 0, "scale").values[c], shift = operand(p, 1, "shift").values[c];
    const double mean = operand(p, 2, "mean").values[c], var = operand(p, 3, "var").values[c];
    y[i] = static_cast<float>(scale * (x.values[i] - mean) / std::sqrt(var + a.epsilon) + shift);
  }
  return y;
}

double activate(const ActAttrs& a, double x) {
  switch (a.function) {
    case Activation::relu:
      return std::max(x, 0.0);
    case Activation::leaky_relu:
      return x >= 0 ? x : a.alpha * x;
    case Activation::clip:
      return std::min(std::max(x, a.alpha), a.beta);
    case Activation::sigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case Activation::hard_sigmoid:
      return std::min(1.0, std::max(0.0, a.alpha * x + a.beta));
    case Activation::hard_swish:
      return x * std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
    case Activation::gelu:
      return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case Activation::silu:
      return x / (1.0 + std::exp(-x));
    case Activation::tanh:
      return std::tanh(x);
  }
  throw Error("reference: unknown activation");
}

std::vector<float> eltwise(LayerKind kind, const std::vector<const RefTensor*>& operands,
                           const Shape& out) {
  const auto count = static_cast<size_t>(product(out, 0, out.size()));
  std::vector<float> y(count);
  std::vector<std::vector<int64_t>> strides;  // per operand, over the output's dims
  for (const RefTensor* op : operands) {
    std::vector<int64_t> s(out.size(), 0);
    const auto own = strides_of(op->shape);
    const size_t lead = out.size() - op->shape.size();
    for (size_t i = 0; i < op->shape.size(); ++i) {
      s[lead + i] = op->shape[i] == 1 ? 0 : own[i];  // broadcast dims repeat element 0
    }
    strides.push_back(s);
  }
  for (size_t flat = 0; flat < count; ++flat) {
    const Index index = unflatten(static_cast<int64_t>(flat), out);
    double acc = 0;
    for (size_t k = 0; k < operands.size(); ++k) {
      int64_t at = 0;
      for (size_t i = 0; i < index.size(); ++i) at += index[i] * strides[k][i];
      const double v = operands[k]->values[static_cast<size_t>(at)];
      if (k == 0) {
        acc = v;
      } else if (kind == LayerKind::add) {
        acc += v;
      } else if (kind == LayerKind::mul) {
        acc *= v;
      } else {
        acc = std::max(acc, v);
      }
    }
    y[flat] = static_cast<float>(acc);
  }
  return y;
}

std::vector<float> concat(int64_t axis, const std::vector<RefTensor>& inputs, const Shape& out) {
  const auto ax = static_cast<size_t>(axis_of(axis, out.size()));
  const int64_t outer = product(out, 0, ax), inner = product(out, ax + 1, out.size());
  std::vector<float> y;
  y.reserve(static_cast<size_t>(product(out, 0, out.size())));
  for (int64_t o = 0; o < outer; ++o) {
    for (const auto& x : inputs) {
      const int64_t block = x.shape[ax] * inner;
      const auto begin = x.values.begin() + o * block;
      y.insert(y.end(), begin, begin + block);
    }
  }
  return y;
}

std::vector<float> lrn(const LrnAttrs& a, const RefTensor& x) {
  const int64_t channels = x.shape[1];
  const int64_t inner = product(x.shape, 2, x.shape.size());
  const int64_t before = (a.size - 1) / 2, after = a.size - 1 - before;  // ONNX
  std::vector<float> y(x.values.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const auto flat = static_cast<int64_t>(i);
    const int64_t c = (flat / inner) % channels;
    const int64_t base = flat - c * inner;
    double sum = 0;
    for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(channels - 1, c + after);
         ++k) {
      const double v = x.values[static_cast<size_t>(base + k * inner)];
      sum += v * v;
    }
    y[i] = static_cast<float>(x.values[i] / std::pow(a.bias + a.alpha / a.size * sum, a.beta));
  }
  return y;
}

std::vector<float> softmax(int64_t axis, const RefTensor& x) {
  const auto ax = static_cast<size_t>(axis_of(axis, x.shape.size()));
  const int64_t outer = product(x.shape, 0, ax), dim = x.shape[ax];
  const int64_t inner = product(x.shape, ax + 1, x.shape.size());
  std::vector<float> y(x.values.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t d) { return static_cast<size_t>((o * dim + d) * inner + i); };
      double peak = -std::numeric_limits<double>::infinity();
      for (int64_t d = 0; d < dim; ++d) peak = std::max(peak, static_cast<double>(x.values[at(d)]));
      double sum = 0;
      for (int64_t d = 0; d < dim; ++d) sum += std::exp(x.values[at(d)] - peak);
      for (int64_t d = 0; d < dim; ++d) {
        y[at(d)] = static_cast<float>(std::exp(x.values[at(d)] - peak) / sum);
      }
    }
  }
  return y;
}

std::vector<float> layer_norm(const LayerNormAttrs& a, const RefTensor& x,
                              const std::vector<RefTensor>& p) {
  const auto ax = static_cast<size_t>(axis_of(a.axis, x.shape.size()));
  const int64_t inner = product(x.shape, ax, x.shape.size());
  const int64_t rows = static_cast<int64_t>(x.values.size()) / inner;
  std::vector<float> y(x.values.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x.values.data() + r * inner;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < inner; ++j) mean += row[j];
    mean /= static_cast<double>(inner);
    for (int64_t j = 0; j < inner; ++j) var += (row[j] - mean) * (row[j] - mean);
    var /= static_cast<double>(inner);
    for (int64_t j = 0; j < inner; ++j) {
      double v = (row[j] - mean) / std::sqrt(var + a.epsilon);
      if (a.affine) {
        v = v * operand(p, 0, "scale").values[static_cast<size_t>(j)] +
            operand(p, 1, "shift").values[static_cast<size_t>(j)];
      }
      y[static_cast<size_t>(r * inner + j)] = static_cast<float>(v);
    }
  }
  return y;
}

std::vector<float> transpose(const std::vector<int64_t>& perm, const RefTensor& x,
                             const Shape& out) {
  const auto in_strides = strides_of(x.shape);
  std::vector<float> y(x.values.size());
  for (size_t flat = 0; flat < y.size(); ++flat) {
    const Index index = unflatten(static_cast<int64_t>(flat), out);
    int64_t at = 0;
    for (size_t i = 0; i < index.size(); ++i) {
      at += index[i] * in_strides[static_cast<size_t>(perm[i])];
    }
    y[flat] = x.values[static_cast<size_t>(at)];
  }
  return y;
}

std::vector<float> slice(const SliceAttrs& a, const RefTensor& x, const Shape& out) {
  const auto ax = static_cast<size_t>(axis_of(a.axis, x.shape.size()));
  const int64_t dim = x.shape[ax];
  const int64_t start = std::clamp(a.start < 0 ? a.start + dim : a.start, int64_t{0}, dim);
  const auto in_strides = strides_of(x.shape);
  std::vector<float> y(static_cast<size_t>(product(out, 0, out.size())));
  for (size_t flat = 0; flat < y.size(); ++flat) {
    Index index = unflatten(static_cast<int64_t>(flat), out);
    index[ax] = start + index[ax] * a.step;
    int64_t at = 0;
    for (size_t i = 0; i < index.size(); ++i) at += index[i] * in_strides[i];
    y[flat] = x.values[static_cast<size_t>(at)];
  }
  return y;
}

// Half-pixel centres, as oneDNN and torch's align_corners=False: output index o maps to the
// input coordinate (o + 0.5) in / out - 0.5, in float as oneDNN computes it; nearest rounds it
// (half away from zero), linear blends the two neighbours, indices clamped to the input.
float source_coordinate(int64_t o, int64_t out, int64_t in) {
  return (static_cast<float>(o) + 0.5f) * static_cast<float>(in) / static_cast<float>(out) - 0.5f;
}

struct Taps {
  int64_t lo = 0, hi = 0;
  double weight_hi = 0.0;
};

Taps taps(ResizeMode mode, int64_t o, int64_t out, int64_t in) {
  const float x = source_coordinate(o, out, in);
  auto clamp = [in](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
  if (mode == ResizeMode::nearest) {
    const int64_t i = clamp(static_cast<int64_t>(std::round(x)));
    return {i, i, 0.0};
  }
  const auto lo = static_cast<int64_t>(std::floor(x));
  return {clamp(lo), clamp(lo + 1), static_cast<double>(x) - static_cast<double>(lo)};
}

std::vector<float> resize(const ResizeAttrs& a, const RefTensor& x, const Shape& out) {
  const int64_t h_in = x.shape[2], w_in = x.shape[3], h_out = out[2], w_out = out[3];
  std::vector<float> y(static_cast<size_t>(product(out, 0, 4)));
  size_t o = 0;
  for (int64_t nc = 0; nc < out[0] * out[1]; ++nc) {
    const float* plane = x.values.data() + nc * h_in * w_in;
    for (int64_t oh = 0; oh < h_out; ++oh) {
      const Taps th = taps(a.mode, oh, h_out, h_in);
      for (int64_t ow = 0; ow < w_out; ++ow) {
        const Taps tw = taps(a.mode, ow, w_out, w_in);
        auto at = [&](int64_t ih, int64_t iw) {
          return static_cast<double>(plane[ih * w_in + iw]);
        };
        const double top = at(th.lo, tw.lo) * (1 - tw.weight_hi) + at(th.lo, tw.hi) * tw.weight_hi;
        const double bottom =
            at(th.hi, tw.lo) * (1 - tw.weight_hi) + at(th.hi, tw.hi) * tw.weight_hi;
        y[o++] = static_cast<float>(top * (1 - th.weight_hi) + bottom * th.weight_hi);
      }
    }
  }
  return y;
}

}  // namespace

std::vector<float> reference_forward(const Layer& layer, const std::vector<RefTensor>& inputs,
                                     const std::vector<RefTensor>& parameters,
                                     const Shape& output_shape) {
  switch (layer.kind) {
    case LayerKind::conv:
      return conv(std::get<ConvAttrs>(layer.attrs), operand(inputs, 0, "input"), parameters,
                  output_shape);
    case LayerKind::pool:
      return pool(std::get<PoolAttrs>(layer.attrs), operand(inputs, 0, "input"), output_shape);
    case LayerKind::fc:
      return fc(std::get<FcAttrs>(layer.attrs), operand(inputs, 0, "input"), parameters);
    case LayerKind::matmul: {
      const auto& a = std::get<MatmulAttrs>(layer.attrs);
      const RefTensor& b = a.constant_b.empty() ? operand(inputs, 1, "matmul B")
                                                : operand(parameters, 0, "matmul constant B");
      return matmul(a, operand(inputs, 0, "matmul A"), b, output_shape);
    }
    case LayerKind::bn:
      return batch_norm(std::get<BnAttrs>(layer.attrs), operand(inputs, 0, "input"), parameters);
    case LayerKind::act: {
      const auto& a = std::get<ActAttrs>(layer.attrs);
      std::vector<float> y = operand(inputs, 0, "input").values;
      for (float& v : y) v = static_cast<float>(activate(a, v));
      return y;
    }
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max: {
      std::vector<const RefTensor*> operands;
      for (const auto& x : inputs) operands.push_back(&x);
      for (const auto& c : parameters) operands.push_back(&c);
      return eltwise(layer.kind, operands, output_shape);
    }
    case LayerKind::concat: {
      std::vector<RefTensor> operands;  // the constants first, each broadcast over dim 0
      for (const auto& c : parameters) {
        RefTensor broadcast{c.shape, {}};
        broadcast.shape.at(0) = output_shape.at(0);
        for (int64_t n = 0; n < output_shape[0]; ++n) {
          broadcast.values.insert(broadcast.values.end(), c.values.begin(), c.values.end());
        }
        operands.push_back(std::move(broadcast));
      }
      operands.insert(operands.end(), inputs.begin(), inputs.end());
      return concat(std::get<ConcatAttrs>(layer.attrs).axis, operands, output_shape);
    }
    case LayerKind::lrn:
      return lrn(std::get<LrnAttrs>(layer.attrs), operand(inputs, 0, "input"));
    case LayerKind::softmax:
      return softmax(std::get<SoftmaxAttrs>(layer.attrs).axis, operand(inputs, 0, "input"));
    case LayerKind::layernorm:
      return layer_norm(std::get<LayerNormAttrs>(layer.attrs), operand(inputs, 0, "input"),
                        parameters);
    case LayerKind::transpose: {
      // A transpose that moves dim 0 permutes each replica: a plain permutation of one more dim.
      const RefTensor& x = operand(inputs, 0, "input");
      const PlainTranspose plain = plain_transpose(std::get<TransposeAttrs>(layer.attrs), x.shape);
      Shape plain_out;
      for (int64_t p : plain.perm) plain_out.push_back(plain.input[static_cast<size_t>(p)]);
      return transpose(plain.perm, RefTensor{plain.input, x.values}, plain_out);
    }
    case LayerKind::slice:
      return slice(std::get<SliceAttrs>(layer.attrs), operand(inputs, 0, "input"), output_shape);
    case LayerKind::resize:
      return resize(std::get<ResizeAttrs>(layer.attrs), operand(inputs, 0, "input"), output_shape);
    case LayerKind::reshape:
    case LayerKind::flatten:
    case LayerKind::dropout:
    case LayerKind::identity:
    case LayerKind::cast:
      return operand(inputs, 0, "input").values;
    case LayerKind::input:
    case LayerKind::unknown:
      break;
  }
  throw Error("reference: layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) +
              ") computes nothing");
}

std::vector<float> reference_layer_output(const Network& net, int layer_id) {
  const std::vector<Shape> shapes = checked_input_shapes(net, layer_id);
  const Layer& layer = net.layer(layer_id);
  if (layer.kind == LayerKind::input || layer.kind == LayerKind::unknown) {
    return canonical_layer_data(net, layer_id).values();
  }
  std::vector<RefTensor> inputs, parameters;
  for (const auto& t : canonical_inputs(shapes)) inputs.push_back({t.shape, t.values()});
  for (const auto& t : canonical_parameters(layer, shapes)) {
    parameters.push_back({t.shape, t.values()});
  }
  return reference_forward(layer, inputs, parameters, layer.output_shape);
}

Comparison compare_outputs(const std::vector<float>& got, const std::vector<float>& expected,
                           double relative_tolerance) {
  Comparison result;
  if (got.size() != expected.size()) {
    result.ok = false;
    result.message = "got " + std::to_string(got.size()) + " elements, expected " +
                     std::to_string(expected.size());
    return result;
  }
  double sum_squares = 0;
  for (float v : expected) sum_squares += static_cast<double>(v) * v;
  const double rms = expected.empty() ? 0 : std::sqrt(sum_squares / expected.size());
  double worst_ratio = -1;
  for (size_t i = 0; i < got.size(); ++i) {
    const double tolerance = relative_tolerance * (std::fabs(expected[i]) + rms);
    const double error = std::fabs(static_cast<double>(got[i]) - expected[i]);
    // NaN never passes; a zero tolerance (all-zero tensor) asks for exact equality.
    const double ratio = std::isnan(error) ? std::numeric_limits<double>::infinity()
                         : tolerance > 0   ? error / tolerance
                         : error > 0       ? std::numeric_limits<double>::infinity()
                                           : 0.0;
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      result.worst_index = static_cast<int64_t>(i);
      result.got = got[i];
      result.expected = expected[i];
      result.tolerance = tolerance;
    }
  }
  result.ok = worst_ratio <= 1.0;
  std::ostringstream text;
  text << "worst element " << result.worst_index << " of " << got.size() << ": got " << result.got
       << ", expected " << result.expected << ", tolerance " << result.tolerance << " (rms " << rms
       << ")";
  result.message = text.str();
  return result;
}

}  // namespace np::test
