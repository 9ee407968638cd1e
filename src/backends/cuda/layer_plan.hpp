#pragma once
// Host-only planning of how a layer maps onto cuDNN, cuBLAS and our kernels: memory
// footprints, padding splits, broadcast strides, axis splits. No CUDA header, so that it is
// testable on machines without a GPU.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "neuralpower/layer.hpp"

namespace np::cuda {

inline constexpr int kMaxRank = 6;

// Bytes of device memory a layer needs when prepared alone.
struct LayerFootprint {
  int64_t input_bytes = 0;
  int64_t output_bytes = 0;
  int64_t parameter_bytes = 0;
  int64_t scratch_bytes = 0;  // explicit padding copies and the like (not the cuDNN workspace)
  int64_t total() const;
  std::string describe() const;  // "inputs 1.2 MiB, output ..., parameters ..., scratch ..."
};
LayerFootprint layer_footprint(const Layer& layer, const std::vector<Shape>& input_shapes,
                               DataType dtype);
// Bytes of one tensor of the given shape and type.
int64_t tensor_bytes(const Shape& shape, DataType dtype);
std::string format_bytes(int64_t bytes);

// Parameters that cuDNN wants in fp32 whatever the data type (batch-norm statistics).
bool parameters_are_fp32(LayerKind kind);

// cuDNN's convolution pads both sides of an axis equally: the common part goes to cuDNN, the
// rest is padded explicitly into a scratch copy of the input.
struct ConvPadding {
  int64_t pad_h = 0, pad_w = 0;  // symmetric, given to cuDNN
  int64_t extra_top = 0, extra_bottom = 0, extra_left = 0, extra_right = 0;
  bool needs_explicit_pad() const;
};
ConvPadding plan_conv_padding(const ConvAttrs& conv);
// Input shape after the explicit padding.
Shape padded_input_shape(const Shape& input, const ConvPadding& padding);

// Whether cudnnPoolingForward computes exactly this pooling (symmetric padding and cuDNN's
// floor rule giving the IR's output size); otherwise our own kernel runs it.
struct PoolPlan : Window {  // the window run: a global pool's is the whole input
  bool use_cudnn = false;
  std::string reason;  // why not cuDNN
};
PoolPlan plan_pool(const PoolAttrs& pool, const Shape& input, const Shape& output);

// numpy-style broadcasting of one operand to the output, right-aligned, padded to kMaxRank
// dims in front: stride 0 on broadcast dims.
struct BroadcastIndex {
  std::array<int64_t, kMaxRank> out_dims{};
  std::array<int64_t, kMaxRank> strides{};
  bool is_full = false;  // the operand has the output's shape: plain elementwise indexing
};
BroadcastIndex broadcast_index(const Shape& operand, const Shape& output);

// A tensor viewed as [outer, axis, inner] around one axis (softmax, slice, concat, layernorm).
struct AxisSplit {
  int64_t outer = 1, axis = 1, inner = 1;
};
AxisSplit split_at_axis(const Shape& shape, int64_t axis);
int64_t normalized_axis(int64_t axis, size_t rank);

// A tensor as cuDNN's 4-D NCHW with the channel at dim 1: [N, C, product of the rest, 1].
std::array<int64_t, 4> as_nchw(const Shape& shape);

// Transpose: input dims and, per output dim, the input stride it walks (padded to kMaxRank).
struct PermuteIndex {
  std::array<int64_t, kMaxRank> out_dims{};
  std::array<int64_t, kMaxRank> in_strides{};
};
PermuteIndex permute_index(const Shape& input, const std::vector<int64_t>& perm);

// What the math mode of a run is called in algorithm() and datasets.
std::string math_mode(DataType dtype, bool allow_tf32);

// Throws UnsupportedLayer when a dimension or count exceeds what cuDNN/cuBLAS index with int.
void require_int32(int64_t value, const std::string& what);

}  // namespace np::cuda
