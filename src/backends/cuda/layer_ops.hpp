#pragma once
// One layer as work on a stream: cuDNN, cuBLAS or our kernels over device tensors that the
// caller owns (inputs, output). An op owns its parameters and descriptors; everything is set
// up when it is made, and enqueue() only launches (graph-capturable, allocation-free).
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_context.hpp"
#include "neuralpower/backend.hpp"

namespace np::cuda {

struct DeviceTensor {
  void* data = nullptr;
  Shape shape;
};

// What making an op needs besides the layer and its tensors.
struct OpEnvironment {
  CudaContext& context;
  RunSettings settings;
  Workspace& workspace;            // shared by the ops of one prepared layer or network
  DeviceBuffer& search_workspace;  // for the convolution algorithm search, freed after prepare
  // A layer prepared alone: its inputs never change and its output is read only by output(),
  // so data-layout conversions around it can happen once instead of every run.
  bool standalone = false;
};

class LayerOp {
 public:
  virtual ~LayerOp() = default;
  virtual void enqueue(cudaStream_t stream) = 0;
  // e.g. "cudnnConvolutionForward CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM (ws 0 B)"
  virtual std::string algorithm() const = 0;
  // The library's math type as it runs ("FMA_MATH", "CUBLAS_COMPUTE_32F"); empty for ops
  // without one.
  virtual std::string math_type() const { return {}; }
  // Before output() reads the output: whatever a standalone op left for the reader to do.
  virtual void prepare_readback(cudaStream_t) {}
};

// The op of a layer, or nullptr for zero-cost kinds (nothing runs). Throws UnsupportedLayer
// for what this backend cannot run, DeviceOutOfMemory when allocation fails.
std::unique_ptr<LayerOp> make_layer_op(OpEnvironment& env, const Layer& layer,
                                       const std::vector<DeviceTensor>& inputs,
                                       const DeviceTensor& output);

// Allocates a device tensor of `count` values of `dtype` filled with the canonical values of
// (role, offset, variance) on the context's stream.
DeviceBuffer make_filled_buffer(const CudaContext& context, DataType dtype, int64_t count,
                                TensorRole role, int64_t offset, bool variance);

// The layer's canonical parameters (backends/common/canonical_data.hpp) on the device, in
// their order; fp32 where cuDNN wants it (batch norm), else the run's data type.
std::vector<DeviceBuffer> make_parameter_buffers(const OpEnvironment& env, const Layer& layer,
                                                 const std::vector<DeviceTensor>& inputs);

// The most workspace a convolution algorithm may take (frameworks cap it the same way).
inline constexpr int64_t kConvolutionWorkspaceCap = int64_t{512} << 20;

// Makers per family (layer_ops.cpp dispatches).
std::unique_ptr<LayerOp> make_conv_op(OpEnvironment& env, const Layer& layer,
                                      const std::vector<DeviceTensor>& inputs,
                                      const DeviceTensor& output);
std::unique_ptr<LayerOp> make_cudnn_op(OpEnvironment& env, const Layer& layer,
                                       const std::vector<DeviceTensor>& inputs,
                                       const DeviceTensor& output);
std::unique_ptr<LayerOp> make_kernel_op(OpEnvironment& env, const Layer& layer,
                                        const std::vector<DeviceTensor>& inputs,
                                        const DeviceTensor& output);

}  // namespace np::cuda
