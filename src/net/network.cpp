#include "neuralpower/network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "neuralpower/checked.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(message); }

std::string dims(const Shape& s) { return shape_to_string(s); }

const Shape& single_input(const std::vector<Shape>& in) {
  if (in.size() != 1) {
    fail("expects 1 input, has " + std::to_string(in.size()));
  }
  return in[0];
}

void require_rank(const Shape& s, size_t rank, const char* what) {
  if (s.size() != rank) {
    fail(std::string(what) + " needs a rank-" + std::to_string(rank) + " input, got " + dims(s));
  }
}

int64_t spatial_out(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel, int64_t stride,
                    int64_t dilation, bool ceil_mode, const char* axis) {
  if (kernel <= 0 || stride <= 0 || dilation <= 0 || pad_begin < 0 || pad_end < 0) {
    fail(std::string("bad ") + axis + " window: kernel " + std::to_string(kernel) + ", stride " +
         std::to_string(stride) + ", dilation " + std::to_string(dilation) + ", pads " +
         std::to_string(pad_begin) + "/" + std::to_string(pad_end));
  }
  const int64_t effective =
      checked_add(checked_mul(dilation, kernel - 1, "window size"), 1, "window size");
  const int64_t padded =
      checked_add(checked_add(in, pad_begin, "padded size"), pad_end, "padded size");
  const int64_t span = padded - effective;
  if (span < 0) {
    fail(std::string("window of ") + std::to_string(effective) + " is larger than the padded " +
         axis + " extent " + std::to_string(padded));
  }
  int64_t out = span / stride + 1;
  if (ceil_mode && span % stride != 0) {
    ++out;
    // PyTorch/ONNX rule: the last window must start inside the input or the left padding.
    if ((out - 1) * stride >= in + pad_begin) --out;
  }
  return out;
}

Shape broadcast(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const auto& s : shapes) {
    for (size_t i = 0; i < s.size(); ++i) {
      const size_t o = rank - s.size() + i;
      if (s[i] == out[o] || s[i] == 1) continue;
      if (out[o] == 1) {
        out[o] = s[i];
        continue;
      }
      std::string all;
      for (const auto& t : shapes) all += (all.empty() ? "" : ", ") + dims(t);
      fail("shapes " + all + " do not broadcast");
    }
  }
  return out;
}

int64_t normalize_axis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) {
    fail("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + r : axis;
}

Shape infer_conv(const ConvAttrs& a, const Shape& in) {
  require_rank(in, 4, "conv");
  if (a.groups <= 0 || a.out_channels <= 0) {
    fail("conv needs positive groups and out_channels, got " + std::to_string(a.groups) + " and " +
         std::to_string(a.out_channels));
  }
  if (in[1] % a.groups != 0 || a.out_channels % a.groups != 0) {
    fail("conv groups " + std::to_string(a.groups) + " do not divide input channels " +
         std::to_string(in[1]) + " and output channels " + std::to_string(a.out_channels));
  }
  return {in[0], a.out_channels,
          spatial_out(in[2], a.pad_top, a.pad_bottom, a.kernel_h, a.stride_h, a.dilation_h, false,
                      "height"),
          spatial_out(in[3], a.pad_left, a.pad_right, a.kernel_w, a.stride_w, a.dilation_w, false,
                      "width")};
}

Shape infer_pool(const PoolAttrs& a, const Shape& in) {
  require_rank(in, 4, "pool");
  if (a.global) return {in[0], in[1], 1, 1};
  return {
      in[0], in[1],
      spatial_out(in[2], a.pad_top, a.pad_bottom, a.kernel_h, a.stride_h, 1, a.ceil_mode, "height"),
      spatial_out(in[3], a.pad_left, a.pad_right, a.kernel_w, a.stride_w, 1, a.ceil_mode, "width")};
}

Shape infer_reshape(const Shape& target, const Shape& in) {
  const int64_t total = element_count(in) / in[0];
  Shape out{in[0]};
  int64_t known = 1;
  int inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (inferred >= 0) fail("reshape target " + dims(target) + " has more than one -1");
      inferred = static_cast<int>(i);
    } else if (target[i] <= 0) {
      fail("reshape target " + dims(target) + " has a non-positive dim");
    } else {
      known = checked_mul(known, target[i], "reshape size");
    }
    out.push_back(target[i]);
  }
  if (inferred >= 0) {
    if (total % known != 0) {
      fail("cannot reshape " + dims(in) + " to batch x " + dims(target));
    }
    out[static_cast<size_t>(inferred) + 1] = total / known;
  } else if (known != total) {
    fail("cannot reshape " + dims(in) + " to batch x " + dims(target));
  }
  return out;
}

