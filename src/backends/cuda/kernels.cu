// Our own kernels. Memory-bound and simple on purpose: each is a grid-stride loop (or a warp or
// block per row) computing in fp32 whatever the storage type.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "backends/cuda/check.hpp"
#include "backends/cuda/kernels.hpp"

namespace np::cuda {
namespace {

constexpr int kThreads = 256;

// Grid-stride loops cover the rest beyond 2^20 blocks.
unsigned block_count(int64_t count) {
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(
      blocks < 1 ? 1 : (blocks > (int64_t{1} << 20) ? (int64_t{1} << 20) : blocks));
}

// A launch's own errors (bad configuration, no kernel image) surface at cudaGetLastError.
#define NP_CHECK_LAUNCH(kernel) \
  ::np::cuda::check_status(cudaGetLastError(), "launch of " kernel, __FILE__, __LINE__)

__device__ __forceinline__ int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
__device__ __forceinline__ int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

template <typename T>
__device__ __forceinline__ float load(const T* p, int64_t i) {
  return static_cast<float>(p[i]);
}
template <>
__device__ __forceinline__ float load<__half>(const __half* p, int64_t i) {
  return __half2float(p[i]);
}
template <>
__device__ __forceinline__ float load<__nv_bfloat16>(const __nv_bfloat16* p, int64_t i) {
  return __bfloat162float(p[i]);
}

template <typename T>
__device__ __forceinline__ void store(T* p, int64_t i, float v) {
  p[i] = v;
}
template <>
__device__ __forceinline__ void store<__half>(__half* p, int64_t i, float v) {
  p[i] = __float2half_rn(v);
}
template <>
__device__ __forceinline__ void store<__nv_bfloat16>(__nv_bfloat16* p, int64_t i, float v) {
  p[i] = __float2bfloat16_rn(v);
}

#define NP_GRID_STRIDE(i, count)                                                             \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (count); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// The same SplitMix64 as np::test_value (src/backends/common/test_data.cpp): the values are
// exact multiples of 2^-23 in [-1, 1), so float and double agree bit for bit.
__device__ float device_test_value(uint64_t role, int64_t index) {
  uint64_t z = role * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(index);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<double>(z >> 40) / static_cast<double>(1ull << 24) * 2.0 -
                            1.0);
}

template <typename T>
__global__ void fill_kernel(T* dst, int64_t count, uint64_t role, int64_t offset, bool variance) {
  NP_GRID_STRIDE(i, count) {
    const float v = device_test_value(role, offset + i);
    store(dst, i, variance ? 0.5f + fabsf(v) : v);
  }
}

template <typename T>
__global__ void to_float_kernel(const T* src, float* dst, int64_t count) {
  NP_GRID_STRIDE(i, count) { dst[i] = load(src, i); }
}

__device__ __forceinline__ float apply_activation(int function, float x, float alpha, float beta) {
  switch (static_cast<Activation>(function)) {
    case Activation::relu:
      return x > 0.0f ? x : 0.0f;
    case Activation::leaky_relu:
      return x > 0.0f ? x : alpha * x;
    case Activation::clip:
      return fminf(fmaxf(x, alpha), beta);
    case Activation::sigmoid:
      return 1.0f / (1.0f + expf(-x));
    case Activation::hard_sigmoid:
      return fminf(fmaxf(alpha * x + beta, 0.0f), 1.0f);
    case Activation::hard_swish:  // PyTorch: x * relu6(x + 3) / 6
      return x * fminf(fmaxf(x + 3.0f, 0.0f), 6.0f) / 6.0f;
    case Activation::gelu:
      return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case Activation::silu:
      return x / (1.0f + expf(-x));
    case Activation::tanh:
      return tanhf(x);
  }
  return x;
}

template <typename T>
__global__ void activation_kernel(const T* x, T* y, int64_t count, int function, float alpha,
                                  float beta) {
  NP_GRID_STRIDE(i, count) { store(y, i, apply_activation(function, load(x, i), alpha, beta)); }
}

struct Index6 {
  int64_t dims[kMaxRank];
  int64_t strides[kMaxRank];
};

Index6 to_index6(const std::array<int64_t, kMaxRank>& dims,
                 const std::array<int64_t, kMaxRank>& strides) {
  Index6 index{};
  for (int d = 0; d < kMaxRank; ++d) {
    index.dims[d] = dims[static_cast<size_t>(d)];
    index.strides[d] = strides[static_cast<size_t>(d)];
  }
  return index;
}

// Offset in the operand of output element i (output dims in index.dims).
__device__ __forceinline__ int64_t strided_offset(int64_t i, const Index6& index) {
  int64_t offset = 0;
#pragma unroll
  for (int d = kMaxRank - 1; d >= 0; --d) {
    const int64_t coordinate = i % index.dims[d];
    i /= index.dims[d];
    offset += coordinate * index.strides[d];
  }
  return offset;
}

__device__ __forceinline__ float apply_binary(int op, float a, float b) {
  switch (static_cast<BinaryOp>(op)) {
    case BinaryOp::add:
      return a + b;
    case BinaryOp::mul:
      return a * b;
    case BinaryOp::max:
      return fmaxf(a, b);
  }
  return a;
}

template <typename T>
__global__ void binary_kernel(int op, const T* a, Index6 a_index, bool a_full, const T* b,
                              Index6 b_index, bool b_full, T* out, int64_t count) {
  NP_GRID_STRIDE(i, count) {
    const int64_t ai = a_full ? i : strided_offset(i, a_index);
    const int64_t bi = b_full ? i : strided_offset(i, b_index);
    store(out, i, apply_binary(op, load(a, ai), load(b, bi)));
  }
}

template <typename T>
__global__ void pad_kernel(const T* src, T* dst, int64_t planes, int64_t h, int64_t w,
                           int64_t padded_h, int64_t padded_w, int64_t top, int64_t left) {
  const int64_t count = planes * padded_h * padded_w;
  NP_GRID_STRIDE(i, count) {
    const int64_t x = i % padded_w;
    const int64_t y = (i / padded_w) % padded_h;
    const int64_t plane = i / (padded_w * padded_h);
    const int64_t sx = x - left, sy = y - top;
    const bool inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
    store(dst, i, inside ? load(src, (plane * h + sy) * w + sx) : 0.0f);
  }
}

struct PoolArgs {
  int64_t planes, h, w, out_h, out_w;
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right;
  bool max_pool, count_include_pad;
};

template <typename T>
__global__ void pool_kernel(const T* x, T* y, PoolArgs p) {
  const int64_t count = p.planes * p.out_h * p.out_w;
  NP_GRID_STRIDE(i, count) {
    const int64_t ow = i % p.out_w;
    const int64_t oh = (i / p.out_w) % p.out_h;
    const int64_t plane = i / (p.out_w * p.out_h);
    int64_t h0 = oh * p.stride_h - p.pad_top, w0 = ow * p.stride_w - p.pad_left;
    int64_t h1 = min64(h0 + p.kernel_h, p.h + p.pad_bottom);
    int64_t w1 = min64(w0 + p.kernel_w, p.w + p.pad_right);
    const int64_t padded_size = (h1 - h0) * (w1 - w0);
    h0 = max64(h0, 0);
    w0 = max64(w0, 0);
    h1 = min64(h1, p.h);
    w1 = min64(w1, p.w);
    const T* in = x + plane * p.h * p.w;
    float result;
    if (p.max_pool) {
      result = -INFINITY;
      for (int64_t yy = h0; yy < h1; ++yy)
        for (int64_t xx = w0; xx < w1; ++xx) result = fmaxf(result, load(in, yy * p.w + xx));
    } else {
      float sum = 0.0f;
      for (int64_t yy = h0; yy < h1; ++yy)
        for (int64_t xx = w0; xx < w1; ++xx) sum += load(in, yy * p.w + xx);
      const int64_t divisor = p.count_include_pad ? padded_size : (h1 - h0) * (w1 - w0);
      result = divisor > 0 ? sum / static_cast<float>(divisor) : 0.0f;
    }
    store(y, i, result);
  }
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ float block_sum(float v, float* shared) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_sum(v);
  __syncthreads();  // shared is reused between calls
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / 32;
  float total = 0.0f;
  for (int k = 0; k < warps; ++k) total += shared[k];
  return total;
}

// One warp per row: rows of up to a few thousand values (ConvNeXt's channels).
template <typename T>
__global__ void layernorm_warp_kernel(const T* x, T* y, const T* scale, const T* shift,
                                      int64_t rows, int64_t cols, float epsilon) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const T* in = x + row * cols;
  T* out = y + row * cols;
  float sum = 0.0f;
  for (int64_t j = lane; j < cols; j += 32) sum += load(in, j);
  const float mean = warp_sum(sum) / static_cast<float>(cols);
  float squares = 0.0f;
  for (int64_t j = lane; j < cols; j += 32) {
    const float d = load(in, j) - mean;
    squares += d * d;
  }
  const float inv_std = rsqrtf(warp_sum(squares) / static_cast<float>(cols) + epsilon);
  for (int64_t j = lane; j < cols; j += 32) {
    float v = (load(in, j) - mean) * inv_std;
    if (scale) v = v * load(scale, j) + load(shift, j);
    store(out, j, v);
  }
}

