#include "backends/cuda/conv_algorithm.hpp"

#include "backends/cuda/layer_plan.hpp"

namespace np::cuda {
namespace {

bool uses_tensor_cores(cudnnMathType_t math) {
  return math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

}  // namespace

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

ConvAlgorithmChoice choose_conv_algorithm(const std::vector<cudnnConvolutionFwdAlgoPerf_t>& results,
                                          int64_t workspace_cap, bool strict_fp32) {
  ConvAlgorithmChoice choice;
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& perf = results[i];
    const bool fits = static_cast<int64_t>(perf.memory) <= workspace_cap;
    const bool math_ok = !strict_fp32 || !uses_tensor_cores(perf.mathType);
    if (perf.status == CUDNN_STATUS_SUCCESS && fits && math_ok) {
      choice.index = static_cast<int>(i);
      choice.math = strict_fp32 ? CUDNN_FMA_MATH : perf.mathType;
      return choice;
    }
    choice.rejected +=
        (choice.rejected.empty() ? "" : ", ") + algorithm_name(perf.algo) + ":" +
        cudnnGetErrorString(perf.status) +
        (fits ? "" : " (workspace " + format_bytes(static_cast<int64_t>(perf.memory)) + ")") +
        (math_ok ? "" : " (tensor-op math)");
  }
  return choice;
}

}  // namespace np::cuda
