#include "backends/cuda/layer_plan.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <variant>

#include "backends/common/canonical_data.hpp"
#include "neuralpower/backend.hpp"
#include "neuralpower/checked.hpp"

namespace np::cuda {

int64_t LayerFootprint::total() const {
  int64_t sum = checked_add(input_bytes, output_bytes, "layer bytes");
  sum = checked_add(sum, parameter_bytes, "layer bytes");
  return checked_add(sum, scratch_bytes, "layer bytes");
}

std::string LayerFootprint::describe() const {
  return "inputs " + format_bytes(input_bytes) + ", output " + format_bytes(output_bytes) +
         ", parameters " + format_bytes(parameter_bytes) + ", scratch " +
         format_bytes(scratch_bytes);
}

int64_t tensor_bytes(const Shape& shape, DataType dtype) {
  // Parameter shapes are not bounded by the IR's tensor limit (an fc of 10^11 weights is a
  // valid question that gets DeviceOutOfMemory), so count with overflow checks only.
  int64_t count = 1;
  for (int64_t d : shape) count = checked_mul(count, d, "tensor elements");
  return checked_mul(count, element_bytes(dtype), "tensor bytes");
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char text[48];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

bool parameters_are_fp32(LayerKind kind) { return kind == LayerKind::bn; }

LayerFootprint layer_footprint(const Layer& layer, const std::vector<Shape>& input_shapes,
                               DataType dtype) {
  LayerFootprint footprint;
  if (is_zero_cost(layer.kind)) return footprint;  // nothing runs, nothing is allocated
  for (const auto& shape : input_shapes) {
    footprint.input_bytes =
        checked_add(footprint.input_bytes, tensor_bytes(shape, dtype), "input bytes");
  }
  footprint.output_bytes = tensor_bytes(layer.output_shape, dtype);
  const DataType parameter_type = parameters_are_fp32(layer.kind) ? DataType::fp32 : dtype;
  for (const auto& tensor : canonical_parameters(layer, input_shapes)) {
    footprint.parameter_bytes = checked_add(
        footprint.parameter_bytes, tensor_bytes(tensor.shape, parameter_type), "parameter bytes");
  }
  if (layer.kind == LayerKind::conv && !input_shapes.empty()) {
    const ConvPadding padding = plan_conv_padding(std::get<ConvAttrs>(layer.attrs));
    if (padding.needs_explicit_pad()) {
      footprint.scratch_bytes = tensor_bytes(padded_input_shape(input_shapes[0], padding), dtype);
    }
  }
  return footprint;
}

bool ConvPadding::needs_explicit_pad() const {
  return extra_top != 0 || extra_bottom != 0 || extra_left != 0 || extra_right != 0;
}

ConvPadding plan_conv_padding(const ConvAttrs& conv) {
  ConvPadding p;
  p.pad_h = std::min(conv.pad_top, conv.pad_bottom);
  p.pad_w = std::min(conv.pad_left, conv.pad_right);
  p.extra_top = conv.pad_top - p.pad_h;
  p.extra_bottom = conv.pad_bottom - p.pad_h;
  p.extra_left = conv.pad_left - p.pad_w;
  p.extra_right = conv.pad_right - p.pad_w;
  return p;
}

Shape padded_input_shape(const Shape& input, const ConvPadding& padding) {
  Shape padded = input;
  padded.at(2) += padding.extra_top + padding.extra_bottom;
  padded.at(3) += padding.extra_left + padding.extra_right;
  return padded;
}

PoolPlan plan_pool(const PoolAttrs& pool, const Shape& input, const Shape& output) {
  PoolPlan plan;
  if (pool.global) {
    plan.kernel_h = input.at(2);
    plan.kernel_w = input.at(3);
    plan.use_cudnn = true;
    return plan;
  }
  plan.set_window(pool);
  if (pool.pad_top != pool.pad_bottom || pool.pad_left != pool.pad_right) {
    plan.reason = "asymmetric padding";
    return plan;
  }
  if (pool.pad_top >= pool.kernel_h || pool.pad_left >= pool.kernel_w) {
    plan.reason = "padding as large as the window";
    return plan;
  }
  const int64_t floor_h = (input.at(2) + 2 * pool.pad_top - pool.kernel_h) / pool.stride_h + 1;
  const int64_t floor_w = (input.at(3) + 2 * pool.pad_left - pool.kernel_w) / pool.stride_w + 1;
  if (floor_h != output.at(2) || floor_w != output.at(3)) {
    plan.reason = "ceil mode adds a window";
    return plan;
  }
  plan.use_cudnn = true;
  return plan;
}

BroadcastIndex broadcast_index(const Shape& operand, const Shape& output) {
  if (output.size() > static_cast<size_t>(kMaxRank) || operand.size() > output.size()) {
    throw Error("cannot broadcast " + shape_to_string(operand) + " to " + shape_to_string(output));
  }
  BroadcastIndex index;
  index.is_full = operand == output;
  const size_t front = kMaxRank - output.size();
  const size_t operand_front = output.size() - operand.size();
  int64_t stride = 1;
  for (size_t d = kMaxRank; d-- > 0;) {
    if (d < front) {
      index.out_dims[d] = 1;
      index.strides[d] = 0;
      continue;
    }
    const size_t out_axis = d - front;
    index.out_dims[d] = output[out_axis];
    if (out_axis < operand_front) {
      index.strides[d] = 0;
      continue;
    }
    const int64_t dim = operand[out_axis - operand_front];
    if (dim != 1 && dim != output[out_axis]) {
      throw Error("cannot broadcast " + shape_to_string(operand) + " to " +
                  shape_to_string(output));
    }
    index.strides[d] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
  return index;
}

int64_t normalized_axis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) {
    throw Error("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(r));
  }
  return axis < 0 ? axis + r : axis;
}

AxisSplit split_at_axis(const Shape& shape, int64_t axis) {
  const int64_t a = normalized_axis(axis, shape.size());
  AxisSplit split;
  for (int64_t d = 0; d < a; ++d) split.outer *= shape[static_cast<size_t>(d)];
  split.axis = shape[static_cast<size_t>(a)];
  for (size_t d = static_cast<size_t>(a) + 1; d < shape.size(); ++d) split.inner *= shape[d];
  return split;
}

std::array<int64_t, 4> as_nchw(const Shape& shape) {
  std::array<int64_t, 4> dims{shape.at(0), 1, 1, 1};
  if (shape.size() >= 2) dims[1] = shape[1];
  for (size_t d = 2; d < shape.size(); ++d) dims[2] *= shape[d];
  return dims;
}

PermuteIndex permute_index(const Shape& input, const std::vector<int64_t>& perm) {
  if (perm.size() != input.size() || input.size() > static_cast<size_t>(kMaxRank)) {
    throw Error("transpose perm of " + std::to_string(perm.size()) + " dims for input " +
                shape_to_string(input));
  }
  std::vector<int64_t> input_strides(input.size(), 1);
  for (size_t d = input.size(); d-- > 1;) input_strides[d - 1] = input_strides[d] * input[d];
  PermuteIndex index;
  const size_t front = kMaxRank - input.size();
  for (size_t d = 0; d < static_cast<size_t>(kMaxRank); ++d) {
    if (d < front) {
      index.out_dims[d] = 1;
      index.in_strides[d] = 0;
      continue;
    }
    const auto source = static_cast<size_t>(perm[d - front]);
    index.out_dims[d] = input.at(source);
    index.in_strides[d] = input_strides.at(source);
  }
  return index;
}

std::string math_mode(DataType dtype, bool allow_tf32) {
  switch (dtype) {
    case DataType::fp32:
      return allow_tf32 ? "tf32 (CUDNN_TENSOR_OP_MATH, CUBLAS_COMPUTE_32F_FAST_TF32)"
                        : "fp32 (CUDNN_FMA_MATH, CUBLAS_COMPUTE_32F)";
    case DataType::fp16:
      return "fp16 (CUDNN_TENSOR_OP_MATH, CUBLAS_COMPUTE_32F accumulate)";
    case DataType::bf16:
      return "bf16 (CUDNN_TENSOR_OP_MATH, CUBLAS_COMPUTE_32F accumulate)";
    case DataType::int8:
      break;
  }
  return "int8 (unsupported)";
}

void require_int32(int64_t value, const std::string& what) {
  if (value > INT_MAX) {
    throw UnsupportedLayer(what + " of " + std::to_string(value) +
                           " exceeds the 32-bit indexing of cuDNN/cuBLAS");
  }
}

}  // namespace np::cuda
