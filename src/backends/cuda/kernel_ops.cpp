// Fully connected and matmul by cuBLAS; elementwise, concat, layer norm, transpose, slice and
// resize by our kernels or copies.
#include <cuda_runtime_api.h>

#include <climits>
#include <variant>

#include "backends/cuda/check.hpp"
#include "backends/cuda/kernels.hpp"
#include "backends/cuda/layer_ops.hpp"
#include "backends/cuda/layer_plan.hpp"
#include "neuralpower/network.hpp"

namespace np::cuda {
namespace {

cudaDataType_t cublas_data_type(DataType dtype) {
  switch (dtype) {
    case DataType::fp32:
      return CUDA_R_32F;
    case DataType::fp16:
      return CUDA_R_16F;
    case DataType::bf16:
      return CUDA_R_16BF;
    case DataType::int8:
      break;
  }
  throw UnsupportedLayer("fc in " + std::string(to_string(dtype)) + " is not supported");
}

// y[rows, M] = x[rows, K] W[M, K]^T (+ b): one cublasGemmEx in column-major terms,
// Y^T (M x rows) = W (op T of the K x M column-major view) times X^T (K x rows), then the bias
// added by the broadcasting kernel (a framework's bias epilogue does the same work).
class FcOp final : public LayerOp {
 public:
  FcOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : context_(env.context), dtype_(env.settings.dtype), x_(x), y_(y) {
    const auto& a = std::get<FcAttrs>(layer.attrs);
    has_bias_ = a.bias;
    in_features_ = x.shape.back();
    out_features_ = a.out_features;
    rows_ = element_count(x.shape) / in_features_;
    require_int32(in_features_, "fc input features");
    require_int32(out_features_, "fc output features");
    require_int32(rows_, "fc rows");
    data_type_ = cublas_data_type(dtype_);
    compute_type_ = dtype_ == DataType::fp32 && env.settings.allow_tf32
                        ? CUBLAS_COMPUTE_32F_FAST_TF32
                        : CUBLAS_COMPUTE_32F;
    params_ = make_parameter_buffers(env, layer, {x});
    if (has_bias_) {
      bias_index_ = broadcast_index({out_features_}, {rows_, out_features_});
      output_index_ = broadcast_index({rows_, out_features_}, {rows_, out_features_});
    }
    algorithm_ = std::string("cublasGemmEx CUBLAS_GEMM_DEFAULT ") +
                 (compute_type_ == CUBLAS_COMPUTE_32F_FAST_TF32 ? "CUBLAS_COMPUTE_32F_FAST_TF32"
                                                                : "CUBLAS_COMPUTE_32F") +
                 " (" + std::to_string(rows_) + "x" + std::to_string(in_features_) + " by " +
                 std::to_string(in_features_) + "x" + std::to_string(out_features_) + ")" +
                 (has_bias_ ? " + np bias kernel" : "");
  }

  void enqueue(cudaStream_t stream) override {
    const float alpha = 1.0f, beta = 0.0f;
    // The handle is shared by layers of different settings: the mode is set per call.
    NP_CUDA_CHECK(cublasSetMathMode(context_.cublas(), CUBLAS_DEFAULT_MATH));
    NP_CUDA_CHECK(
        cublasGemmEx(context_.cublas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(out_features_),
                     static_cast<int>(rows_), static_cast<int>(in_features_), &alpha,
                     params_[0].data(), data_type_, static_cast<int>(in_features_), x_.data,
                     data_type_, static_cast<int>(in_features_), &beta, y_.data, data_type_,
                     static_cast<int>(out_features_), compute_type_, CUBLAS_GEMM_DEFAULT));
    if (has_bias_) {
      launch_broadcast_binary(dtype_, BinaryOp::add, y_.data, output_index_, params_[1].data(),
                              bias_index_, y_.data, rows_ * out_features_, stream);
    }
  }

