#pragma once
// The device side every prepared layer shares: the CUDA device, one stream, the cuDNN and
// cuBLAS handles bound to it; and RAII wrappers for device memory, events and graphs.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace np::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(int64_t bytes);  // cudaMalloc; DeviceOutOfMemory when it fails
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return data_; }
  int64_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  int64_t bytes_ = 0;
};

// Free and total device memory of the current device.
struct MemoryInfo {
  int64_t free_bytes = 0;
  int64_t total_bytes = 0;
};
MemoryInfo device_memory();
// Throws DeviceOutOfMemory naming `what`, the bytes and their breakdown when `bytes` exceed
// the current device's free memory: checked before allocating, so a layer far too large
// fails cleanly instead of part-way.
void require_free_memory(int64_t bytes, const std::string& what, const std::string& breakdown);

// A scratch area that grows while a layer or network is prepared and is then fixed: captured
// graphs keep its address, so it never moves once preparation is over.
class Workspace {
 public:
  void reserve(int64_t bytes);
  void* data() const { return buffer_.data(); }
  int64_t bytes() const { return buffer_.bytes(); }

 private:
  DeviceBuffer buffer_;
};

class CudaContext {
 public:
  explicit CudaContext(int device);
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  int device() const { return device_; }
  void activate() const;  // makes this context's device current on the calling thread
  cudaStream_t stream() const { return stream_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  cublasHandle_t cublas() const { return cublas_; }
  void synchronize() const;

 private:
  void release() noexcept;

  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  DeviceBuffer cublas_workspace_;  // fixed, so that cuBLAS never allocates inside a capture
};

class CudaEvent {
 public:
  CudaEvent();
  ~CudaEvent();
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  CudaEvent(CudaEvent&& other) noexcept;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};
// Milliseconds between two recorded events (the later one is waited for).
double elapsed_ms(const CudaEvent& start, const CudaEvent& stop);

// Work captured once from a stream and replayed with one launch.
class CudaGraph {
 public:
  CudaGraph() = default;
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  CudaGraph(CudaGraph&& other) noexcept;
  CudaGraph& operator=(CudaGraph&& other) noexcept;

  // Captures what `enqueue` puts on `stream`. Returns an empty string on success, else why
  // capturing failed (the stream is left usable and the graph empty).
  std::string capture(cudaStream_t stream, const std::function<void(cudaStream_t)>& enqueue);
  bool empty() const { return exec_ == nullptr; }
  void launch(cudaStream_t stream) const;

 private:
  void reset();
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace np::cuda
