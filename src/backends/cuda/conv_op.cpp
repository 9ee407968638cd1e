// Convolution through cuDNN's legacy API, with the algorithm chosen the way frameworks do
// (cudnnFindConvolutionForwardAlgorithmEx: every algorithm timed on the real tensors, the
// fastest that fits the workspace cap kept, conv_algorithm.hpp), bias by cudnnAddTensor, and
// asymmetric padding padded explicitly into a scratch copy of the input (cuDNN pads both
// sides equally). fp16 and bf16 convolutions that cuDNN's legacy NCHW kernels do not run are
// run in NHWC (channels last), as frameworks run half precision.
#include <algorithm>
#include <array>
#include <variant>

#include "backends/cuda/conv_algorithm.hpp"
#include "backends/cuda/cudnn_descriptors.hpp"
#include "backends/cuda/kernels.hpp"
#include "backends/cuda/layer_ops.hpp"
#include "backends/cuda/layer_plan.hpp"

namespace np::cuda {
namespace {

const float kOne = 1.0f;
const float kZero = 0.0f;

Shape nhwc_of(const Shape& nchw) { return {nchw[0], nchw[2], nchw[3], nchw[1]}; }

class ConvOp final : public LayerOp {
 public:
  ConvOp(OpEnvironment& env, const Layer& layer, const DeviceTensor& x, const DeviceTensor& y)
      : context_(env.context),
        workspace_(env.workspace),
        dtype_(env.settings.dtype),
        standalone_(env.standalone),
        conv_(std::get<ConvAttrs>(layer.attrs)),
        padding_(plan_conv_padding(conv_)),
        x_(x),
        y_(y) {
    conv_input_ = padding_.needs_explicit_pad() ? padded_input_shape(x.shape, padding_) : x.shape;
    if (padding_.needs_explicit_pad()) {
      padded_ = DeviceBuffer(tensor_bytes(conv_input_, dtype_));
    }
    params_ = make_parameter_buffers(env, layer, {x});
    in_per_group_ = x.shape[1] / conv_.groups;
    for (int64_t v : {conv_.out_channels, in_per_group_, conv_.kernel_h, conv_.kernel_w,
                      conv_.stride_h, conv_.stride_w, conv_.dilation_h, conv_.dilation_w,
                      conv_.groups, padding_.pad_h, padding_.pad_w}) {
      require_int32(v, "a convolution parameter");
    }
    // fp16 and bf16 data accumulate in fp32, as the frameworks run them.
    NP_CUDA_CHECK(cudnnSetConvolution2dDescriptor(
        conv_desc_.get(), static_cast<int>(padding_.pad_h), static_cast<int>(padding_.pad_w),
        static_cast<int>(conv_.stride_h), static_cast<int>(conv_.stride_w),
        static_cast<int>(conv_.dilation_h), static_cast<int>(conv_.dilation_w),
        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    NP_CUDA_CHECK(cudnnSetConvolutionGroupCount(conv_desc_.get(), static_cast<int>(conv_.groups)));
    strict_fp32_ = dtype_ == DataType::fp32 && !env.settings.allow_tf32;
    // The search starts from the math cuDNN may use; strict fp32 is fixed to FMA afterwards.
    NP_CUDA_CHECK(cudnnSetConvolutionMathType(
        conv_desc_.get(), strict_fp32_ ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));

    set_layout(CUDNN_TENSOR_NCHW);
    if (conv_.bias && dtype_ == DataType::bf16) {
      // cudnnAddTensor documents no bf16: the broadcasting kernel adds the bias instead.
      bias_index_ = broadcast_index({conv_.out_channels, 1, 1}, y.shape);
      output_index_ = broadcast_index(y.shape, y.shape);
    } else if (conv_.bias) {
      set_nchw(bias_desc_, dtype_, {1, conv_.out_channels, 1, 1});
    }
    try {
      choose_algorithm(env);
    } catch (const UnsupportedLayer& nchw) {
      if (dtype_ == DataType::fp32) throw;
      // Half-precision kernels of the legacy API are mostly channels-last ones.
      nchw_failure_ = nchw.what();
      use_nhwc();
      try {
        choose_algorithm(env);
      } catch (const UnsupportedLayer& nhwc) {
        throw UnsupportedLayer(std::string("NCHW: ") + nchw_failure_ + "; NHWC: " + nhwc.what());
      }
    }
  }

  void enqueue(cudaStream_t stream) override {
    if (!nhwc_ || !standalone_) prepare_input(stream);
    NP_CUDA_CHECK(cudnnConvolutionForward(context_.cudnn(), &kOne, x_desc_.get(), conv_x(),
                                          w_desc_.get(), weights(), conv_desc_.get(), algo_,
                                          workspace_.data(), static_cast<size_t>(workspace_bytes_),
                                          &kZero, y_desc_.get(), conv_y()));
    add_bias(stream);
    if (nhwc_ && !standalone_) to_nchw_output(stream);
  }

  // A layer run alone in NHWC leaves its output channels last: converted for the reader only.
  void prepare_readback(cudaStream_t stream) override {
    if (nhwc_ && standalone_) to_nchw_output(stream);
  }

  std::string algorithm() const override { return algorithm_; }
  std::string math_type() const override { return math_type_name(math_); }

 private:
  void set_layout(cudnnTensorFormat_t format) {
    const auto dims = [](const Shape& s) {
      for (int64_t d : s) require_int32(d, "a tensor dimension");
      return std::array<int, 4>{static_cast<int>(s[0]), static_cast<int>(s[1]),
                                static_cast<int>(s[2]), static_cast<int>(s[3])};
    };
    const auto in = dims(conv_input_);
    const auto out = dims(y_.shape);
    NP_CUDA_CHECK(cudnnSetTensor4dDescriptor(x_desc_.get(), format, cudnn_data_type(dtype_), in[0],
                                             in[1], in[2], in[3]));
    NP_CUDA_CHECK(cudnnSetTensor4dDescriptor(y_desc_.get(), format, cudnn_data_type(dtype_), out[0],
                                             out[1], out[2], out[3]));
    NP_CUDA_CHECK(cudnnSetFilter4dDescriptor(
        w_desc_.get(), cudnn_data_type(dtype_), format, static_cast<int>(conv_.out_channels),
        static_cast<int>(in_per_group_), static_cast<int>(conv_.kernel_h),
        static_cast<int>(conv_.kernel_w)));
    std::array<int, 4> got{};
    NP_CUDA_CHECK(cudnnGetConvolution2dForwardOutputDim(
        conv_desc_.get(), x_desc_.get(), w_desc_.get(), &got[0], &got[1], &got[2], &got[3]));
    const Shape cudnn_shape{got[0], got[1], got[2], got[3]};
    if (cudnn_shape != y_.shape) {
      throw Error("cuDNN computes a convolution output of " + shape_to_string(cudnn_shape) +
                  ", the network says " + shape_to_string(y_.shape));
    }
  }

  // Channels-last copies of the input, the weights and the output; the weights and (for a
  // layer run alone) the input are converted once, here.
  void use_nhwc() {
    nhwc_ = true;
    x_nhwc_ = DeviceBuffer(tensor_bytes(conv_input_, dtype_));
    y_nhwc_ = DeviceBuffer(tensor_bytes(y_.shape, dtype_));
    const Shape w_shape{conv_.out_channels, in_per_group_, conv_.kernel_h, conv_.kernel_w};
    w_nhwc_ = DeviceBuffer(tensor_bytes(w_shape, dtype_));
    launch_permute(dtype_, params_[0].data(), w_nhwc_.data(), permute_index(w_shape, {0, 2, 3, 1}),
                   element_count(w_shape), context_.stream());
    to_nhwc_ = permute_index(conv_input_, {0, 2, 3, 1});
    to_nchw_ = permute_index(nhwc_of(y_.shape), {0, 3, 1, 2});
    set_layout(CUDNN_TENSOR_NHWC);
    if (conv_.bias && dtype_ == DataType::bf16) {
      bias_index_ = broadcast_index({conv_.out_channels}, nhwc_of(y_.shape));
      output_index_ = broadcast_index(nhwc_of(y_.shape), nhwc_of(y_.shape));
    }
  }

  const void* conv_x() const {
    if (nhwc_) return x_nhwc_.data();
    return padded_.data() ? padded_.data() : x_.data;
  }
  void* conv_y() const { return nhwc_ ? y_nhwc_.data() : y_.data; }
  const void* weights() const { return nhwc_ ? w_nhwc_.data() : params_[0].data(); }

  void prepare_input(cudaStream_t stream) {
    if (padded_.data()) pad_input(stream);
    if (nhwc_) {
      launch_permute(dtype_, padded_.data() ? padded_.data() : x_.data, x_nhwc_.data(), to_nhwc_,
                     element_count(conv_input_), stream);
    }
  }

  void to_nchw_output(cudaStream_t stream) {
    launch_permute(dtype_, y_nhwc_.data(), y_.data, to_nchw_, element_count(y_.shape), stream);
  }

  // The bias goes onto the convolution's output in its own layout.
  void add_bias(cudaStream_t stream) {
    if (conv_.bias && dtype_ == DataType::bf16) {
      launch_broadcast_binary(dtype_, BinaryOp::add, conv_y(), output_index_, params_[1].data(),
                              bias_index_, conv_y(), element_count(y_.shape), stream);
    } else if (conv_.bias) {
      NP_CUDA_CHECK(cudnnAddTensor(context_.cudnn(), &kOne, bias_desc_.get(), params_[1].data(),
                                   &kOne, y_desc_.get(), conv_y()));
    }
  }

  void choose_algorithm(OpEnvironment& env) {
    if (!env.search_workspace.data()) {
      // One search area for every convolution of a network; half of what is free at most.
      const int64_t free_bytes = device_memory().free_bytes;
      env.search_workspace = DeviceBuffer(std::min(kConvolutionWorkspaceCap, free_bytes / 2));
    }
    const int64_t cap = std::min(kConvolutionWorkspaceCap, env.search_workspace.bytes());
    prepare_input(context_.stream());
    int max_count = 0;
    NP_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(context_.cudnn(), &max_count));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> results(static_cast<size_t>(std::max(max_count, 1)));
    int returned = 0;
    NP_CUDA_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        context_.cudnn(), x_desc_.get(), conv_x(), w_desc_.get(), weights(), conv_desc_.get(),
        y_desc_.get(), conv_y(), static_cast<int>(results.size()), &returned, results.data(),
        env.search_workspace.data(), static_cast<size_t>(cap)));
    results.resize(static_cast<size_t>(std::max(returned, 0)));
    const ConvAlgorithmChoice choice = choose_conv_algorithm(results, cap, strict_fp32_);
    if (choice.index < 0) {
      throw UnsupportedLayer(
          "no cuDNN convolution algorithm runs this layer within a " + format_bytes(cap) +
          " workspace: " +
          (choice.rejected.empty() ? std::string("none returned") : choice.rejected));
    }
    const auto& perf = results[static_cast<size_t>(choice.index)];
    algo_ = perf.algo;
    math_ = choice.math;
    workspace_bytes_ = static_cast<int64_t>(perf.memory);
    NP_CUDA_CHECK(cudnnSetConvolutionMathType(conv_desc_.get(), math_));
    workspace_.reserve(workspace_bytes_);
    algorithm_ = "cudnnConvolutionForward " + algorithm_name(perf.algo) + " (" +
                 math_type_name(math_) +
                 (math_ != perf.mathType
                      ? " set after the search found it with " + math_type_name(perf.mathType)
                      : std::string()) +
                 ", workspace " + format_bytes(workspace_bytes_) + ", found " +
                 std::to_string(perf.time) + " ms)";
    if (nhwc_) {
      algorithm_ += std::string(" in NHWC") +
                    (standalone_ ? " (input converted once, output for readback only)"
                                 : " with layout transforms in and out") +
                    "; NCHW: " + nchw_failure_;
    }
    if (padded_.data()) {
      algorithm_ +=
          " after explicit padding top/bottom/left/right " + std::to_string(padding_.extra_top) +
          "/" + std::to_string(padding_.extra_bottom) + "/" + std::to_string(padding_.extra_left) +
          "/" + std::to_string(padding_.extra_right);
    }
    if (conv_.bias) {
      algorithm_ += dtype_ == DataType::bf16 ? " + np bias kernel" : " + cudnnAddTensor bias";
    }
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
  bool standalone_;
  ConvAttrs conv_;
  ConvPadding padding_;
  DeviceTensor x_, y_;
  Shape conv_input_;
  int64_t in_per_group_ = 1;
  DeviceBuffer padded_;
  std::vector<DeviceBuffer> params_;  // weight, then bias when the layer has one
  TensorDescriptor x_desc_, y_desc_, bias_desc_;
  BroadcastIndex bias_index_, output_index_;  // bf16 bias
  FilterDescriptor w_desc_;
  ConvolutionDescriptor conv_desc_;
  bool strict_fp32_ = true;
  bool nhwc_ = false;
  std::string nchw_failure_;
  DeviceBuffer x_nhwc_, y_nhwc_, w_nhwc_;
  PermuteIndex to_nhwc_, to_nchw_;
  cudnnMathType_t math_ = CUDNN_FMA_MATH;
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