  std::string algorithm() const override { return algorithm_; }
  std::string math_type() const override {
    return compute_type_ == CUBLAS_COMPUTE_32F_FAST_TF32 ? "CUBLAS_COMPUTE_32F_FAST_TF32"
                                                         : "CUBLAS_COMPUTE_32F";
  }

 private:
  const CudaContext& context_;
  DataType dtype_;
  DeviceTensor x_, y_;
  bool has_bias_ = false;
  int64_t in_features_ = 0, out_features_ = 0, rows_ = 0;
  cudaDataType_t data_type_ = CUDA_R_32F;
  cublasComputeType_t compute_type_ = CUBLAS_COMPUTE_32F;
  std::vector<DeviceBuffer> params_;  // weight [out, in], then bias [out]
  BroadcastIndex bias_index_, output_index_;
  std::string algorithm_;
};

// Y = op(A) op(B) (matmul): cublasGemmStridedBatchedEx over the longest run of trailing batch
// dims on which each operand is either whole or broadcast (stride 0), one call per index of
// the leading batch dims before it. Row-major Y = A B is column-major Yᵀ = Bᵀ Aᵀ.
class MatmulOp final : public LayerOp {
 public:
  MatmulOp(OpEnvironment& env, const Layer& layer, const std::vector<DeviceTensor>& inputs,
           const DeviceTensor& y)
      : context_(env.context), y_(y) {
    const auto& a = std::get<MatmulAttrs>(layer.attrs);
    if (inputs.empty()) throw Error("matmul has no input");
    a_ = inputs[0];
    data_type_ = cublas_data_type(env.settings.dtype);
    compute_type_ = env.settings.dtype == DataType::fp32 && env.settings.allow_tf32
                        ? CUBLAS_COMPUTE_32F_FAST_TF32
                        : CUBLAS_COMPUTE_32F;
    Shape b_shape;
    if (a.constant_b.empty()) {
      if (inputs.size() != 2) throw Error("matmul needs two inputs");
      b_data_ = inputs[1].data;
      b_shape = inputs[1].shape;
    } else {
      params_ = make_parameter_buffers(env, layer, inputs);
      b_data_ = params_.at(0).data();
      b_shape = a.constant_b;
    }
    const size_t rank = y.shape.size();
    const Shape as = padded(a_.shape, rank), bs = padded(b_shape, rank);
    m_ = y.shape[rank - 2];
    n_ = y.shape[rank - 1];
    k_ = a.transpose_a ? as[rank - 2] : as[rank - 1];
    op_a_ = a.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    op_b_ = a.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    lda_ = as[rank - 1];
    ldb_ = bs[rank - 1];
    for (int64_t v : {m_, n_, k_, lda_, ldb_}) require_int32(v, "matmul dim");
    // The trailing batch dims [split, rank - 2) on which each operand is uniform.
    size_t split = rank - 2;
    while (split > 0 && uniform(as, y.shape, split - 1, rank) &&
           uniform(bs, y.shape, split - 1, rank))
      --split;
    batch_ = 1;
    for (size_t i = split; i + 2 < rank; ++i) batch_ *= y.shape[i];
    require_int32(batch_, "matmul batch");
    const int64_t a_matrix = as[rank - 2] * as[rank - 1], b_matrix = bs[rank - 2] * bs[rank - 1];
    stride_a_ = full_over(as, y.shape, split, rank) ? a_matrix : 0;
    stride_b_ = full_over(bs, y.shape, split, rank) ? b_matrix : 0;
    // Element offsets of each call over the leading batch dims.
    const Shape lead(y.shape.begin(), y.shape.begin() + static_cast<std::ptrdiff_t>(split));
    int64_t calls = 1;
    for (int64_t d : lead) calls *= d;
    const int64_t element = element_bytes(env.settings.dtype);
    for (int64_t call = 0; call < calls; ++call) {
      int64_t rest = call, a_off = 0, b_off = 0, a_scale = 1, b_scale = 1;
      for (size_t i = rank - 2; i-- > 0;) {
        if (i < split) {
          const int64_t index = rest % y.shape[i];
          rest /= y.shape[i];
          if (as[i] != 1) a_off += index * a_scale;
          if (bs[i] != 1) b_off += index * b_scale;
        }
        a_scale *= as[i];
        b_scale *= bs[i];
      }
      offsets_.push_back({a_off * a_matrix * element, b_off * b_matrix * element,
                          call * batch_ * m_ * n_ * element});
    }
    algorithm_ = std::string("cublasGemmStridedBatchedEx CUBLAS_GEMM_DEFAULT ") +
                 (compute_type_ == CUBLAS_COMPUTE_32F_FAST_TF32 ? "CUBLAS_COMPUTE_32F_FAST_TF32"
                                                                : "CUBLAS_COMPUTE_32F") +
                 " (" + std::to_string(calls) + " x " + std::to_string(batch_) + " of " +
                 std::to_string(m_) + "x" + std::to_string(k_) + " by " + std::to_string(k_) + "x" +
                 std::to_string(n_) + ")";
  }

