#include "backends/cuda/cuda_context.hpp"

#include <utility>

#include "backends/cuda/check.hpp"
#include "backends/cuda/layer_plan.hpp"

namespace np::cuda {
namespace {

// cuBLAS's recommended workspace on Hopper; fixed so that captured gemms never allocate.
constexpr int64_t kCublasWorkspaceBytes = int64_t{32} << 20;

}  // namespace

DeviceBuffer::DeviceBuffer(int64_t bytes) : bytes_(bytes) {
  if (bytes <= 0) {
    bytes_ = 0;
    return;
  }
  NP_CUDA_CHECK(cudaMalloc(&data_, static_cast<size_t>(bytes)));
}

DeviceBuffer::~DeviceBuffer() {
  if (data_) (void)cudaFree(data_);  // a destructor must not throw; nothing to do on failure
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) (void)cudaFree(data_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

MemoryInfo device_memory() {
  size_t free_bytes = 0, total_bytes = 0;
  NP_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return {static_cast<int64_t>(free_bytes), static_cast<int64_t>(total_bytes)};
}

void require_free_memory(int64_t bytes, const std::string& what, const std::string& breakdown) {
  const MemoryInfo memory = device_memory();
  if (bytes <= memory.free_bytes) return;
  throw DeviceOutOfMemory(what + " needs " + format_bytes(bytes) + " of device memory (" +
                          breakdown + ") but the device has " + format_bytes(memory.free_bytes) +
                          " free of " + format_bytes(memory.total_bytes));
}

void Workspace::reserve(int64_t bytes) {
  if (bytes <= buffer_.bytes()) return;
  buffer_ = DeviceBuffer();  // free first: the old contents are not needed
  buffer_ = DeviceBuffer(bytes);
}

CudaContext::CudaContext(int device) : device_(device) {
  NP_CUDA_CHECK(cudaSetDevice(device));
  try {
    NP_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    NP_CUDA_CHECK(cudnnCreate(&cudnn_));
    NP_CUDA_CHECK(cudnnSetStream(cudnn_, stream_));
    NP_CUDA_CHECK(cublasCreate(&cublas_));
    // cublasSetStream resets the workspace, so the workspace comes after it.
    NP_CUDA_CHECK(cublasSetStream(cublas_, stream_));
    cublas_workspace_ = DeviceBuffer(kCublasWorkspaceBytes);
    NP_CUDA_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_.data(),
                                     static_cast<size_t>(kCublasWorkspaceBytes)));
  } catch (...) {
    release();
    throw;
  }
}

CudaContext::~CudaContext() { release(); }

void CudaContext::release() noexcept {
  // Teardown ignores errors: it may run after a failed start, and must not throw.
  if (stream_) (void)cudaStreamSynchronize(stream_);
  if (cublas_) (void)cublasDestroy(cublas_);
  if (cudnn_) (void)cudnnDestroy(cudnn_);
  cublas_workspace_ = DeviceBuffer();
  if (stream_) (void)cudaStreamDestroy(stream_);
  cublas_ = nullptr;
  cudnn_ = nullptr;
  stream_ = nullptr;
}

void CudaContext::activate() const { NP_CUDA_CHECK(cudaSetDevice(device_)); }

void CudaContext::synchronize() const { NP_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

CudaEvent::CudaEvent() { NP_CUDA_CHECK(cudaEventCreate(&event_)); }
CudaEvent::~CudaEvent() {
  if (event_) (void)cudaEventDestroy(event_);
}
CudaEvent::CudaEvent(CudaEvent&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

double elapsed_ms(const CudaEvent& start, const CudaEvent& stop) {
  NP_CUDA_CHECK(cudaEventSynchronize(stop.get()));
  float ms = 0.0f;
  NP_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  return static_cast<double>(ms);
}

CudaGraph::~CudaGraph() { reset(); }
CudaGraph::CudaGraph(CudaGraph&& other) noexcept : exec_(std::exchange(other.exec_, nullptr)) {}
CudaGraph& CudaGraph::operator=(CudaGraph&& other) noexcept {
  if (this != &other) {
    reset();
    exec_ = std::exchange(other.exec_, nullptr);
  }
  return *this;
}

void CudaGraph::reset() {
  if (exec_) (void)cudaGraphExecDestroy(exec_);
  exec_ = nullptr;
}

std::string CudaGraph::capture(cudaStream_t stream,
                               const std::function<void(cudaStream_t)>& enqueue) {
  reset();
  // Thread-local mode: only this thread's unsafe calls (a cudaMalloc) invalidate the capture.
  NP_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  std::string failure;
  try {
    enqueue(stream);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  cudaGraph_t graph = nullptr;
  const cudaError_t end = cudaStreamEndCapture(stream, &graph);
  if (failure.empty() && end != cudaSuccess) failure = "cudaStreamEndCapture: " + status_name(end);
  if (failure.empty()) {
    const cudaError_t made = cudaGraphInstantiate(&exec_, graph, 0);
    if (made != cudaSuccess) {
      failure = "cudaGraphInstantiate: " + status_name(made);
      exec_ = nullptr;
    }
  }
  if (graph) (void)cudaGraphDestroy(graph);
  (void)cudaGetLastError();  // capture errors are not sticky; start the next call clean
  if (!failure.empty()) return failure;
  NP_CUDA_CHECK(cudaGraphUpload(exec_, stream));
  return {};
}

void CudaGraph::launch(cudaStream_t stream) const { NP_CUDA_CHECK(cudaGraphLaunch(exec_, stream)); }

}  // namespace np::cuda
