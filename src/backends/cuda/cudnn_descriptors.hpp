#pragma once
// RAII for cuDNN descriptors and the data-type mapping.
#include <cudnn.h>

#include <array>
#include <cstdint>
#include <utility>

#include "backends/cuda/check.hpp"
#include "neuralpower/layer.hpp"

namespace np::cuda {

template <typename Handle, cudnnStatus_t (*Create)(Handle*), cudnnStatus_t (*Destroy)(Handle)>
class CudnnDescriptor {
 public:
  CudnnDescriptor() { NP_CUDA_CHECK(Create(&handle_)); }
  ~CudnnDescriptor() {
    if (handle_) (void)Destroy(handle_);
  }
  CudnnDescriptor(const CudnnDescriptor&) = delete;
  CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;
  CudnnDescriptor(CudnnDescriptor&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)) {}
  Handle get() const { return handle_; }

 private:
  Handle handle_ = nullptr;
};

using TensorDescriptor = CudnnDescriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor,
                                         cudnnDestroyTensorDescriptor>;
using FilterDescriptor = CudnnDescriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor,
                                         cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor =
    CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                    cudnnDestroyConvolutionDescriptor>;
using PoolingDescriptor = CudnnDescriptor<cudnnPoolingDescriptor_t, cudnnCreatePoolingDescriptor,
                                          cudnnDestroyPoolingDescriptor>;
using ActivationDescriptor =
    CudnnDescriptor<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor,
                    cudnnDestroyActivationDescriptor>;
using LrnDescriptor =
    CudnnDescriptor<cudnnLRNDescriptor_t, cudnnCreateLRNDescriptor, cudnnDestroyLRNDescriptor>;

// Throws UnsupportedLayer for int8.
cudnnDataType_t cudnn_data_type(DataType dtype);
// Sets an NCHW-packed 4-D descriptor; throws UnsupportedLayer when a dim exceeds int.
void set_nchw(const TensorDescriptor& descriptor, DataType dtype,
              const std::array<int64_t, 4>& dims);

}  // namespace np::cuda