  void enqueue(cudaStream_t) override {
    const float alpha = 1.0f, beta = 0.0f;
    NP_CUDA_CHECK(cublasSetMathMode(context_.cublas(), CUBLAS_DEFAULT_MATH));
    for (const Offsets& o : offsets_) {
      NP_CUDA_CHECK(cublasGemmStridedBatchedEx(
          context_.cublas(), op_b_, op_a_, static_cast<int>(n_), static_cast<int>(m_),
          static_cast<int>(k_), &alpha, static_cast<const char*>(b_data_) + o.b, data_type_,
          static_cast<int>(ldb_), stride_b_, static_cast<const char*>(a_.data) + o.a, data_type_,
          static_cast<int>(lda_), stride_a_, &beta, static_cast<char*>(y_.data) + o.y, data_type_,
          static_cast<int>(n_), m_ * n_, static_cast<int>(batch_), compute_type_,
          CUBLAS_GEMM_DEFAULT));
    }
  }

  std::string algorithm() const override { return algorithm_; }
  std::string math_type() const override {
    return compute_type_ == CUBLAS_COMPUTE_32F_FAST_TF32 ? "CUBLAS_COMPUTE_32F_FAST_TF32"
                                                         : "CUBLAS_COMPUTE_32F";
  }

 private:
  struct Offsets {
    int64_t a, b, y;  // bytes
  };

  static Shape padded(const Shape& s, size_t rank) {
    Shape p(rank - s.size(), 1);
    p.insert(p.end(), s.begin(), s.end());
    return p;
  }
  // Whole (equal to the output) over batch dims [from, rank - 2).
  static bool full_over(const Shape& s, const Shape& out, size_t from, size_t rank) {
    for (size_t i = from; i + 2 < rank; ++i) {
      if (s[i] != out[i]) return false;
    }
    return true;
  }
  static bool broadcast_over(const Shape& s, size_t from, size_t rank) {
    for (size_t i = from; i + 2 < rank; ++i) {
      if (s[i] != 1) return false;
    }
    return true;
  }
  static bool uniform(const Shape& s, const Shape& out, size_t from, size_t rank) {
    return full_over(s, out, from, rank) || broadcast_over(s, from, rank);
  }

