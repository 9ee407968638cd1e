#include "backends/cuda/check.hpp"

#include <array>
#include <cstring>

namespace np::cuda {
namespace {

// __FILE__ is absolute in CMake builds; the part from "src/" on is what a reader needs.
std::string short_path(const char* file) {
  const std::string path = file;
  const auto at = path.rfind("src/");
  return at == std::string::npos ? path : path.substr(at);
}

}  // namespace

FailureKind classify(cudaError_t status) {
  switch (status) {
    case cudaErrorMemoryAllocation:
      return FailureKind::out_of_memory;
    // Sticky: the context is corrupt and every later call returns the same error
    // (cuda_runtime_api.h: "the process must be terminated and relaunched").
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorLaunchTimeout:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorECCUncorrectable:
    case cudaErrorNvlinkUncorrectable:
    case cudaErrorUnknown:
      return FailureKind::device_lost;
    case cudaErrorNotSupported:
    case cudaErrorInvalidDeviceFunction:
    case cudaErrorNoKernelImageForDevice:
      return FailureKind::unsupported;
    default:
      return FailureKind::other;
  }
}

FailureKind classify(cudnnStatus_t status) {
  if (status == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
      status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED) {
    return FailureKind::out_of_memory;
  }
  // cuDNN 9 groups its codes by thousands: 3xxx are the "not supported" family, 5xxx the
  // execution failures (a kernel that did not complete).
  if (CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_NOT_SUPPORTED) return FailureKind::unsupported;
  if (CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_EXECUTION_FAILED) {
    return with_device_state(FailureKind::other);
  }
  return FailureKind::other;
}

FailureKind classify(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_ALLOC_FAILED:
      return FailureKind::out_of_memory;
    case CUBLAS_STATUS_NOT_SUPPORTED:
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return FailureKind::unsupported;
    case CUBLAS_STATUS_EXECUTION_FAILED:
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return with_device_state(FailureKind::other);
    default:
      return FailureKind::other;
  }
}

FailureKind with_device_state(FailureKind kind) {
  const cudaError_t state = cudaDeviceSynchronize();
  if (classify(state) == FailureKind::device_lost) return FailureKind::device_lost;
  (void)cudaGetLastError();  // a non-sticky error of the probe itself is not kept
  return kind;
}

std::string status_name(cudaError_t status) {
  return std::string(cudaGetErrorName(status)) + " (" + std::to_string(static_cast<int>(status)) +
         "): " + cudaGetErrorString(status);
}

std::string status_name(cudnnStatus_t status) {
  return std::string(cudnnGetErrorString(status)) + " (" +
         std::to_string(static_cast<int>(status)) + ")";
}

std::string status_name(cublasStatus_t status) {
  return std::string(cublasGetStatusName(status)) + " (" +
         std::to_string(static_cast<int>(status)) + "): " + cublasGetStatusString(status);
}

std::string failure_message(const std::string& statement, const std::string& status,
                            const std::string& detail, const char* file, int line) {
  std::string message = statement + " failed: " + status;
  if (!detail.empty()) message += ": " + detail;
  return message + " [" + short_path(file) + ":" + std::to_string(line) + "]";
}

void throw_failure(FailureKind kind, const std::string& message) {
  switch (kind) {
    case FailureKind::out_of_memory:
      throw DeviceOutOfMemory(message);
    case FailureKind::unsupported:
      throw UnsupportedLayer(message);
    case FailureKind::device_lost:
      throw DeviceLost(message + " (the CUDA context is unusable: restart the process)");
    case FailureKind::other:
      break;
  }
  throw Error(message);
}

void check_status(cudaError_t status, const char* statement, const char* file, int line) {
  if (status == cudaSuccess) return;
  // Clears a non-sticky error (an allocation failure) so that later calls start clean.
  (void)cudaGetLastError();
  throw_failure(classify(status), failure_message(statement, status_name(status), "", file, line));
}

void check_status(cudnnStatus_t status, const char* statement, const char* file, int line) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  std::array<char, 512> detail{};
  cudnnGetLastErrorString(detail.data(), detail.size());
  throw_failure(classify(status),
                failure_message(statement, status_name(status), detail.data(), file, line));
}

void check_status(cublasStatus_t status, const char* statement, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw_failure(classify(status), failure_message(statement, status_name(status), "", file, line));
}

}  // namespace np::cuda