// One block per row: long rows (a norm over C x H x W).
template <typename T>
__global__ void layernorm_block_kernel(const T* x, T* y, const T* scale, const T* shift,
                                       int64_t cols, float epsilon) {
  __shared__ float shared[32];
  const int64_t row = blockIdx.x;
  const T* in = x + row * cols;
  T* out = y + row * cols;
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) sum += load(in, j);
  const float mean = block_sum(sum, shared) / static_cast<float>(cols);
  float squares = 0.0f;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    const float d = load(in, j) - mean;
    squares += d * d;
  }
  const float inv_std = rsqrtf(block_sum(squares, shared) / static_cast<float>(cols) + epsilon);
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    float v = (load(in, j) - mean) * inv_std;
    if (scale) v = v * load(scale, j) + load(shift, j);
    store(out, j, v);
  }
}

template <typename T>
__global__ void permute_kernel(const T* x, T* y, Index6 index, int64_t count) {
  NP_GRID_STRIDE(i, count) { y[i] = x[strided_offset(i, index)]; }
}

template <typename T>
__global__ void slice_kernel(const T* x, T* y, int64_t in_axis, int64_t inner, int64_t out_axis,
                             int64_t start, int64_t step, int64_t count) {
  NP_GRID_STRIDE(i, count) {
    const int64_t k = i % inner;
    const int64_t j = (i / inner) % out_axis;
    const int64_t o = i / (inner * out_axis);
    y[i] = x[(o * in_axis + start + j * step) * inner + k];
  }
}

