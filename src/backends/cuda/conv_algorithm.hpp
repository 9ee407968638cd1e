#pragma once
// Which of cuDNN's timed convolution algorithms runs, and with which math type (host logic,
// tested without a device): the fastest that succeeded within the workspace cap; in strict
// fp32 never a tensor-op one, and the chosen one runs with CUDNN_FMA_MATH, as PyTorch sets it
// with TF32 off: cuDNN reports DEFAULT_MATH for many algorithms, and DEFAULT_MATH lets fp32
// convolutions use TF32 tensor cores on Ampere and newer.
#include <cudnn.h>

#include <cstdint>
#include <string>
#include <vector>

namespace np::cuda {

std::string algorithm_name(cudnnConvolutionFwdAlgo_t algo);
std::string math_type_name(cudnnMathType_t math);

struct ConvAlgorithmChoice {
  int index = -1;                         // into the results; -1: none usable
  cudnnMathType_t math = CUDNN_FMA_MATH;  // to set on the descriptor before running
  std::string rejected;                   // why the others were not taken, for the error message
};

// `results` in cuDNN's order (fastest first), as cudnnFindConvolutionForwardAlgorithmEx
// returns them; `strict_fp32`: fp32 without TF32.
ConvAlgorithmChoice choose_conv_algorithm(const std::vector<cudnnConvolutionFwdAlgoPerf_t>& results,
                                          int64_t workspace_cap, bool strict_fp32);

}  // namespace np::cuda
