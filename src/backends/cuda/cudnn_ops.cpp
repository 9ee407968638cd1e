// Pooling, batch norm, activations, LRN and softmax through cuDNN's legacy API, with our
// kernels where cuDNN cannot express the layer exactly (see each op) and for bf16, which the
// legacy API documents only for convolution.
#include <array>
#include <variant>

#include "backends/cuda/cudnn_descriptors.hpp"
#include "backends/cuda/kernels.hpp"
#include "backends/cuda/layer_ops.hpp"
#include "backends/cuda/layer_plan.hpp"

namespace np::cuda {
namespace {

const float kOne = 1.0f;
const float kZero = 0.0f;

const DeviceTensor& single_input(const std::vector<DeviceTensor>& inputs, const Layer& layer) {
  if (inputs.size() != 1) {
    throw UnsupportedLayer(std::string(to_string(layer.kind)) + " needs one input, has " +
                           std::to_string(inputs.size()));
  }
  return inputs[0];
}

// cudnnPoolingForward when the pooling is symmetric and floor-rounded; else our kernel with
// PyTorch's rules (ceil mode's extra window, asymmetric padding, count_include_pad).
class PoolOp final : public LayerOp {
 public:
  PoolOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : context_(env.context),
        dtype_(env.settings.dtype),
        attrs_(std::get<PoolAttrs>(layer.attrs)),
        plan_(plan_pool(attrs_, x.shape, y.shape)),
        x_(x),
        y_(y) {
    if (plan_.use_cudnn && dtype_ == DataType::bf16) {
      plan_.use_cudnn = false;
      plan_.reason = "bf16";
    }
    if (!plan_.use_cudnn) {
      algorithm_ = "np pool kernel (" + plan_.reason + ")";
      return;
    }
    set_nchw(x_desc_, dtype_, {x.shape[0], x.shape[1], x.shape[2], x.shape[3]});
    set_nchw(y_desc_, dtype_, {y.shape[0], y.shape[1], y.shape[2], y.shape[3]});
    const cudnnPoolingMode_t mode =
        attrs_.mode == PoolMode::max
            ? CUDNN_POOLING_MAX
            : (attrs_.count_include_pad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                        : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING);
    for (int64_t v : {plan_.kernel_h, plan_.kernel_w, plan_.pad_top, plan_.pad_left, plan_.stride_h,
                      plan_.stride_w}) {
      require_int32(v, "a pooling parameter");
    }
    NP_CUDA_CHECK(cudnnSetPooling2dDescriptor(
        pool_desc_.get(), mode, CUDNN_NOT_PROPAGATE_NAN, static_cast<int>(plan_.kernel_h),
        static_cast<int>(plan_.kernel_w), static_cast<int>(plan_.pad_top),
        static_cast<int>(plan_.pad_left), static_cast<int>(plan_.stride_h),
        static_cast<int>(plan_.stride_w)));
    algorithm_ = std::string("cudnnPoolingForward ") + (attrs_.mode == PoolMode::max ? "MAX"
                                                        : attrs_.count_include_pad
                                                            ? "AVERAGE_COUNT_INCLUDE_PADDING"
                                                            : "AVERAGE_COUNT_EXCLUDE_PADDING");
  }

  void enqueue(cudaStream_t stream) override {
    if (plan_.use_cudnn) {
      NP_CUDA_CHECK(cudnnPoolingForward(context_.cudnn(), pool_desc_.get(), &kOne, x_desc_.get(),
                                        x_.data, &kZero, y_desc_.get(), y_.data));
      return;
    }
    const PoolKernelShape shape{x_.shape[0], x_.shape[1], x_.shape[2],
                                x_.shape[3], y_.shape[2], y_.shape[3]};
    launch_pool(dtype_, plan_, attrs_.mode == PoolMode::max, attrs_.count_include_pad, shape,
                x_.data, y_.data, stream);
  }

  std::string algorithm() const override { return algorithm_; }

 private:
  const CudaContext& context_;
  DataType dtype_;
  PoolAttrs attrs_;
  PoolPlan plan_;
  DeviceTensor x_, y_;
  TensorDescriptor x_desc_, y_desc_;
  PoolingDescriptor pool_desc_;
  std::string algorithm_;
};

// Inference batch norm over the channel dim (dim 1); parameters in fp32 as cuDNN wants.
class BatchNormOp final : public LayerOp {
 public:
  BatchNormOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : context_(env.context),
        dtype_(env.settings.dtype),
        epsilon_(std::get<BnAttrs>(layer.attrs).epsilon),
        dims_(as_nchw(x.shape)),
        x_(x),
        y_(y) {
    params_ = make_parameter_buffers(env, layer, {x});  // scale, shift, mean, variance
    if (dtype_ == DataType::bf16) return;
    if (epsilon_ < CUDNN_BN_MIN_EPSILON) {
      throw UnsupportedLayer("batch-norm epsilon " + std::to_string(epsilon_) +
                             " is below cuDNN's minimum " + std::to_string(CUDNN_BN_MIN_EPSILON));
    }
    set_nchw(x_desc_, dtype_, dims_);
    set_nchw(y_desc_, dtype_, dims_);
    set_nchw(param_desc_, DataType::fp32, {1, dims_[1], 1, 1});
  }