// Half-pixel centres (torch's align_corners=False, oneDNN's resampling): output index o of
// `out` reads input coordinate (o + 0.5) in / out - 0.5, clamped to the input.
__device__ __forceinline__ float resize_source(int64_t o, int64_t out, int64_t in) {
  return (static_cast<float>(o) + 0.5f) * static_cast<float>(in) / static_cast<float>(out) - 0.5f;
}

__device__ __forceinline__ int64_t clamp_index(int64_t i, int64_t in) {
  return i < 0 ? 0 : (i >= in ? in - 1 : i);
}

template <typename T>
__global__ void resize_kernel(const T* x, T* y, bool linear, int64_t h, int64_t w, int64_t out_h,
                              int64_t out_w, int64_t count) {
  NP_GRID_STRIDE(i, count) {
    const int64_t ow = i % out_w;
    const int64_t oh = (i / out_w) % out_h;
    const T* plane = x + (i / (out_w * out_h)) * h * w;
    const float sh = resize_source(oh, out_h, h), sw = resize_source(ow, out_w, w);
    if (!linear) {
      store(y, i, load(plane, clamp_index(llroundf(sh), h) * w + clamp_index(llroundf(sw), w)));
      continue;
    }
    const int64_t h0 = static_cast<int64_t>(floorf(sh)), w0 = static_cast<int64_t>(floorf(sw));
    const float dh = sh - static_cast<float>(h0), dw = sw - static_cast<float>(w0);
    const int64_t r0 = clamp_index(h0, h) * w, r1 = clamp_index(h0 + 1, h) * w;
    const int64_t c0 = clamp_index(w0, w), c1 = clamp_index(w0 + 1, w);
    const float top = load(plane, r0 + c0) * (1.f - dw) + load(plane, r0 + c1) * dw;
    const float bottom = load(plane, r1 + c0) * (1.f - dw) + load(plane, r1 + c1) * dw;
    store(y, i, top * (1.f - dh) + bottom * dh);
  }
}

template <typename T>
__global__ void batchnorm_kernel(const T* x, T* y, const float* scale, const float* shift,
                                 const float* mean, const float* variance, float epsilon,
                                 int64_t channels, int64_t inner, int64_t count) {
  NP_GRID_STRIDE(i, count) {
    const int64_t c = (i / inner) % channels;
    const float normalised = (load(x, i) - mean[c]) * rsqrtf(variance[c] + epsilon);
    store(y, i, normalised * scale[c] + shift[c]);
  }
}

