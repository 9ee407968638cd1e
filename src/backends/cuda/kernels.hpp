#pragma once
// Launchers of our own kernels (kernels.cu) for what cuDNN and cuBLAS do not cover: test data,
// activations beyond cuDNN's, broadcasting elementwise ops, explicit padding, pooling that
// cuDNN cannot express, layer norm, transpose, slice, resize, and a spin used to isolate timings.
// Every launcher checks the launch; all of them are graph-capturable.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "backends/cuda/layer_plan.hpp"
#include "neuralpower/layer.hpp"

namespace np::cuda {

// Element i = test_value(role, offset + i) (0.5 + |that| for variance), converted to dtype.
void launch_fill_test_values(DataType dtype, void* dst, int64_t count, uint64_t role,
                             int64_t offset, bool variance, cudaStream_t stream);
void launch_to_float(DataType dtype, const void* src, float* dst, int64_t count,
                     cudaStream_t stream);

// Every Activation of the IR (PyTorch's formulas; gelu is the erf form).
void launch_activation(DataType dtype, Activation function, float alpha, float beta, const void* x,
                       void* y, int64_t count, cudaStream_t stream);

enum class BinaryOp { add, mul, max };
// out = a op b with both operands broadcast to the output (count = its element count). out
// may alias a when a has the output's shape.
void launch_broadcast_binary(DataType dtype, BinaryOp op, const void* a,
                             const BroadcastIndex& a_index, const void* b,
                             const BroadcastIndex& b_index, void* out, int64_t count,
                             cudaStream_t stream);

// Copies an NCHW tensor into a larger zero-padded one, at (top, left).
void launch_pad_nchw(DataType dtype, const void* src, void* dst, int64_t n, int64_t c, int64_t h,
                     int64_t w, int64_t padded_h, int64_t padded_w, int64_t top, int64_t left,
                     cudaStream_t stream);

struct PoolKernelShape {
  int64_t n = 1, c = 1, h = 1, w = 1, out_h = 1, out_w = 1;
};
// PyTorch's max/avg pooling (ceil mode, asymmetric padding, count_include_pad).
void launch_pool(DataType dtype, const PoolPlan& plan, bool max_pool, bool count_include_pad,
                 const PoolKernelShape& shape, const void* x, void* y, cudaStream_t stream);

// Normalises each of `rows` rows of `cols` values; scale and shift (cols values) may be null.
void launch_layernorm(DataType dtype, const void* x, void* y, const void* scale, const void* shift,
                      int64_t rows, int64_t cols, float epsilon, cudaStream_t stream);

// bf16 versions of what cuDNN's legacy API runs in fp32 and fp16 (its bf16 support there is
// not documented): inference batch norm over dim 1 of [outer, channels, inner] with fp32
// statistics, softmax over the middle dim of [outer, axis, inner], and cross-channel LRN with
// ONNX's window (odd sizes centred).
void launch_batchnorm(DataType dtype, const void* x, void* y, const float* scale,
                      const float* shift, const float* mean, const float* variance, double epsilon,
                      int64_t outer, int64_t channels, int64_t inner, cudaStream_t stream);
void launch_softmax(DataType dtype, const void* x, void* y, const AxisSplit& split,
                    cudaStream_t stream);
void launch_lrn(DataType dtype, const void* x, void* y, int64_t outer, int64_t channels,
                int64_t inner, int64_t size, double alpha, double beta, double bias,
                cudaStream_t stream);

void launch_permute(DataType dtype, const void* x, void* y, const PermuteIndex& index,
                    int64_t count, cudaStream_t stream);

// y[o, j, i] = x[o, start + j * step, i] for j < out_axis.
void launch_slice(DataType dtype, const void* x, void* y, const AxisSplit& input, int64_t out_axis,
                  int64_t start, int64_t step, cudaStream_t stream);

// Nearest or bilinear resize of NCHW planes (shape: n, c, h, w in; out_h, out_w out) with
// half-pixel centres, as the CPU backend's oneDNN resampling.
void launch_resize(DataType dtype, bool linear, const PoolKernelShape& shape, const void* x,
                   void* y, cudaStream_t stream);

// Keeps the stream busy for about `nanoseconds`, so that the host can queue the timed work
// before the start event is reached.
void launch_spin(int64_t nanoseconds, cudaStream_t stream);

}  // namespace np::cuda