// How many replicas of the file-batch network a dim 0 of `leading` per replica holds.
int64_t replicas(const Shape& in, int64_t leading) {
  if (leading <= 0 || in[0] % leading != 0) {
    fail("input " + dims(in) + " is not a whole number of replicas of dim 0 " +
         std::to_string(leading) + " (the batch must be a multiple of the file's batch)");
  }
  return in[0] / leading;
}

Shape infer_replica_reshape(const ReshapeAttrs& a, const Shape& in) {
  const int64_t copies = replicas(in, a.leading_in);
  Shape one = in;
  one[0] = a.leading_in;
  Shape out = a.sample_shape;
  if (out.empty() || element_count(out) != element_count(one)) {
    fail("cannot reshape " + dims(one) + " to " + dims(a.sample_shape) + " per replica");
  }
  out[0] = checked_mul(out[0], copies, "reshape size");
  return out;
}

// ONNX's output size from a scale: floor(in x scale), at least one element.
int64_t scaled_dim(int64_t in, double scale, const char* what) {
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    fail(std::string("resize ") + what + " scale must be positive, got " + std::to_string(scale));
  }
  const double out = std::floor(static_cast<double>(in) * scale);
  if (out < 1.0 || out > static_cast<double>(kMaxTensorElements)) {
    fail(std::string("resize ") + what + " of " + std::to_string(in) + " by " +
         std::to_string(scale) + " gives " + std::to_string(out) + " elements");
  }
  return static_cast<int64_t>(out);
}

Shape infer_resize(const ResizeAttrs& a, const Shape& in) {
  require_rank(in, 4, "resize");
  const bool sized = a.out_height > 0 || a.out_width > 0;
  if (sized && (a.out_height <= 0 || a.out_width <= 0)) {
    fail("resize needs both out_height and out_width, got " + std::to_string(a.out_height) + " x " +
         std::to_string(a.out_width));
  }
  if (sized) return {in[0], in[1], a.out_height, a.out_width};
  return {in[0], in[1], scaled_dim(in[2], a.scale_h, "height"),
          scaled_dim(in[3], a.scale_w, "width")};
}

Shape matmul_operand(Shape s, bool transposed) {
  if (transposed) std::swap(s[s.size() - 2], s[s.size() - 1]);
  return s;
}

Shape infer_matmul(const MatmulAttrs& a, const std::vector<Shape>& in) {
  if (in.empty() || in.size() > 2) {
    fail("matmul needs one or two inputs, has " + std::to_string(in.size()));
  }
  if ((in.size() == 2) != a.constant_b.empty()) {
    fail("matmul needs B as its second input or as constant_b, exactly one of them");
  }
  const Shape& b_given = in.size() == 2 ? in[1] : a.constant_b;
  if (in[0].size() < 2 || b_given.size() < 2) {
    fail("matmul needs operands of rank >= 2, got " + dims(in[0]) + " and " + dims(b_given));
  }
  if (in.size() == 2 && in[1].size() != in[0].size()) {
    fail("matmul of two layers needs operands of one rank (dim 0 scales with the batch), got " +
         dims(in[0]) + " and " + dims(in[1]));
  }
  if (in.size() == 1) {
    element_count(a.constant_b);
    if (a.constant_b.size() > in[0].size() ||
        (a.constant_b.size() == in[0].size() && in[0].size() > 2 && a.constant_b[0] != 1)) {
      fail("a constant B " + dims(a.constant_b) + " must not set dim 0 of " + dims(in[0]) +
           " (it would not scale with the batch)");
    }
    if (a.constant_b.size() == 2 && in[0].size() == 2 && a.transpose_a) {
      fail("a rank-2 A " + dims(in[0]) + " cannot be transposed: its dim 0 is the batch");
    }
  }
  const Shape lhs = matmul_operand(in[0], a.transpose_a);
  const Shape rhs = matmul_operand(b_given, a.transpose_b);
  const int64_t k = lhs.back();
  if (rhs[rhs.size() - 2] != k) {
    fail("matmul operands " + dims(in[0]) + (a.transpose_a ? "ᵀ" : "") + " and " + dims(b_given) +
         (a.transpose_b ? "ᵀ" : "") + " do not agree on the inner dim");
  }
  Shape out = broadcast({Shape(lhs.begin(), lhs.end() - 2), Shape(rhs.begin(), rhs.end() - 2)});
  out.push_back(lhs[lhs.size() - 2]);
  out.push_back(rhs.back());
  return out;
}

}  // namespace