// One thread per (outer, inner) position walks the axis three times: max, sum, write.
template <typename T>
__global__ void softmax_kernel(const T* x, T* y, int64_t outer, int64_t axis, int64_t inner) {
  NP_GRID_STRIDE(i, outer * inner) {
    const int64_t base = (i / inner) * axis * inner + i % inner;
    float largest = -INFINITY;
    for (int64_t j = 0; j < axis; ++j) largest = fmaxf(largest, load(x, base + j * inner));
    float sum = 0.0f;
    for (int64_t j = 0; j < axis; ++j) sum += expf(load(x, base + j * inner) - largest);
    for (int64_t j = 0; j < axis; ++j) {
      store(y, base + j * inner, expf(load(x, base + j * inner) - largest) / sum);
    }
  }
}

template <typename T>
__global__ void lrn_kernel(const T* x, T* y, int64_t channels, int64_t inner, int64_t size,
                           float alpha, float beta, float bias, int64_t count) {
  NP_GRID_STRIDE(i, count) {
    const int64_t c = (i / inner) % channels;
    const int64_t plane = i - c * inner;  // element (n, 0, position)
    const int64_t first = max64(c - (size - 1) / 2, 0);
    const int64_t last = min64(c + size / 2, channels - 1);
    float squares = 0.0f;
    for (int64_t k = first; k <= last; ++k) {
      const float v = load(x, plane + k * inner);
      squares += v * v;
    }
    store(y, i, load(x, i) / powf(bias + alpha / static_cast<float>(size) * squares, beta));
  }
}

__global__ void spin_kernel(int64_t nanoseconds) {
  uint64_t start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (static_cast<int64_t>(now - start) < nanoseconds);
}

// Calls f with a null pointer of the storage type of dtype.
template <typename F>
void dispatch(DataType dtype, F&& f) {
  switch (dtype) {
    case DataType::fp32:
      f(static_cast<float*>(nullptr));
      return;
    case DataType::fp16:
      f(static_cast<__half*>(nullptr));
      return;
    case DataType::bf16:
      f(static_cast<__nv_bfloat16*>(nullptr));
      return;
    case DataType::int8:
      break;
  }
  throw UnsupportedLayer("the CUDA backend runs fp32, fp16 and bf16, not " +
                         std::string(to_string(dtype)));
}

}  // namespace

void launch_fill_test_values(DataType dtype, void* dst, int64_t count, uint64_t role,
                             int64_t offset, bool variance, cudaStream_t stream) {
  if (count <= 0) return;
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    fill_kernel<<<block_count(count), kThreads, 0, stream>>>(static_cast<T*>(dst), count, role,
                                                             offset, variance);
  });
  NP_CHECK_LAUNCH("fill_kernel");
}

void launch_to_float(DataType dtype, const void* src, float* dst, int64_t count,
                     cudaStream_t stream) {
  if (count <= 0) return;
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    to_float_kernel<<<block_count(count), kThreads, 0, stream>>>(static_cast<const T*>(src), dst,
                                                                 count);
  });
  NP_CHECK_LAUNCH("to_float_kernel");
}

void launch_activation(DataType dtype, Activation function, float alpha, float beta, const void* x,
                       void* y, int64_t count, cudaStream_t stream) {
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    activation_kernel<<<block_count(count), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), count, static_cast<int>(function), alpha,
        beta);
  });
  NP_CHECK_LAUNCH("activation_kernel");
}

void launch_broadcast_binary(DataType dtype, BinaryOp op, const void* a,
                             const BroadcastIndex& a_index, const void* b,
                             const BroadcastIndex& b_index, void* out, int64_t count,
                             cudaStream_t stream) {
  const Index6 ai = to_index6(a_index.out_dims, a_index.strides);
  const Index6 bi = to_index6(b_index.out_dims, b_index.strides);
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    binary_kernel<<<block_count(count), kThreads, 0, stream>>>(
        static_cast<int>(op), static_cast<const T*>(a), ai, a_index.is_full,
        static_cast<const T*>(b), bi, b_index.is_full, static_cast<T*>(out), count);
  });
  NP_CHECK_LAUNCH("binary_kernel");
}

void launch_pad_nchw(DataType dtype, const void* src, void* dst, int64_t n, int64_t c, int64_t h,
                     int64_t w, int64_t padded_h, int64_t padded_w, int64_t top, int64_t left,
                     cudaStream_t stream) {
  const int64_t count = n * c * padded_h * padded_w;
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    pad_kernel<<<block_count(count), kThreads, 0, stream>>>(static_cast<const T*>(src),
                                                            static_cast<T*>(dst), n * c, h, w,
                                                            padded_h, padded_w, top, left);
  });
  NP_CHECK_LAUNCH("pad_kernel");
}

