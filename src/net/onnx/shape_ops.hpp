#pragma once
// Shape rules of ONNX ops (numpy broadcasting, Reshape's 0 and -1, Slice's clamping, ...),
// shared by the constant folder and the layer mapping. Pure functions of shapes.
#include <cstdint>
#include <string>
#include <vector>

#include "neuralpower/shape.hpp"

namespace np::onnx_import {

// "[1, -1, 3]": for attribute values, which may be zero or negative (shape_to_string is for
// shapes).
std::string list_to_string(const std::vector<int64_t>& values);

// Element count of a shape that may hold zero dims (constants); throws on a negative dim or
// more than kMaxTensorElements elements.
int64_t count_elements(const Shape& shape);

// Row-major strides.
std::vector<int64_t> strides_of(const Shape& shape);

// Axis in [-rank, rank) made non-negative; throws naming `what` when out of range.
int64_t normalize_axis(int64_t axis, int64_t rank, const char* what);
std::vector<int64_t> normalize_axes(const std::vector<int64_t>& axes, int64_t rank,
                                    const char* what);

// Numpy broadcasting; throws when the shapes do not broadcast.
Shape broadcast_shapes(const std::vector<Shape>& shapes);
// For each element of `out`, the flat index of the element of `in` broadcast onto it.
std::vector<int64_t> broadcast_sources(const Shape& in, const Shape& out);

// ONNX Reshape: 0 copies the input dim (unless allow_zero), one -1 is inferred.
Shape reshape_shape(const Shape& in, const std::vector<int64_t>& target, bool allow_zero);
// ONNX Flatten: the dims before `axis` (normalised against rank + 1) multiplied into the first
// output dim, the rest into the second.
Shape flatten_shape(const Shape& in, int64_t axis);

// One axis of an ONNX Slice after clamping: elements start, start + step, ... (count of them).
struct SliceRange {
  int64_t start = 0, end = 0, step = 1, count = 0;
};
SliceRange slice_range(int64_t dim, int64_t start, int64_t end, int64_t step);

Shape squeeze_shape(const Shape& in, const std::vector<int64_t>& axes);    // axes normalised
Shape unsqueeze_shape(const Shape& in, const std::vector<int64_t>& axes);  // any sign
Shape transpose_shape(const Shape& in, const std::vector<int64_t>& perm);
std::vector<int64_t> reversed_perm(size_t rank);

}  // namespace np::onnx_import