  const CudaContext& context_;
  DeviceTensor a_, y_;
  const void* b_data_ = nullptr;
  int64_t m_ = 0, n_ = 0, k_ = 0, lda_ = 0, ldb_ = 0, batch_ = 1;
  long long stride_a_ = 0, stride_b_ = 0;
  cublasOperation_t op_a_ = CUBLAS_OP_N, op_b_ = CUBLAS_OP_N;
  cudaDataType_t data_type_ = CUDA_R_32F;
  cublasComputeType_t compute_type_ = CUBLAS_COMPUTE_32F;
  std::vector<DeviceBuffer> params_;
  std::vector<Offsets> offsets_;
  std::string algorithm_;
};

// add/mul/max over any number of operands (layer inputs, then constant operands) with numpy
// broadcasting: out = op(op(a, b), c)..., each step one pass of the broadcasting kernel.
class EltwiseOp final : public LayerOp {
 public:
  EltwiseOp(OpEnvironment& env, const Layer& layer, const std::vector<DeviceTensor>& inputs,
            const DeviceTensor& y)
      : dtype_(env.settings.dtype), y_(y), count_(element_count(y.shape)) {
    op_ = layer.kind == LayerKind::add   ? BinaryOp::add
          : layer.kind == LayerKind::mul ? BinaryOp::mul
                                         : BinaryOp::max;
    constants_ = make_parameter_buffers(env, layer, inputs);
    const auto& constant_shapes = std::get<EltwiseAttrs>(layer.attrs).constant_operands;
    for (const auto& input : inputs) {
      operands_.push_back({input.data, broadcast_index(input.shape, y.shape)});
    }
    for (size_t k = 0; k < constants_.size(); ++k) {
      operands_.push_back({constants_[k].data(), broadcast_index(constant_shapes[k], y.shape)});
    }
    if (operands_.size() < 2) throw UnsupportedLayer("an elementwise layer needs two operands");
    output_index_ = broadcast_index(y.shape, y.shape);
  }

  void enqueue(cudaStream_t stream) override {
    launch_broadcast_binary(dtype_, op_, operands_[0].data, operands_[0].index, operands_[1].data,
                            operands_[1].index, y_.data, count_, stream);
    for (size_t k = 2; k < operands_.size(); ++k) {
      launch_broadcast_binary(dtype_, op_, y_.data, output_index_, operands_[k].data,
                              operands_[k].index, y_.data, count_, stream);
    }
  }

  std::string algorithm() const override {
    return "np broadcast kernel x" + std::to_string(operands_.size() - 1);
  }

 private:
  struct Operand {
    const void* data;
    BroadcastIndex index;
  };
  DataType dtype_;
  DeviceTensor y_;
  int64_t count_;
  BinaryOp op_ = BinaryOp::add;
  std::vector<DeviceBuffer> constants_;
  std::vector<Operand> operands_;
  BroadcastIndex output_index_;
};

// Concat along any axis but the batch: one strided cudaMemcpy2DAsync per input (rows = the
// product of the dims before the axis).
class ConcatOp final : public LayerOp {
 public:
  ConcatOp(OpEnvironment& env, const Layer& layer, const std::vector<DeviceTensor>& inputs,
           const DeviceTensor& y)
      : y_(y) {
    const int64_t axis = std::get<ConcatAttrs>(layer.attrs).axis;
    const int64_t element = element_bytes(env.settings.dtype);
    const AxisSplit out = split_at_axis(y.shape, axis);
    const int64_t out_row_bytes = out.axis * out.inner * element;
    int64_t offset = 0;
    // Constant operands (ViT's class token) first, each broadcast over dim 0 here, outside the
    // timed region, as the CPU backend does.
    std::vector<DeviceBuffer> constants = make_parameter_buffers(env, layer, inputs);
    const auto& constant_shapes = std::get<ConcatAttrs>(layer.attrs).constant_operands;
    for (size_t j = 0; j < constants.size(); ++j) {
      Shape shape = constant_shapes.at(j);
      shape.at(0) = y.shape.at(0);
      const int64_t sample_bytes = constants[j].bytes();
      DeviceBuffer broadcast(sample_bytes * shape[0]);
      for (int64_t n = 0; n < shape[0]; ++n) {
        NP_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(broadcast.data()) + n * sample_bytes,
                                      constants[j].data(), static_cast<size_t>(sample_bytes),
                                      cudaMemcpyDeviceToDevice, env.context.stream()));
      }
      const AxisSplit in = split_at_axis(shape, axis);
      const int64_t row_bytes = in.axis * in.inner * element;
      copies_.push_back({broadcast.data(), offset, row_bytes});
      offset += row_bytes;
      broadcasts_.push_back(std::move(broadcast));
    }
    NP_CUDA_CHECK(cudaStreamSynchronize(env.context.stream()));  // before `constants` is freed
    for (const auto& input : inputs) {
      const AxisSplit in = split_at_axis(input.shape, axis);
      const int64_t row_bytes = in.axis * in.inner * element;
      copies_.push_back({input.data, offset, row_bytes});
      offset += row_bytes;
    }
    rows_ = out.outer;
    out_row_bytes_ = out_row_bytes;
    // cudaMemcpy2D pitches are limited; rows longer than that are copied one by one.
    int max_pitch = INT_MAX;
    NP_CUDA_CHECK(cudaDeviceGetAttribute(&max_pitch, cudaDevAttrMaxPitch, env.context.device()));
    per_row_ = out_row_bytes > max_pitch;
  }

