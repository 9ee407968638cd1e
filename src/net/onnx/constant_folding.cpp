#include "constant_folding.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "attributes.hpp"
#include "neuralpower/checked.hpp"
#include "neuralpower/error.hpp"
#include "shape_ops.hpp"
#include "tensor_proto.hpp"

namespace np::onnx_import {

std::vector<int64_t> integer_values(const Tensor& t, const char* what) {
  if (!t.values) {
    throw Error(std::string("the values of ") + what +
                " are not known (an initializer without data, or too large to fold)");
  }
  std::vector<int64_t> out;
  out.reserve(t.values->size());
  for (size_t i = 0; i < t.values->size(); ++i) out.push_back(t.values->integer(i));
  return out;
}

namespace {

using onnx::TensorProto;
using Inputs = std::vector<const Tensor*>;

const Tensor* optional_input(const Inputs& in, size_t k) { return k < in.size() ? in[k] : nullptr; }

const Tensor& input(const Inputs& in, size_t k) {
  const Tensor* t = optional_input(in, k);
  if (!t) throw Error("input " + std::to_string(k) + " is missing");
  return *t;
}

bool foldable(const Shape& shape) { return count_elements(shape) <= kMaxFoldedElements; }

Tensor constant(Shape shape, int32_t elem_type, std::optional<Values> values = std::nullopt) {
  count_elements(shape);
  Tensor t;
  t.shape = std::move(shape);
  t.elem_type = elem_type;
  if (values && foldable(t.shape)) t.values = std::move(values);
  return t;
}

Values pick(const Values& in, const std::vector<int64_t>& sources) {
  Values out;
  out.integral = in.integral;
  for (int64_t s : sources) {
    if (in.integral) {
      out.ints.push_back(in.ints[static_cast<size_t>(s)]);
    } else {
      out.reals.push_back(in.reals[static_cast<size_t>(s)]);
    }
  }
  return out;
}

Values integers(std::vector<int64_t> ints) { return Values{true, std::move(ints), {}}; }

// Axes from an input (newer opsets) or an attribute (older ones).
std::optional<std::vector<int64_t>> axes_of(const onnx::NodeProto& node, const Inputs& in, size_t k,
                                            const char* attribute = "axes") {
  if (const Tensor* t = optional_input(in, k)) return integer_values(*t, "axes");
  return ints_attribute(node, attribute);
}

// Flat index of `in` for each element of `out`, where in_index(out_index) is computed per dim.
template <typename Map>
std::vector<int64_t> index_map(const Shape& in, const Shape& out, Map map_dim) {
  const int64_t total = count_elements(out);
  const auto in_strides = strides_of(in);
  const auto out_strides = strides_of(out);
  std::vector<int64_t> sources(static_cast<size_t>(total));
  std::vector<int64_t> index(out.size());
  for (int64_t flat = 0; flat < total; ++flat) {
    for (size_t i = 0; i < out.size(); ++i) index[i] = (flat / out_strides[i]) % out[i];
    sources[static_cast<size_t>(flat)] = map_dim(index, in_strides);
  }
  return sources;
}

Tensor fold_shape(const onnx::NodeProto& node, const Tensor& x) {
  const auto rank = static_cast<int64_t>(x.shape.size());
  int64_t start = int_attribute(node, "start", 0);
  int64_t end = int_attribute(node, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  std::vector<int64_t> dims(x.shape.begin() + start, x.shape.begin() + end);
  const auto n = static_cast<int64_t>(dims.size());
  return constant({n}, TensorProto::INT64, integers(std::move(dims)));
}

Tensor fold_cast(const onnx::NodeProto& node, const Tensor& x) {
  const auto to = static_cast<int32_t>(int_attribute(node, "to", TensorProto::FLOAT));
  Tensor out = constant(x.shape, to);
  if (!x.values) return out;
  Values v;
  v.integral = is_integral_type(to);
  for (size_t i = 0; i < x.values->size(); ++i) {
    if (to == TensorProto::BOOL) {
      v.ints.push_back(x.values->real(i) != 0.0 ? 1 : 0);
    } else if (v.integral) {
      v.ints.push_back(x.values->integer(i));
    } else {
      v.reals.push_back(x.values->real(i));
    }
  }
  out.values = std::move(v);
  return out;
}

Tensor fold_gather(const onnx::NodeProto& node, const Tensor& data, const Tensor& indices) {
  const auto rank = static_cast<int64_t>(data.shape.size());
  if (rank == 0) throw Error("Gather of a scalar");
  const int64_t axis = normalize_axis(int_attribute(node, "axis", 0), rank, "axis");
  Shape out(data.shape.begin(), data.shape.begin() + axis);
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
  Tensor result = constant(out, data.elem_type);
  if (!data.values || !foldable(out)) return result;
  if (count_elements(out) == 0) {
    result.values = Values{data.values->integral, {}, {}};
    return result;
  }
  const auto idx = integer_values(indices, "the indices");
  const int64_t dim = data.shape[static_cast<size_t>(axis)];
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= data.shape[static_cast<size_t>(i)];
  for (int64_t i = axis + 1; i < rank; ++i) inner *= data.shape[static_cast<size_t>(i)];
  std::vector<int64_t> sources;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j : idx) {
      const int64_t k = j < 0 ? j + dim : j;
      if (k < 0 || k >= dim) {
        throw Error("index " + std::to_string(j) + " is out of range for a dim of " +
                    std::to_string(dim));
      }
      for (int64_t i = 0; i < inner; ++i) sources.push_back((o * dim + k) * inner + i);
    }
  }
  result.values = pick(*data.values, sources);
  return result;
}

}  // namespace