  void enqueue(cudaStream_t stream) override {
    if (dtype_ == DataType::bf16) {
      launch_batchnorm(dtype_, x_.data, y_.data, floats(0), floats(1), floats(2), floats(3),
                       epsilon_, dims_[0], dims_[1], dims_[2] * dims_[3], stream);
      return;
    }
    NP_CUDA_CHECK(cudnnBatchNormalizationForwardInference(
        context_.cudnn(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, x_desc_.get(), x_.data,
        y_desc_.get(), y_.data, param_desc_.get(), params_[0].data(), params_[1].data(),
        params_[2].data(), params_[3].data(), epsilon_));
  }

  std::string algorithm() const override {
    return dtype_ == DataType::bf16 ? "np batchnorm kernel (bf16)"
                                    : "cudnnBatchNormalizationForwardInference SPATIAL";
  }

 private:
  const float* floats(size_t k) const { return static_cast<const float*>(params_[k].data()); }

  const CudaContext& context_;
  DataType dtype_;
  double epsilon_;
  std::array<int64_t, 4> dims_;
  DeviceTensor x_, y_;
  TensorDescriptor x_desc_, y_desc_, param_desc_;
  std::vector<DeviceBuffer> params_;
};

// cudnnActivationForward for what it computes exactly (relu, clip from 0, sigmoid, tanh) in
// fp32 and fp16; our elementwise kernel for the rest and for bf16.
class ActivationOp final : public LayerOp {
 public:
  ActivationOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : context_(env.context),
        dtype_(env.settings.dtype),
        attrs_(std::get<ActAttrs>(layer.attrs)),
        x_(x),
        y_(y),
        count_(element_count(x.shape)) {
    cudnnActivationMode_t mode = CUDNN_ACTIVATION_IDENTITY;
    double coefficient = 0.0;
    switch (attrs_.function) {
      case Activation::relu:
        mode = CUDNN_ACTIVATION_RELU;
        break;
      case Activation::clip:
        if (attrs_.alpha == 0.0) {
          mode = CUDNN_ACTIVATION_CLIPPED_RELU;
          coefficient = attrs_.beta;
        }
        break;
      case Activation::sigmoid:
        mode = CUDNN_ACTIVATION_SIGMOID;
        break;
      case Activation::tanh:
        mode = CUDNN_ACTIVATION_TANH;
        break;
      default:
        break;
    }
    use_cudnn_ = mode != CUDNN_ACTIVATION_IDENTITY && dtype_ != DataType::bf16;
    if (!use_cudnn_) {
      algorithm_ = "np activation kernel (" + std::string(to_string(attrs_.function)) + ")";
      return;
    }
    set_nchw(desc_, dtype_, as_nchw(x.shape));
    NP_CUDA_CHECK(cudnnSetActivationDescriptor(activation_.get(), mode, CUDNN_NOT_PROPAGATE_NAN,
                                               coefficient));
    algorithm_ = "cudnnActivationForward (" + std::string(to_string(attrs_.function)) + ")";
  }

  void enqueue(cudaStream_t stream) override {
    if (use_cudnn_) {
      NP_CUDA_CHECK(cudnnActivationForward(context_.cudnn(), activation_.get(), &kOne, desc_.get(),
                                           x_.data, &kZero, desc_.get(), y_.data));
      return;
    }
    launch_activation(dtype_, attrs_.function, static_cast<float>(attrs_.alpha),
                      static_cast<float>(attrs_.beta), x_.data, y_.data, count_, stream);
  }

  std::string algorithm() const override { return algorithm_; }