  void enqueue(cudaStream_t stream) override {
    auto* base = static_cast<char*>(y_.data);
    for (const auto& copy : copies_) {
      if (!per_row_) {
        NP_CUDA_CHECK(cudaMemcpy2DAsync(
            base + copy.offset, static_cast<size_t>(out_row_bytes_), copy.source,
            static_cast<size_t>(copy.row_bytes), static_cast<size_t>(copy.row_bytes),
            static_cast<size_t>(rows_), cudaMemcpyDeviceToDevice, stream));
        continue;
      }
      for (int64_t r = 0; r < rows_; ++r) {
        NP_CUDA_CHECK(cudaMemcpyAsync(base + r * out_row_bytes_ + copy.offset,
                                      static_cast<const char*>(copy.source) + r * copy.row_bytes,
                                      static_cast<size_t>(copy.row_bytes), cudaMemcpyDeviceToDevice,
                                      stream));
      }
    }
  }

  std::string algorithm() const override {
    return "cudaMemcpy2DAsync x" + std::to_string(copies_.size());
  }

 private:
  struct Copy {
    const void* source;
    int64_t offset;     // bytes into each output row
    int64_t row_bytes;  // bytes of each input row
  };
  DeviceTensor y_;
  std::vector<DeviceBuffer> broadcasts_;
  std::vector<Copy> copies_;
  int64_t rows_ = 1, out_row_bytes_ = 0;
  bool per_row_ = false;
};

class LayerNormOp final : public LayerOp {
 public:
  LayerNormOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : dtype_(env.settings.dtype), x_(x), y_(y) {
    const auto& a = std::get<LayerNormAttrs>(layer.attrs);
    const int64_t axis = normalized_axis(a.axis, x.shape.size());
    for (int64_t d = 0; d < axis; ++d) rows_ *= x.shape[static_cast<size_t>(d)];
    cols_ = element_count(x.shape) / rows_;
    epsilon_ = static_cast<float>(a.epsilon);
    params_ = make_parameter_buffers(env, layer, {x});  // scale, shift when affine
  }

  void enqueue(cudaStream_t stream) override {
    const void* scale = params_.empty() ? nullptr : params_[0].data();
    const void* shift = params_.empty() ? nullptr : params_[1].data();
    launch_layernorm(dtype_, x_.data, y_.data, scale, shift, rows_, cols_, epsilon_, stream);
  }

  std::string algorithm() const override {
    return std::string("np layernorm kernel (") + (cols_ <= 4096 ? "warp" : "block") +
           " per row of " + std::to_string(cols_) + ")";
  }

 private:
  DataType dtype_;
  DeviceTensor x_, y_;
  int64_t rows_ = 1, cols_ = 1;
  float epsilon_ = 1e-5f;
  std::vector<DeviceBuffer> params_;
};

// A transpose that moves dim 0 permutes each replica: a plain permutation of one more dim.
PermuteIndex plain_permute_index(const TransposeAttrs& attrs, const Shape& input) {
  const PlainTranspose plain = plain_transpose(attrs, input);
  return permute_index(plain.input, plain.perm);
}

class TransposeOp final : public LayerOp {
 public:
  TransposeOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : dtype_(env.settings.dtype),
        x_(x),
        y_(y),
        index_(plain_permute_index(std::get<TransposeAttrs>(layer.attrs), x.shape)),
        count_(element_count(y.shape)) {}