SliceSpec slice_spec(const onnx::NodeProto& node, const Inputs& in, int64_t rank) {
  SliceSpec s;
  if (optional_input(in, 1)) {
    s.starts = integer_values(input(in, 1), "starts");
    s.ends = integer_values(input(in, 2), "ends");
    if (const Tensor* a = optional_input(in, 3)) s.axes = integer_values(*a, "axes");
    if (const Tensor* st = optional_input(in, 4)) s.steps = integer_values(*st, "steps");
  } else {
    s.starts = ints_attribute(node, "starts").value_or(std::vector<int64_t>{});
    s.ends = ints_attribute(node, "ends").value_or(std::vector<int64_t>{});
    s.axes = ints_attribute(node, "axes").value_or(std::vector<int64_t>{});
  }
  if (s.axes.empty()) {
    for (size_t i = 0; i < s.starts.size(); ++i) s.axes.push_back(static_cast<int64_t>(i));
  }
  if (s.steps.empty()) s.steps.assign(s.starts.size(), 1);
  if (s.ends.size() != s.starts.size() || s.axes.size() != s.starts.size() ||
      s.steps.size() != s.starts.size()) {
    throw Error("starts, ends, axes and steps differ in length");
  }
  s.axes = normalize_axes(s.axes, rank, "slice axis");
  return s;
}

std::vector<int64_t> split_sizes(const onnx::NodeProto& node, const Inputs& in, int64_t dim,
                                 int64_t opset) {
  std::vector<int64_t> sizes;
  if (const Tensor* s = optional_input(in, 1)) {
    sizes = integer_values(*s, "split");
  } else if (auto attr = ints_attribute(node, "split")) {
    sizes = *attr;
  } else {
    const int64_t parts = int_attribute(node, "num_outputs", node.output_size());
    if (parts <= 0) throw Error("Split into " + std::to_string(parts) + " parts");
    if (opset < 18 && dim % parts != 0) {
      throw Error("a dim of " + std::to_string(dim) + " does not split into " +
                  std::to_string(parts) + " equal parts");
    }
    const int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t left = dim; left > 0; left -= chunk) sizes.push_back(std::min(chunk, left));
  }
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0) throw Error("split sizes " + list_to_string(sizes) + " include a negative one");
    total = checked_add(total, size, "split size");
  }
  if (total != dim) {
    throw Error("split sizes " + list_to_string(sizes) + " add up to " + std::to_string(total) +
                ", the dim is " + std::to_string(dim));
  }
  return sizes;
}