PlainTranspose plain_transpose(const TransposeAttrs& attrs, const Shape& input) {
  if (attrs.perm.empty() || attrs.perm[0] == 0) return {input, attrs.perm};
  PlainTranspose plain;
  plain.input = input;
  plain.input[0] = attrs.leading_in;
  plain.input.insert(plain.input.begin(), replicas(input, attrs.leading_in));
  plain.perm.push_back(0);
  for (int64_t p : attrs.perm) plain.perm.push_back(p + 1);
  return plain;
}

Shape infer_output_shape(const Layer& layer, const std::vector<Shape>& in, int64_t batch) {
  for (const auto& s : in) {
    if (s.empty() || s.size() > 6) fail("input of rank " + std::to_string(s.size()));
  }
  Shape out;
  switch (layer.kind) {
    case LayerKind::input: {
      const auto& a = std::get<InputAttrs>(layer.attrs);
      if (!in.empty()) fail("an input layer takes no inputs");
      if (a.sample_shape.empty()) fail("input has no shape");
      if (!a.batched) {
        if (batch != 1) {
          fail("input " + dims(a.sample_shape) +
               " has no batch dim (one image per run): the batch stays 1, got " +
               std::to_string(batch));
        }
        out = a.sample_shape;
        break;
      }
      out.push_back(batch);
      out.insert(out.end(), a.sample_shape.begin(), a.sample_shape.end());
      break;
    }
    case LayerKind::conv:
      out = infer_conv(std::get<ConvAttrs>(layer.attrs), single_input(in));
      break;
    case LayerKind::pool:
      out = infer_pool(std::get<PoolAttrs>(layer.attrs), single_input(in));
      break;
    case LayerKind::fc: {
      const auto& a = std::get<FcAttrs>(layer.attrs);
      const Shape& x = single_input(in);
      if (x.size() < 2) fail("fc needs an input of rank >= 2, got " + dims(x));
      if (a.out_features <= 0) fail("fc needs positive out_features");
      out = x;
      out.back() = a.out_features;
      break;
    }
    case LayerKind::matmul:
      out = infer_matmul(std::get<MatmulAttrs>(layer.attrs), in);
      break;
    case LayerKind::bn:
    case LayerKind::lrn: {
      const Shape& x = single_input(in);
      if (x.size() < 2) fail("needs a channel dim, got " + dims(x));
      out = x;
      break;
    }
    case LayerKind::act:
    case LayerKind::dropout:
    case LayerKind::identity:
    case LayerKind::cast:
      out = single_input(in);
      break;
    case LayerKind::softmax: {
      out = single_input(in);
      normalize_axis(std::get<SoftmaxAttrs>(layer.attrs).axis, out.size());
      break;
    }
    case LayerKind::layernorm: {
      out = single_input(in);
      normalize_axis(std::get<LayerNormAttrs>(layer.attrs).axis, out.size());
      break;
    }
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max: {
      std::vector<Shape> operands = in;
      const auto& a = std::get<EltwiseAttrs>(layer.attrs);
      operands.insert(operands.end(), a.constant_operands.begin(), a.constant_operands.end());
      if (in.empty() || operands.size() < 2) {
        fail("an elementwise layer needs at least two operands, one of them a layer");
      }
      for (const auto& s : a.constant_operands) element_count(s);
      out = broadcast(operands);
      break;
    }
    case LayerKind::concat: {
      if (in.empty()) fail("concat has no inputs");
      const auto& a = std::get<ConcatAttrs>(layer.attrs);
      const int64_t axis = normalize_axis(a.axis, in[0].size());
      if (axis == 0) fail("concat along the batch axis is not supported");
      out = in[0];
      std::vector<Shape> operands = in;
      for (const auto& c : a.constant_operands) {
        if (c.size() != out.size() || c[0] != 1) {
          fail("a constant concat operand " + dims(c) + " needs the rank of " + dims(out) +
               " and dim 0 of 1 (one sample's tensor)");
        }
        Shape broadcast_c = c;
        broadcast_c[0] = out[0];
        operands.push_back(broadcast_c);
      }
      for (size_t k = 1; k < operands.size(); ++k) {
        const Shape& operand = operands[k];
        if (operand.size() != out.size()) fail("concat of different ranks");
        for (size_t i = 0; i < out.size(); ++i) {
          if (static_cast<int64_t>(i) == axis) {
            out[i] = checked_add(out[i], operand[i], "concat size");
          } else if (operand[i] != out[i]) {
            fail("concat inputs " + dims(in[0]) + " and " + dims(operand) + " differ off axis " +
                 std::to_string(axis));
          }
        }
      }
      break;
    }
    case LayerKind::transpose: {
      const Shape& x = single_input(in);
      const auto& perm = std::get<TransposeAttrs>(layer.attrs).perm;
      std::vector<int64_t> sorted = perm;
      std::sort(sorted.begin(), sorted.end());
      std::vector<int64_t> identity(x.size());
      std::iota(identity.begin(), identity.end(), 0);
      if (sorted != identity)
        fail("perm is not a permutation of the input's " + std::to_string(x.size()) + " dims");
      const auto& a = std::get<TransposeAttrs>(layer.attrs);
      if ((perm[0] != 0) != (a.leading_in > 0)) {
        fail(
            "a transpose needs leading_in (its input's dim 0 per replica) exactly when it "
            "moves dim 0; perm[0] is " +
            std::to_string(perm[0]) + ", leading_in " + std::to_string(a.leading_in));
      }
      const PlainTranspose plain = plain_transpose(a, x);
      if (perm[0] == 0) {
        for (int64_t p : perm) out.push_back(x[static_cast<size_t>(p)]);
      } else {
        for (size_t i = 1; i < plain.perm.size(); ++i) {
          out.push_back(plain.input[static_cast<size_t>(plain.perm[i])]);
        }
        out[0] = checked_mul(out[0], plain.input[0], "transpose size");
      }
      break;
    }
    case LayerKind::slice: {
      const Shape& x = single_input(in);
      const auto& a = std::get<SliceAttrs>(layer.attrs);
      const int64_t axis = normalize_axis(a.axis, x.size());
      if (axis == 0) fail("slicing the batch axis is not supported");
      if (a.step <= 0) fail("slice step must be positive, got " + std::to_string(a.step));
      const int64_t dim = x[static_cast<size_t>(axis)];
      auto clamp = [dim](int64_t v) { return std::clamp(v < 0 ? v + dim : v, int64_t{0}, dim); };
      const int64_t start = clamp(a.start), end = clamp(a.end);
      if (end <= start)
        fail("slice [" + std::to_string(a.start) + ", " + std::to_string(a.end) + ") of a dim of " +
             std::to_string(dim) + " is empty");
      out = x;
      out[static_cast<size_t>(axis)] = (end - start + a.step - 1) / a.step;
      break;
    }
    case LayerKind::resize:
      out = infer_resize(std::get<ResizeAttrs>(layer.attrs), single_input(in));
      break;
    case LayerKind::reshape: {
      const auto& a = std::get<ReshapeAttrs>(layer.attrs);
      out = a.leading_in > 0 ? infer_replica_reshape(a, single_input(in))
                             : infer_reshape(a.sample_shape, single_input(in));
      break;
    }
    case LayerKind::flatten:
      out = infer_reshape({-1}, single_input(in));
      break;
    case LayerKind::unknown: {
      out.push_back(batch);
      const auto& s = std::get<UnknownAttrs>(layer.attrs).sample_shape;
      out.insert(out.end(), s.begin(), s.end());
      break;
    }
  }
  element_count(out);
  const bool batch_in_front =
      (layer.kind == LayerKind::input && std::get<InputAttrs>(layer.attrs).batched) ||
      layer.kind == LayerKind::unknown;
  if (batch_in_front && out[0] != batch) {
    fail("output " + dims(out) + " does not keep the batch of " + std::to_string(batch));
  }
  return out;
}

