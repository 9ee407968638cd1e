// Convolution through cuDNN's legacy API, with the algorithm chosen the way frameworks do
// (cudnnFindConvolutionForwardAlgorithmEx: every algorithm timed on the real tensors, the
// fastest that fits the workspace cap kept), bias by cudnnAddTensor, and asymmetric padding
// padded explicitly into a scratch copy of the input (cuDNN pads both sides equally).
#include <algorithm>
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

std::string algorithm_name(cudnnConvolutionFwdAlgo_t algo) {
  switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
      return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
      return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    default:
      return "ALGO_" + std::to_string(static_cast<int>(algo));
  }
}

std::string math_type_name(cudnnMathType_t math) {
  switch (math) {
    case CUDNN_DEFAULT_MATH:
      return "DEFAULT_MATH";
    case CUDNN_TENSOR_OP_MATH:
      return "TENSOR_OP_MATH";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION:
      return "TENSOR_OP_MATH_ALLOW_CONVERSION";
    case CUDNN_FMA_MATH:
      return "FMA_MATH";
  }
  return "MATH_" + std::to_string(static_cast<int>(math));
}

bool uses_tensor_cores(cudnnMathType_t math) {
  return math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

class ConvOp final : public LayerOp {
 public:
  ConvOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : context_(env.context),
        workspace_(env.workspace),
        dtype_(env.settings.dtype),
        conv_(std::get<ConvAttrs>(layer.attrs)),
        padding_(plan_conv_padding(conv_)),
        x_(x),
        y_(y) {
    const Shape conv_input =
        padding_.needs_explicit_pad() ? padded_input_shape(x.shape, padding_) : x.shape;
    if (padding_.needs_explicit_pad()) {
      padded_ = DeviceBuffer(tensor_bytes(conv_input, dtype_));
    }
    params_ = make_parameter_buffers(env, layer, {x});

    set_nchw(x_desc_, dtype_, {conv_input[0], conv_input[1], conv_input[2], conv_input[3]});
    set_nchw(y_desc_, dtype_, {y.shape[0], y.shape[1], y.shape[2], y.shape[3]});
    const int64_t in_per_group = x.shape[1] / conv_.groups;
    for (int64_t v : {conv_.out_channels, in_per_group, conv_.kernel_h, conv_.kernel_w,
                      conv_.stride_h, conv_.stride_w, conv_.dilation_h, conv_.dilation_w,
                      conv_.groups, padding_.pad_h, padding_.pad_w}) {
      require_int32(v, "a convolution parameter");
    }
    NP_CUDA_CHECK(cudnnSetFilter4dDescriptor(
        w_desc_.get(), cudnn_data_type(dtype_), CUDNN_TENSOR_NCHW,
        static_cast<int>(conv_.out_channels), static_cast<int>(in_per_group),
        static_cast<int>(conv_.kernel_h), static_cast<int>(conv_.kernel_w)));
    // fp16 and bf16 data accumulate in fp32, as the frameworks run them.
    NP_CUDA_CHECK(cudnnSetConvolution2dDescriptor(
        conv_desc_.get(), static_cast<int>(padding_.pad_h), static_cast<int>(padding_.pad_w),
        static_cast<int>(conv_.stride_h), static_cast<int>(conv_.stride_w),
        static_cast<int>(conv_.dilation_h), static_cast<int>(conv_.dilation_w),
        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    NP_CUDA_CHECK(cudnnSetConvolutionGroupCount(conv_desc_.get(), static_cast<int>(conv_.groups)));
    requested_math_ = dtype_ == DataType::fp32 && !env.settings.allow_tf32 ? CUDNN_FMA_MATH
                                                                           : CUDNN_TENSOR_OP_MATH;
    NP_CUDA_CHECK(cudnnSetConvolutionMathType(conv_desc_.get(), requested_math_));

    std::array<int, 4> out{};
    NP_CUDA_CHECK(cudnnGetConvolution2dForwardOutputDim(
        conv_desc_.get(), x_desc_.get(), w_desc_.get(), &out[0], &out[1], &out[2], &out[3]));
    const Shape cudnn_shape{out[0], out[1], out[2], out[3]};
    if (cudnn_shape != y.shape) {
      throw Error("cuDNN computes a convolution output of " + shape_to_string(cudnn_shape) +
                  ", the network says " + shape_to_string(y.shape));
    }
    if (conv_.bias && dtype_ == DataType::bf16) {
      // cudnnAddTensor documents no bf16: the broadcasting kernel adds the bias instead.
      bias_index_ = broadcast_index({conv_.out_channels, 1, 1}, y.shape);
      output_index_ = broadcast_index(y.shape, y.shape);
    } else if (conv_.bias) {
      set_nchw(bias_desc_, dtype_, {1, conv_.out_channels, 1, 1});
    }
    choose_algorithm(env);
  }

  void enqueue(cudaStream_t stream) override {
    const void* input = x_.data;
    if (padded_.data()) {
      pad_input(stream);
      input = padded_.data();
    }
    NP_CUDA_CHECK(cudnnConvolutionForward(context_.cudnn(), &kOne, x_desc_.get(), input,
                                          w_desc_.get(), params_[0].data(), conv_desc_.get(), algo_,
                                          workspace_.data(), static_cast<size_t>(workspace_bytes_),
                                          &kZero, y_desc_.get(), y_.data));
    if (conv_.bias && dtype_ == DataType::bf16) {
      launch_broadcast_binary(dtype_, BinaryOp::add, y_.data, output_index_, params_[1].data(),
                              bias_index_, y_.data, element_count(y_.shape), stream);
    } else if (conv_.bias) {
      NP_CUDA_CHECK(cudnnAddTensor(context_.cudnn(), &kOne, bias_desc_.get(), params_[1].data(),
                                   &kOne, y_desc_.get(), y_.data));
    }
  }

  std::string algorithm() const override { return algorithm_; }

 private:
  void choose_algorithm(OpEnvironment& env) {
    if (!env.search_workspace.data()) {
      // One search area for every convolution of a network; half of what is free at most.
      const int64_t free_bytes = device_memory().free_bytes;
      env.search_workspace = DeviceBuffer(std::min(kConvolutionWorkspaceCap, free_bytes / 2));
    }
    const int64_t cap = std::min(kConvolutionWorkspaceCap, env.search_workspace.bytes());
    if (padded_.data()) pad_input(context_.stream());
    int max_count = 0;
    NP_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(context_.cudnn(), &max_count));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> results(static_cast<size_t>(std::max(max_count, 1)));
    int returned = 0;
    NP_CUDA_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        context_.cudnn(), x_desc_.get(), padded_.data() ? padded_.data() : x_.data, w_desc_.get(),
        params_[0].data(), conv_desc_.get(), y_desc_.get(), y_.data,
        static_cast<int>(results.size()), &returned, results.data(), env.search_workspace.data(),
        static_cast<size_t>(cap)));
    std::string rejected;
    for (int i = 0; i < returned; ++i) {
      const auto& perf = results[static_cast<size_t>(i)];
      const bool fits = static_cast<int64_t>(perf.memory) <= cap;
      // Strict fp32 must not run on tensor cores (TF32), whatever cuDNN would prefer.
      const bool math_ok = requested_math_ != CUDNN_FMA_MATH || !uses_tensor_cores(perf.mathType);
      if (perf.status == CUDNN_STATUS_SUCCESS && fits && math_ok) {
        algo_ = perf.algo;
        workspace_bytes_ = static_cast<int64_t>(perf.memory);
        NP_CUDA_CHECK(cudnnSetConvolutionMathType(conv_desc_.get(), perf.mathType));
        workspace_.reserve(workspace_bytes_);
        algorithm_ = "cudnnConvolutionForward " + algorithm_name(perf.algo) + " (" +
                     math_type_name(perf.mathType) + ", workspace " +
                     format_bytes(workspace_bytes_) + ", found " + std::to_string(perf.time) +
                     " ms)";
        if (padded_.data()) {
          algorithm_ += " after explicit padding top/bottom/left/right " +
                        std::to_string(padding_.extra_top) + "/" +
                        std::to_string(padding_.extra_bottom) + "/" +
                        std::to_string(padding_.extra_left) + "/" +
                        std::to_string(padding_.extra_right);
        }
        if (conv_.bias) {
          algorithm_ += dtype_ == DataType::bf16 ? " + np bias kernel" : " + cudnnAddTensor bias";
        }
        return;
      }
      rejected +=
          (rejected.empty() ? "" : ", ") + algorithm_name(perf.algo) + ":" +
          cudnnGetErrorString(perf.status) +
          (fits ? "" : " (workspace " + format_bytes(static_cast<int64_t>(perf.memory)) + ")") +
          (math_ok ? "" : " (tensor-op math)");
    }
    throw UnsupportedLayer(
        "no cuDNN convolution algorithm runs this layer within a " + format_bytes(cap) +
        " workspace: " + (rejected.empty() ? std::string("none returned") : rejected));
  }

  void pad_input(cudaStream_t stream) {
    const Shape& s = x_.shape;
    launch_pad_nchw(dtype_, x_.data, padded_.data(), s[0], s[1], s[2], s[3],
                    s[2] + padding_.extra_top + padding_.extra_bottom,
                    s[3] + padding_.extra_left + padding_.extra_right, padding_.extra_top,
                    padding_.extra_left, stream);
  }

  const CudaContext& context_;
  Workspace& workspace_;
  DataType dtype_;
  ConvAttrs conv_;
  ConvPadding padding_;
  DeviceTensor x_, y_;
  DeviceBuffer padded_;
  std::vector<DeviceBuffer> params_;  // weight, then bias when the layer has one
  TensorDescriptor x_desc_, y_desc_, bias_desc_;
  BroadcastIndex bias_index_, output_index_;  // bf16 bias
  FilterDescriptor w_desc_;
  ConvolutionDescriptor conv_desc_;
  cudnnMathType_t requested_math_ = CUDNN_FMA_MATH;
  cudnnConvolutionFwdAlgo_t algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  int64_t workspace_bytes_ = 0;
  std::string algorithm_;
};

}  // namespace

std::unique_ptr<LayerOp> make_conv_op(OpEnvironment& env, const Layer& layer,
                                      const std::vector<DeviceTensor>& inputs,
                                      const DeviceTensor& output) {
  if (inputs.size() != 1 || inputs[0].shape.size() != 4) {
    throw UnsupportedLayer("conv needs one rank-4 input");
  }
  return std::make_unique<ConvOp>(env, layer, inputs[0], output);
}

}  // namespace np::cuda