void launch_pool(DataType dtype, const PoolPlan& plan, bool max_pool, bool count_include_pad,
                 const PoolKernelShape& shape, const void* x, void* y, cudaStream_t stream) {
  PoolArgs args{shape.n * shape.c, shape.h,       shape.w,          shape.out_h,
                shape.out_w,       plan.kernel_h, plan.kernel_w,    plan.stride_h,
                plan.stride_w,     plan.pad_top,  plan.pad_left,    plan.pad_bottom,
                plan.pad_right,    max_pool,      count_include_pad};
  const int64_t count = args.planes * args.out_h * args.out_w;
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    pool_kernel<<<block_count(count), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                             static_cast<T*>(y), args);
  });
  NP_CHECK_LAUNCH("pool_kernel");
}

void launch_layernorm(DataType dtype, const void* x, void* y, const void* scale, const void* shift,
                      int64_t rows, int64_t cols, float epsilon, cudaStream_t stream) {
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    const auto* xs = static_cast<const T*>(x);
    auto* ys = static_cast<T*>(y);
    const auto* scales = static_cast<const T*>(scale);
    const auto* shifts = static_cast<const T*>(shift);
    if (cols <= 4096) {
      constexpr int kRowsPerBlock = kThreads / 32;
      const auto blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
      layernorm_warp_kernel<<<blocks, kThreads, 0, stream>>>(xs, ys, scales, shifts, rows, cols,
                                                             epsilon);
    } else {
      layernorm_block_kernel<<<static_cast<unsigned>(rows), 1024, 0, stream>>>(
          xs, ys, scales, shifts, cols, epsilon);
    }
  });
  NP_CHECK_LAUNCH("layernorm_kernel");
}

void launch_batchnorm(DataType dtype, const void* x, void* y, const float* scale,
                      const float* shift, const float* mean, const float* variance, double epsilon,
                      int64_t outer, int64_t channels, int64_t inner, cudaStream_t stream) {
  const int64_t count = outer * channels * inner;
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    batchnorm_kernel<<<block_count(count), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), scale, shift, mean, variance,
        static_cast<float>(epsilon), channels, inner, count);
  });
  NP_CHECK_LAUNCH("batchnorm_kernel");
}

void launch_softmax(DataType dtype, const void* x, void* y, const AxisSplit& split,
                    cudaStream_t stream) {
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    softmax_kernel<<<block_count(split.outer * split.inner), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), split.outer, split.axis, split.inner);
  });
  NP_CHECK_LAUNCH("softmax_kernel");
}

void launch_lrn(DataType dtype, const void* x, void* y, int64_t outer, int64_t channels,
                int64_t inner, int64_t size, double alpha, double beta, double bias,
                cudaStream_t stream) {
  const int64_t count = outer * channels * inner;
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    lrn_kernel<<<block_count(count), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), channels, inner, size,
        static_cast<float>(alpha), static_cast<float>(beta), static_cast<float>(bias), count);
  });
  NP_CHECK_LAUNCH("lrn_kernel");
}

void launch_permute(DataType dtype, const void* x, void* y, const PermuteIndex& index,
                    int64_t count, cudaStream_t stream) {
  const Index6 pi = to_index6(index.out_dims, index.in_strides);
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    permute_kernel<<<block_count(count), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                static_cast<T*>(y), pi, count);
  });
  NP_CHECK_LAUNCH("permute_kernel");
}

void launch_slice(DataType dtype, const void* x, void* y, const AxisSplit& input, int64_t out_axis,
                  int64_t start, int64_t step, cudaStream_t stream) {
  const int64_t count = input.outer * out_axis * input.inner;
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    slice_kernel<<<block_count(count), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), input.axis, input.inner, out_axis, start,
        step, count);
  });
  NP_CHECK_LAUNCH("slice_kernel");
}

void launch_resize(DataType dtype, bool linear, const PoolKernelShape& shape, const void* x,
                   void* y, cudaStream_t stream) {
  const int64_t count = shape.n * shape.c * shape.out_h * shape.out_w;
  dispatch(dtype, [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    resize_kernel<<<block_count(count), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), linear, shape.h, shape.w, shape.out_h,
        shape.out_w, count);
  });
  NP_CHECK_LAUNCH("resize_kernel");
}

void launch_spin(int64_t nanoseconds, cudaStream_t stream) {
  spin_kernel<<<1, 1, 0, stream>>>(nanoseconds);
  NP_CHECK_LAUNCH("spin_kernel");
}

}  // namespace np::cuda