  void enqueue(cudaStream_t stream) override {
    launch_permute(dtype_, x_.data, y_.data, index_, count_, stream);
  }

  std::string algorithm() const override { return "np permute kernel"; }

 private:
  DataType dtype_;
  DeviceTensor x_, y_;
  PermuteIndex index_;
  int64_t count_;
};

class SliceOp final : public LayerOp {
 public:
  SliceOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : dtype_(env.settings.dtype), x_(x), y_(y) {
    const auto& a = std::get<SliceAttrs>(layer.attrs);
    const int64_t axis = normalized_axis(a.axis, x.shape.size());
    split_ = split_at_axis(x.shape, axis);
    // The IR's rule: negative bounds count from the end, then clamp to the dim.
    const int64_t dim = split_.axis;
    const int64_t start = a.start < 0 ? a.start + dim : a.start;
    start_ = start < 0 ? 0 : (start > dim ? dim : start);
    step_ = a.step;
    out_axis_ = y.shape[static_cast<size_t>(axis)];
  }

  void enqueue(cudaStream_t stream) override {
    launch_slice(dtype_, x_.data, y_.data, split_, out_axis_, start_, step_, stream);
  }

  std::string algorithm() const override { return "np slice kernel"; }

 private:
  DataType dtype_;
  DeviceTensor x_, y_;
  AxisSplit split_;
  int64_t start_ = 0, step_ = 1, out_axis_ = 1;
};

class ResizeOp final : public LayerOp {
 public:
  ResizeOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : dtype_(env.settings.dtype),
        linear_(std::get<ResizeAttrs>(layer.attrs).mode == ResizeMode::linear),
        x_(x),
        y_(y) {
    shape_ = {x.shape[0], x.shape[1], x.shape[2], x.shape[3], y.shape[2], y.shape[3]};
  }

  void enqueue(cudaStream_t stream) override {
    launch_resize(dtype_, linear_, shape_, x_.data, y_.data, stream);
  }

  std::string algorithm() const override {
    return linear_ ? "np bilinear resize kernel" : "np nearest resize kernel";
  }

 private:
  DataType dtype_;
  bool linear_;
  DeviceTensor x_, y_;
  PoolKernelShape shape_;
};

const DeviceTensor& single_input(const std::vector<DeviceTensor>& inputs, const Layer& layer) {
  if (inputs.size() != 1) {
    throw UnsupportedLayer(std::string(to_string(layer.kind)) + " needs one input, has " +
                           std::to_string(inputs.size()));
  }
  return inputs[0];
}

}  // namespace

std::unique_ptr<LayerOp> make_kernel_op(OpEnvironment& env, const Layer& layer,
                                        const std::vector<DeviceTensor>& inputs,
                                        const DeviceTensor& output) {
  switch (layer.kind) {
    case LayerKind::fc:
      return std::make_unique<FcOp>(env, layer, single_input(inputs, layer), output);
    case LayerKind::matmul:
      return std::make_unique<MatmulOp>(env, layer, inputs, output);
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max:
      return std::make_unique<EltwiseOp>(env, layer, inputs, output);
    case LayerKind::concat:
      return std::make_unique<ConcatOp>(env, layer, inputs, output);
    case LayerKind::layernorm:
      return std::make_unique<LayerNormOp>(env, layer, single_input(inputs, layer), output);
    case LayerKind::transpose:
      return std::make_unique<TransposeOp>(env, layer, single_input(inputs, layer), output);
    case LayerKind::slice:
      return std::make_unique<SliceOp>(env, layer, single_input(inputs, layer), output);
    case LayerKind::resize:
      return std::make_unique<ResizeOp>(env, layer, single_input(inputs, layer), output);
    default:
      break;
  }
  throw UnsupportedLayer("not a kernel layer kind: " + std::string(to_string(layer.kind)));
}

}  // namespace np::cuda
