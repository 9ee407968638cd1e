#include "shape_ops.hpp"

#include <algorithm>
#include <climits>
#include <numeric>
#include <string>

#include "neuralpower/checked.hpp"
#include "neuralpower/error.hpp"

namespace np::onnx_import {

std::string list_to_string(const std::vector<int64_t>& values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(values[i]);
  }
  return text + "]";
}

int64_t count_elements(const Shape& shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("shape " + shape_to_string(shape) + " has a negative dim");
  }
  for (int64_t d : shape) {
    if (d == 0) return 0;
    if (count > kMaxTensorElements / d) {
      throw Error("tensor of shape " + shape_to_string(shape) +
                  " is too large (more than 2^38 elements)");
    }
    count *= d;
  }
  return count;
}

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

int64_t normalize_axis(int64_t axis, int64_t rank, const char* what) {
  if (axis < -rank || axis >= rank) {
    throw Error(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> normalize_axes(const std::vector<int64_t>& axes, int64_t rank,
                                    const char* what) {
  std::vector<int64_t> out;
  for (int64_t a : axes) out.push_back(normalize_axis(a, rank, what));
  std::vector<int64_t> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    throw Error(std::string(what) + " lists an axis twice");
  }
  return out;
}

Shape broadcast_shapes(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const auto& s : shapes) {
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[rank - s.size() + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o == 1) {
        o = s[i];
        continue;
      }
      std::string all;
      for (const auto& t : shapes) all += (all.empty() ? "" : ", ") + shape_to_string(t);
      throw Error("shapes " + all + " do not broadcast");
    }
  }
  return out;
}

std::vector<int64_t> broadcast_sources(const Shape& in, const Shape& out) {
  const int64_t total = count_elements(out);
  const auto in_strides = strides_of(in);
  const auto out_strides = strides_of(out);
  const size_t offset = out.size() - in.size();
  std::vector<int64_t> sources(static_cast<size_t>(total));
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t source = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const size_t o = offset + i;
      const int64_t index = (flat / out_strides[o]) % out[o];
      if (in[i] != 1) source += index * in_strides[i];
    }
    sources[static_cast<size_t>(flat)] = source;
  }
  return sources;
}

Shape reshape_shape(const Shape& in, const std::vector<int64_t>& target, bool allow_zero) {
  const int64_t total = count_elements(in);
  Shape out;
  int64_t known = 1;
  int inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allow_zero) {
      if (i >= in.size()) {
        throw Error("reshape target " + list_to_string(target) + " copies dim " +
                    std::to_string(i) + " of a rank-" + std::to_string(in.size()) + " input");
      }
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0) throw Error("reshape target " + list_to_string(target) + " has two -1");
      inferred = static_cast<int>(i);
    } else if (d < 0) {
      throw Error("reshape target " + list_to_string(target) + " has a negative dim");
    } else {
      known = checked_mul(known, d, "reshape size");
    }
    out.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) {
      throw Error("cannot reshape " + shape_to_string(in) + " to " + list_to_string(target));
    }
    out[static_cast<size_t>(inferred)] = total / known;
  } else if (known != total) {
    throw Error("cannot reshape " + shape_to_string(in) + " (" + std::to_string(total) +
                " elements) to " + list_to_string(target));
  }
  return out;
}

SliceRange slice_range(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (step == 0) throw Error("slice step is 0");
  if (start < 0) start = start < -dim ? -1 - dim : start + dim;  // keeps ordering, no overflow
  if (end < 0) end = end < -dim ? -1 - dim : end + dim;
  SliceRange r;
  r.step = step;
  if (step > 0) {
    r.start = std::clamp<int64_t>(start, 0, dim);
    r.end = std::clamp<int64_t>(end, 0, dim);
    r.count = r.end > r.start ? 1 + (r.end - r.start - 1) / step : 0;
  } else {
    r.start = std::clamp<int64_t>(start, 0, dim - 1);
    r.end = std::clamp<int64_t>(end, -1, dim - 1);
    const int64_t magnitude = step == INT64_MIN ? INT64_MAX : -step;
    r.count = r.start > r.end ? 1 + (r.start - r.end - 1) / magnitude : 0;
  }
  return r;
}

Shape flatten_shape(const Shape& in, int64_t axis) {
  const auto rank = static_cast<int64_t>(in.size());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t& side = i < axis ? outer : inner;
    side = checked_mul(side, in[static_cast<size_t>(i)], "flatten size");
  }
  return {outer, inner};
}

Shape squeeze_shape(const Shape& in, const std::vector<int64_t>& axes) {
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    const bool listed = std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) != axes.end();
    if (listed && in[i] != 1) {
      throw Error("cannot squeeze dim " + std::to_string(i) + " of " + shape_to_string(in) +
                  ": it is not 1");
    }
    if (!listed) out.push_back(in[i]);
  }
  return out;
}

Shape unsqueeze_shape(const Shape& in, const std::vector<int64_t>& axes) {
  const auto rank = static_cast<int64_t>(in.size() + axes.size());
  const auto normalized = normalize_axes(axes, rank, "unsqueeze axis");
  Shape out;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (std::find(normalized.begin(), normalized.end(), i) != normalized.end()) {
      out.push_back(1);
    } else {
      out.push_back(in[next++]);
    }
  }
  return out;
}

Shape transpose_shape(const Shape& in, const std::vector<int64_t>& perm) {
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(in.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) {
    throw Error("perm " + list_to_string(perm) + " is not a permutation of " +
                std::to_string(in.size()) + " dims");
  }
  Shape out;
  for (int64_t p : perm) out.push_back(in[static_cast<size_t>(p)]);
  return out;
}

std::vector<int64_t> reversed_perm(size_t rank) {
  std::vector<int64_t> perm(rank);
  for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(rank - 1 - i);
  return perm;
}

}  // namespace np::onnx_import