 private:
  const CudaContext& context_;
  DataType dtype_;
  ActAttrs attrs_;
  DeviceTensor x_, y_;
  int64_t count_;
  bool use_cudnn_ = false;
  TensorDescriptor desc_;
  ActivationDescriptor activation_;
  std::string algorithm_;
};

// Cross-channel LRN (AlexNet, GoogLeNet): cuDNN's formula is Caffe's and ONNX's, alpha divided
// by the window, for the odd windows of 1..16 that cuDNN accepts.
class LrnOp final : public LayerOp {
 public:
  LrnOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : context_(env.context),
        dtype_(env.settings.dtype),
        attrs_(std::get<LrnAttrs>(layer.attrs)),
        dims_(as_nchw(x.shape)),
        x_(x),
        y_(y) {
    const LrnAttrs& a = attrs_;
    if (a.size < CUDNN_LRN_MIN_N || a.size > CUDNN_LRN_MAX_N || a.size % 2 == 0) {
      throw UnsupportedLayer("LRN window " + std::to_string(a.size) +
                             ": cuDNN runs odd windows of " + std::to_string(CUDNN_LRN_MIN_N) +
                             " to " + std::to_string(CUDNN_LRN_MAX_N));
    }
    if (a.beta < CUDNN_LRN_MIN_BETA || a.bias < CUDNN_LRN_MIN_K) {
      throw UnsupportedLayer("LRN beta " + std::to_string(a.beta) + " or bias " +
                             std::to_string(a.bias) + " below cuDNN's minimum");
    }
    if (dtype_ == DataType::bf16) return;
    set_nchw(desc_, dtype_, dims_);
    NP_CUDA_CHECK(
        cudnnSetLRNDescriptor(lrn_.get(), static_cast<unsigned>(a.size), a.alpha, a.beta, a.bias));
  }

  void enqueue(cudaStream_t stream) override {
    if (dtype_ == DataType::bf16) {
      launch_lrn(dtype_, x_.data, y_.data, dims_[0], dims_[1], dims_[2] * dims_[3], attrs_.size,
                 attrs_.alpha, attrs_.beta, attrs_.bias, stream);
      return;
    }
    NP_CUDA_CHECK(cudnnLRNCrossChannelForward(context_.cudnn(), lrn_.get(),
                                              CUDNN_LRN_CROSS_CHANNEL_DIM1, &kOne, desc_.get(),
                                              x_.data, &kZero, desc_.get(), y_.data));
  }

  std::string algorithm() const override {
    return dtype_ == DataType::bf16 ? "np lrn kernel (bf16)" : "cudnnLRNCrossChannelForward";
  }

 private:
  const CudaContext& context_;
  DataType dtype_;
  LrnAttrs attrs_;
  std::array<int64_t, 4> dims_;
  DeviceTensor x_, y_;
  TensorDescriptor desc_;
  LrnDescriptor lrn_;
};

// Softmax over any axis: the tensor viewed as [outer, axis, inner, 1] and cuDNN's channel
// mode normalises over dim 1 of that view.
class SoftmaxOp final : public LayerOp {
 public:
  SoftmaxOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : context_(env.context),
        dtype_(env.settings.dtype),
        split_(split_at_axis(x.shape, std::get<SoftmaxAttrs>(layer.attrs).axis)),
        x_(x),
        y_(y) {
    if (dtype_ == DataType::bf16) return;
    set_nchw(desc_, dtype_, {split_.outer, split_.axis, split_.inner, 1});
  }

  void enqueue(cudaStream_t stream) override {
    if (dtype_ == DataType::bf16) {
      launch_softmax(dtype_, x_.data, y_.data, split_, stream);
      return;
    }
    NP_CUDA_CHECK(cudnnSoftmaxForward(context_.cudnn(), CUDNN_SOFTMAX_ACCURATE,
                                      CUDNN_SOFTMAX_MODE_CHANNEL, &kOne, desc_.get(), x_.data,
                                      &kZero, desc_.get(), y_.data));
  }

  std::string algorithm() const override {
    return dtype_ == DataType::bf16 ? "np softmax kernel (bf16)"
                                    : "cudnnSoftmaxForward ACCURATE MODE_CHANNEL";
  }

 private:
  const CudaContext& context_;
  DataType dtype_;
  AxisSplit split_;
  DeviceTensor x_, y_;
  TensorDescriptor desc_;
};

}  // namespace

std::unique_ptr<LayerOp> make_cudnn_op(OpEnvironment& env, const Layer& layer,
                                       const std::vector<DeviceTensor>& inputs,
                                       const DeviceTensor& output) {
  const DeviceTensor& x = single_input(inputs, layer);
  switch (layer.kind) {
    case LayerKind::pool:
      if (x.shape.size() != 4) throw UnsupportedLayer("pool needs a rank-4 input");
      return std::make_unique<PoolOp>(env, layer, x, output);
    case LayerKind::bn:
      return std::make_unique<BatchNormOp>(env, layer, x, output);
    case LayerKind::act:
      return std::make_unique<ActivationOp>(env, layer, x, output);
    case LayerKind::lrn:
      return std::make_unique<LrnOp>(env, layer, x, output);
    case LayerKind::softmax:
      return std::make_unique<SoftmaxOp>(env, layer, x, output);
    default:
      break;
  }
  throw UnsupportedLayer("not a cuDNN layer kind: " + std::string(to_string(layer.kind)));
}

}  // namespace np::cuda