Network::Network(std::string name, int64_t batch, DataType dtype)
    : name_(std::move(name)), batch_(batch), dtype_(dtype) {
  if (batch <= 0) throw Error("batch must be positive, got " + std::to_string(batch));
}

int Network::add(Layer layer) {
  if (layer.name.empty()) throw Error("layer #" + std::to_string(layers_.size()) + " has no name");
  if (find(layer.name)) throw Error("duplicate layer name '" + layer.name + "'");
  const int id = size();
  for (int input : layer.inputs) {
    if (input < 0 || input >= id) {
      throw Error("layer '" + layer.name + "' reads layer #" + std::to_string(input) +
                  ", which is not an earlier layer");
    }
  }
  index_.emplace(layer.name, id);
  layers_.push_back(std::move(layer));
  return id;
}

std::optional<int> Network::find(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void Network::infer_shapes() {
  for (auto& layer : layers_) {
    std::vector<Shape> in;
    in.reserve(layer.inputs.size());
    for (int id : layer.inputs) in.push_back(layers_[static_cast<size_t>(id)].output_shape);
    try {
      layer.output_shape = infer_output_shape(layer, in, batch_);
    } catch (...) {
      rethrow_with_context("layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) +
                           ")");
    }
  }
}

void Network::set_batch(int64_t batch) {
  if (batch <= 0) throw Error("batch must be positive, got " + std::to_string(batch));
  batch_ = batch;
  infer_shapes();
}

bool Network::has_batch_dim() const {
  return std::none_of(layers_.begin(), layers_.end(), [](const Layer& layer) {
    return layer.kind == LayerKind::input && !std::get<InputAttrs>(layer.attrs).batched;
  });
}

int64_t UnmodelledNodes::count() const {
  int64_t total = 0;
  for (const auto& [op, n] : ops) total += n;
  return total;
}

std::string UnmodelledNodes::summary() const {
  if (empty()) return "";
  auto thousands = [](int64_t v) {
    std::string digits = std::to_string(v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  };
  std::string text = thousands(count()) + " of " + thousands(graph_nodes) + " graph nodes";
  if (graph_nodes > 0) {
    char share[32];
    std::snprintf(share, sizeof share, " (%.1f%%)",
                  100.0 * static_cast<double>(count()) / static_cast<double>(graph_nodes));
    text += share;
  }
  text += " from '" + first + "' on:";
  std::vector<std::pair<int64_t, std::string>> by_count;
  for (const auto& [op, n] : ops) by_count.emplace_back(-n, op);
  std::sort(by_count.begin(), by_count.end());
  for (size_t i = 0; i < by_count.size(); ++i) {
    text += (i ? ", " : " ") + by_count[i].second + " " + std::to_string(-by_count[i].first);
  }
  return text;
}

int Network::layers_in_other_dtypes() const {
  int count = 0;
  for (const Layer& layer : layers_) count += layer.dtype && *layer.dtype != dtype_ ? 1 : 0;
  return count;
}

std::vector<std::string> Network::unmodelled_layers() const {
  std::vector<std::string> names;
  for (const auto& layer : layers_) {
    if (layer.kind == LayerKind::unknown) names.push_back(layer.name + " (" + layer.op + ")");
  }
  return names;
}

}  // namespace np