namespace {

Tensor fold_slice(const onnx::NodeProto& node, const Inputs& in) {
  const Tensor& x = input(in, 0);
  const auto spec = slice_spec(node, in, static_cast<int64_t>(x.shape.size()));
  std::vector<SliceRange> ranges;
  for (size_t i = 0; i < x.shape.size(); ++i) ranges.push_back({0, x.shape[i], 1, x.shape[i]});
  for (size_t i = 0; i < spec.axes.size(); ++i) {
    const auto axis = static_cast<size_t>(spec.axes[i]);
    ranges[axis] = slice_range(x.shape[axis], spec.starts[i], spec.ends[i], spec.steps[i]);
  }
  Shape out;
  for (const auto& r : ranges) out.push_back(r.count);
  Tensor result = constant(out, x.elem_type);
  if (!x.values || !foldable(out)) return result;
  result.values = pick(*x.values, index_map(x.shape, out, [&](const auto& index, const auto& st) {
    int64_t flat = 0;
    for (size_t i = 0; i < index.size(); ++i) {
      flat += (ranges[i].start + index[i] * ranges[i].step) * st[i];
    }
    return flat;
  }));
  return result;
}

Tensor fold_concat(const onnx::NodeProto& node, const Inputs& in) {
  std::vector<const Tensor*> parts;
  for (const Tensor* t : in) {
    if (t) parts.push_back(t);
  }
  if (parts.empty()) throw Error("Concat has no inputs");
  const Shape& first = parts[0]->shape;
  const auto rank = static_cast<int64_t>(first.size());
  const auto axis_attribute = int_attribute(node, "axis");
  if (!axis_attribute) throw Error("Concat has no axis attribute");
  const auto axis = static_cast<size_t>(normalize_axis(*axis_attribute, rank, "axis"));
  Shape out = first;
  out[axis] = 0;
  bool all_values = true;
  for (const Tensor* t : parts) {
    if (t->shape.size() != first.size()) throw Error("Concat of different ranks");
    for (size_t i = 0; i < first.size(); ++i) {
      if (i != axis && t->shape[i] != first[i]) {
        throw Error("Concat inputs " + shape_to_string(first) + " and " +
                    shape_to_string(t->shape) + " differ off the axis");
      }
    }
    out[axis] = checked_add(out[axis], t->shape[axis], "concat size");
    all_values = all_values && t->values;
  }
  Tensor result = constant(out, parts[0]->elem_type);
  if (!all_values || !foldable(out)) return result;
  if (count_elements(out) == 0) {
    result.values = Values{parts[0]->values->integral, {}, {}};
    return result;
  }
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < axis; ++i) outer *= first[i];
  for (size_t i = axis + 1; i < first.size(); ++i) inner *= first[i];
  Values v;
  v.integral =
      std::all_of(parts.begin(), parts.end(), [](const Tensor* t) { return t->values->integral; });
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor* t : parts) {
      const int64_t chunk = t->shape[axis] * inner;
      for (int64_t i = 0; i < chunk; ++i) {
        const auto k = static_cast<size_t>(o * chunk + i);
        if (v.integral) {
          v.ints.push_back(t->values->ints[k]);
        } else {
          v.reals.push_back(t->values->real(k));
        }
      }
    }
  }
  result.values = std::move(v);
  return result;
}

Tensor reshaped(const Tensor& x, Shape shape) {
  Tensor t = constant(std::move(shape), x.elem_type);
  t.values = x.values;
  return t;
}

