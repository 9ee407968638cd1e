#pragma once
// One checking macro for every CUDA runtime, cuDNN, cuBLAS and NVML call: on failure it throws
// with the statement, the status name and the file and line. Out-of-memory statuses become
// np::DeviceOutOfMemory, "not supported" statuses np::UnsupportedLayer, sticky errors that
// leave the context unusable (an illegal address, a launch failure) np::DeviceLost, the rest
// np::Error.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <string>

#include "neuralpower/backend.hpp"

#define NP_CUDA_CHECK(statement) \
  ::np::cuda::check_status((statement), #statement, __FILE__, __LINE__)

namespace np::cuda {

// Which exception a failed call becomes.
enum class FailureKind { out_of_memory, unsupported, device_lost, other };

FailureKind classify(cudaError_t status);
FailureKind classify(cudnnStatus_t status);
FailureKind classify(cublasStatus_t status);
// cuDNN and cuBLAS report a kernel that died as an execution failure; whether the device is
// lost behind it only the CUDA runtime can say: `kind`, or device_lost when a synchronisation
// of the device returns a sticky error.
FailureKind with_device_state(FailureKind kind);

std::string status_name(cudaError_t status);
std::string status_name(cudnnStatus_t status);
std::string status_name(cublasStatus_t status);

// "cudnnCreate(&handle) failed: CUDNN_STATUS_... (code): detail [cuda/context.cpp:42]"
std::string failure_message(const std::string& statement, const std::string& status,
                            const std::string& detail, const char* file, int line);
[[noreturn]] void throw_failure(FailureKind kind, const std::string& message);

void check_status(cudaError_t status, const char* statement, const char* file, int line);
void check_status(cudnnStatus_t status, const char* statement, const char* file, int line);
void check_status(cublasStatus_t status, const char* statement, const char* file, int line);

}  // namespace np::cuda