Tensor fold_squeeze(const onnx::NodeProto& node, const Inputs& in) {
  const Tensor& x = input(in, 0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  if (auto listed = axes_of(node, in, 1)) {
    axes = normalize_axes(*listed, rank, "squeeze axis");
  } else {
    for (int64_t i = 0; i < rank; ++i) {
      if (x.shape[static_cast<size_t>(i)] == 1) axes.push_back(i);
    }
  }
  return reshaped(x, squeeze_shape(x.shape, axes));
}

Tensor fold_unsqueeze(const onnx::NodeProto& node, const Inputs& in) {
  const Tensor& x = input(in, 0);
  const auto axes = axes_of(node, in, 1);
  if (!axes) throw Error("Unsqueeze has no axes");
  return reshaped(x, unsqueeze_shape(x.shape, *axes));
}

Tensor fold_reshape(const onnx::NodeProto& node, const Inputs& in) {
  const Tensor& x = input(in, 0);
  std::vector<int64_t> target;
  if (const Tensor* t = optional_input(in, 1)) {
    target = integer_values(*t, "the target shape");
  } else if (auto attr = ints_attribute(node, "shape")) {
    target = *attr;
  } else {
    throw Error("Reshape has no target shape");
  }
  return reshaped(x, reshape_shape(x.shape, target, int_attribute(node, "allowzero", 0) != 0));
}

Tensor fold_flatten(const onnx::NodeProto& node, const Tensor& x) {
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(int_attribute(node, "axis", 1), rank + 1, "axis");
  return reshaped(x, flatten_shape(x.shape, axis));
}

Tensor fold_transpose(const onnx::NodeProto& node, const Tensor& x) {
  const auto perm = ints_attribute(node, "perm").value_or(reversed_perm(x.shape.size()));
  const Shape out = transpose_shape(x.shape, perm);
  Tensor result = constant(out, x.elem_type);
  if (!x.values) return result;
  result.values = pick(*x.values, index_map(x.shape, out, [&](const auto& index, const auto& st) {
    int64_t flat = 0;
    for (size_t i = 0; i < index.size(); ++i) {
      flat += index[i] * st[static_cast<size_t>(perm[i])];
    }
    return flat;
  }));
  return result;
}

Tensor fold_expand(const Inputs& in) {
  const Tensor& x = input(in, 0);
  const auto target = integer_values(input(in, 1), "the target shape");
  const Shape out = broadcast_shapes({x.shape, target});
  Tensor result = constant(out, x.elem_type);
  if (x.values && foldable(out)) result.values = pick(*x.values, broadcast_sources(x.shape, out));
  return result;
}

Tensor fold_constant_of_shape(const onnx::NodeProto& node, const Inputs& in) {
  const Shape out = integer_values(input(in, 0), "the shape");
  Values fill{false, {}, {0.0}};
  int32_t type = TensorProto::FLOAT;
  if (const auto* attr = find_attribute(node, "value")) {
    const Tensor value = read_tensor_proto(attr->t(), "its value");
    if (!value.values || value.values->size() != 1) throw Error("value must hold one element");
    fill = *value.values;
    type = value.elem_type;
  }
  Tensor result = constant(out, type);
  if (!foldable(out)) return result;
  const auto n = static_cast<size_t>(count_elements(out));
  result.values = pick(fill, std::vector<int64_t>(n, 0));
  return result;
}

Tensor fold_range(const Inputs& in) {
  const Tensor& start = input(in, 0);
  const Tensor& limit = input(in, 1);
  const Tensor& delta = input(in, 2);
  for (const Tensor* t : {&start, &limit, &delta}) {
    if (!t->values || t->values->size() != 1) throw Error("Range needs known scalar inputs");
  }
  const bool integral = start.values->integral && limit.values->integral && delta.values->integral;
  const double s = start.values->real(0), l = limit.values->real(0), d = delta.values->real(0);
  if (d == 0.0) throw Error("Range delta is 0");
  const double steps = std::ceil((l - s) / d);
  if (!(steps <= static_cast<double>(kMaxFoldedElements))) {
    throw Error("Range of more than 2^20 elements");
  }
  const auto n = static_cast<int64_t>(std::max(steps, 0.0));
  Values v;
  v.integral = integral;
  for (int64_t i = 0; i < n; ++i) {
    if (integral) {
      v.ints.push_back(checked_add(start.values->ints[0],
                                   checked_mul(i, delta.values->ints[0], "Range"), "Range"));
    } else {
      v.reals.push_back(s + static_cast<double>(i) * d);
    }
  }
  return constant({n}, start.elem_type, std::move(v));
}

std::vector<Tensor> fold_split(const onnx::NodeProto& node, const Inputs& in, int64_t opset) {
  const Tensor& x = input(in, 0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(int_attribute(node, "axis", 0), rank, "axis");
  const auto sizes = split_sizes(node, in, x.shape[static_cast<size_t>(axis)], opset);
  std::vector<Tensor> outs;
  int64_t offset = 0;
  for (int64_t size : sizes) {
    Tensor starts = constant({1}, TensorProto::INT64, integers({offset}));
    Tensor ends = constant({1}, TensorProto::INT64, integers({offset + size}));
    Tensor axes = constant({1}, TensorProto::INT64, integers({axis}));
    outs.push_back(fold_slice(onnx::NodeProto{}, {&x, &starts, &ends, &axes}));
    offset += size;
  }
  return outs;
}

// Integer arithmetic that fails loudly instead of wrapping.
int64_t integer_op(const std::string& op, int64_t a, int64_t b, bool fmod) {
  int64_t r = 0;
  if (op == "Add" || op == "Sum") {
    if (__builtin_add_overflow(a, b, &r)) throw Error("integer overflow in " + op);
    return r;
  }
  if (op == "Sub") {
    if (__builtin_sub_overflow(a, b, &r)) throw Error("integer overflow in Sub");
    return r;
  }
  if (op == "Mul") {
    if (__builtin_mul_overflow(a, b, &r)) throw Error("integer overflow in Mul");
    return r;
  }
  if (op == "Div" || op == "Mod") {
    if (b == 0) throw Error("integer " + op + " by zero");
    if (a == INT64_MIN && b == -1) throw Error("integer overflow in " + op);
    if (op == "Div") return a / b;
    r = a % b;
    if (!fmod && r != 0 && ((r < 0) != (b < 0))) r += b;  // sign of the divisor
    return r;
  }
  if (op == "Min") return std::min(a, b);
  if (op == "Max") return std::max(a, b);
  throw Error("no integer rule for " + op);
}

double real_op(const std::string& op, double a, double b, bool fmod) {
  if (op == "Add" || op == "Sum") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "Div") return a / b;
  if (op == "Pow") return std::pow(a, b);
  if (op == "Mod") return fmod ? std::fmod(a, b) : a - b * std::floor(a / b);
  if (op == "Min") return std::min(a, b);
  if (op == "Max") return std::max(a, b);
  throw Error("no rule for " + op);
}

std::optional<bool> compare(const std::string& op, double a, double b) {
  if (op == "Equal") return a == b;
  if (op == "Less") return a < b;
  if (op == "Greater") return a > b;
  if (op == "LessOrEqual") return a <= b;
  if (op == "GreaterOrEqual") return a >= b;
  if (op == "And") return a != 0.0 && b != 0.0;
  if (op == "Or") return a != 0.0 || b != 0.0;
  if (op == "Xor") return (a != 0.0) != (b != 0.0);
  return std::nullopt;
}

Tensor fold_binary(const onnx::NodeProto& node, const Tensor& a, const Tensor& b) {
  const std::string& op = node.op_type();
  const Shape out = broadcast_shapes({a.shape, b.shape});
  const bool comparison = compare(op, 0, 0).has_value();
  Tensor result = constant(out, comparison ? TensorProto::BOOL : a.elem_type);
  if (!a.values || !b.values || !foldable(out)) return result;
  const auto sa = broadcast_sources(a.shape, out);
  const auto sb = broadcast_sources(b.shape, out);
  const bool fmod = int_attribute(node, "fmod", 0) != 0;
  Values v;
  v.integral = comparison || (a.values->integral && b.values->integral && op != "Pow");
  for (size_t i = 0; i < sa.size(); ++i) {
    const auto ia = static_cast<size_t>(sa[i]), ib = static_cast<size_t>(sb[i]);
    if (comparison) {
      v.ints.push_back(*compare(op, a.values->real(ia), b.values->real(ib)) ? 1 : 0);
    } else if (v.integral) {
      v.ints.push_back(integer_op(op, a.values->ints[ia], b.values->ints[ib], fmod));
    } else {
      v.reals.push_back(real_op(op, a.values->real(ia), b.values->real(ib), fmod));
    }
  }
  result.values = std::move(v);
  return result;
}

Tensor fold_unary(const std::string& op, const Tensor& x) {
  Tensor result = constant(x.shape, op == "Not" ? TensorProto::BOOL : x.elem_type);
  if (!x.values) return result;
  Values v;
  v.integral = x.values->integral && op != "Sqrt" && op != "Reciprocal";
  for (size_t i = 0; i < x.values->size(); ++i) {
    const double r = x.values->real(i);
    if (op == "Not") {
      v.ints.push_back(r == 0.0 ? 1 : 0);
    } else if (v.integral) {
      const int64_t n = x.values->ints[i];
      if ((op == "Neg" || op == "Abs") && n == INT64_MIN) throw Error("integer overflow in " + op);
      if (op == "Neg") v.ints.push_back(-n);
      if (op == "Abs") v.ints.push_back(n < 0 ? -n : n);
      if (op == "Sign") v.ints.push_back((n > 0) - (n < 0));
      if (op == "Floor" || op == "Ceil") v.ints.push_back(n);
    } else {
      if (op == "Neg") v.reals.push_back(-r);
      if (op == "Abs") v.reals.push_back(std::fabs(r));
      if (op == "Sign") v.reals.push_back((r > 0) - (r < 0));
      if (op == "Floor") v.reals.push_back(std::floor(r));
      if (op == "Ceil") v.reals.push_back(std::ceil(r));
      if (op == "Sqrt") v.reals.push_back(std::sqrt(r));
      if (op == "Reciprocal") v.reals.push_back(1.0 / r);
    }
  }
  result.values = std::move(v);
  return result;
}

Tensor fold_where(const Inputs& in) {
  const Tensor& c = input(in, 0);
  const Tensor& x = input(in, 1);
  const Tensor& y = input(in, 2);
  const Shape out = broadcast_shapes({c.shape, x.shape, y.shape});
  Tensor result = constant(out, x.elem_type);
  if (!c.values || !x.values || !y.values || !foldable(out)) return result;
  const auto sc = broadcast_sources(c.shape, out);
  const auto sx = broadcast_sources(x.shape, out);
  const auto sy = broadcast_sources(y.shape, out);
  Values v;
  v.integral = x.values->integral && y.values->integral;
  for (size_t i = 0; i < sc.size(); ++i) {
    const bool take_x = c.values->real(static_cast<size_t>(sc[i])) != 0.0;
    const Tensor& from = take_x ? x : y;
    const auto k = static_cast<size_t>(take_x ? sx[i] : sy[i]);
    if (v.integral) {
      v.ints.push_back(from.values->ints[k]);
    } else {
      v.reals.push_back(from.values->real(k));
    }
  }
  result.values = std::move(v);
  return result;
}

Tensor fold_reduce(const onnx::NodeProto& node, const Inputs& in) {
  const std::string& op = node.op_type();
  const Tensor& x = input(in, 0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes =
      normalize_axes(axes_of(node, in, 1).value_or(std::vector<int64_t>{}), rank, "reduce axis");
  if (axes.empty()) {
    if (int_attribute(node, "noop_with_empty_axes", 0) != 0) return reshaped(x, x.shape);
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const bool keep = int_attribute(node, "keepdims", 1) != 0;
  Shape kept = x.shape, out;
  for (int64_t a : axes) kept[static_cast<size_t>(a)] = 1;
  for (int64_t i = 0; i < rank; ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (keep || !reduced) out.push_back(kept[static_cast<size_t>(i)]);
  }
  Tensor result = constant(out, x.elem_type);
  if (!x.values) return result;
  const int64_t n_out = count_elements(kept);
  const int64_t n_in = count_elements(x.shape);
  if (n_in == 0) return result;
  const auto in_strides = strides_of(x.shape);
  const auto kept_strides = strides_of(kept);
  std::vector<double> acc(static_cast<size_t>(n_out), op == "ReduceProd" ? 1.0 : 0.0);
  std::vector<bool> seen(static_cast<size_t>(n_out), false);
  for (int64_t flat = 0; flat < n_in; ++flat) {
    int64_t target = 0;
    for (size_t i = 0; i < x.shape.size(); ++i) {
      const int64_t index = (flat / in_strides[i]) % x.shape[i];
      if (kept[i] != 1) target += index * kept_strides[i];
    }
    const double value = x.values->real(static_cast<size_t>(flat));
    auto& a = acc[static_cast<size_t>(target)];
    const bool first = !seen[static_cast<size_t>(target)];
    seen[static_cast<size_t>(target)] = true;
    if (op == "ReduceSum" || op == "ReduceMean") a += value;
    if (op == "ReduceProd") a *= value;
    if (op == "ReduceMin") a = first ? value : std::min(a, value);
    if (op == "ReduceMax") a = first ? value : std::max(a, value);
  }
  Values v;
  v.integral = x.values->integral && op != "ReduceMean";
  for (double a : acc) {
    if (op == "ReduceMean") a /= static_cast<double>(n_in / n_out);
    if (v.integral) {
      v.ints.push_back(Values{false, {}, {a}}.integer(0));
    } else {
      v.reals.push_back(a);
    }
  }
  result.values = std::move(v);
  return result;
}

const std::vector<std::string> kBinaryOps = {"Add",
                                             "Sub",
                                             "Mul",
                                             "Div",
                                             "Mod",
                                             "Pow",
                                             "Equal",
                                             "Less",
                                             "Greater",
                                             "LessOrEqual",
                                             "GreaterOrEqual",
                                             "And",
                                             "Or",
                                             "Xor"};
const std::vector<std::string> kVariadicOps = {"Sum", "Min", "Max"};
const std::vector<std::string> kUnaryOps = {"Neg",  "Abs",  "Sign",       "Floor",
                                            "Ceil", "Sqrt", "Reciprocal", "Not"};
const std::vector<std::string> kReduceOps = {"ReduceSum", "ReduceMean", "ReduceProd", "ReduceMin",
                                             "ReduceMax"};

bool listed(const std::vector<std::string>& ops, const std::string& op) {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

}  // namespace

std::optional<std::vector<Tensor>> fold_constant_node(const onnx::NodeProto& node, const Inputs& in,
                                                      int64_t opset) {
  const std::string& op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx") return std::nullopt;
  if (op == "Constant") return std::vector<Tensor>{read_constant_node(node)};
  if (op == "Identity" || op == "Dropout")
    return std::vector<Tensor>{reshaped(input(in, 0), input(in, 0).shape)};
  if (op == "Shape") return std::vector<Tensor>{fold_shape(node, input(in, 0))};
  if (op == "Size") {
    return std::vector<Tensor>{
        constant({}, TensorProto::INT64, integers({count_elements(input(in, 0).shape)}))};
  }
  if (op == "Cast") return std::vector<Tensor>{fold_cast(node, input(in, 0))};
  if (op == "Gather") return std::vector<Tensor>{fold_gather(node, input(in, 0), input(in, 1))};
  if (op == "Slice") return std::vector<Tensor>{fold_slice(node, in)};
  if (op == "Concat") return std::vector<Tensor>{fold_concat(node, in)};
  if (op == "Squeeze") return std::vector<Tensor>{fold_squeeze(node, in)};
  if (op == "Unsqueeze") return std::vector<Tensor>{fold_unsqueeze(node, in)};
  if (op == "Reshape") return std::vector<Tensor>{fold_reshape(node, in)};
  if (op == "Flatten") return std::vector<Tensor>{fold_flatten(node, input(in, 0))};
  if (op == "Transpose") return std::vector<Tensor>{fold_transpose(node, input(in, 0))};
  if (op == "Expand") return std::vector<Tensor>{fold_expand(in)};
  if (op == "ConstantOfShape") return std::vector<Tensor>{fold_constant_of_shape(node, in)};
  if (op == "Range") return std::vector<Tensor>{fold_range(in)};
  if (op == "Split") return fold_split(node, in, opset);
  if (op == "Where") return std::vector<Tensor>{fold_where(in)};
  if (listed(kReduceOps, op)) return std::vector<Tensor>{fold_reduce(node, in)};
  if (listed(kUnaryOps, op)) return std::vector<Tensor>{fold_unary(op, input(in, 0))};
  if (listed(kBinaryOps, op)) {
    return std::vector<Tensor>{fold_binary(node, input(in, 0), input(in, 1))};
  }
  if (listed(kVariadicOps, op)) {
    Tensor acc = input(in, 0);
    for (size_t k = 1; k < in.size(); ++k) acc = fold_binary(node, acc, input(in, k));
    return std::vector<Tensor>{acc};
  }
  return std::nullopt;
}

}  // namespace np::onnx_import
