// The CUDA backend: layers and networks prepared on one stream of one device, timed by CUDA
// events around graph replays (timing.hpp), with the device probe and the factories.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <chrono>
#include <thread>
#include <variant>

#include "backends/common/canonical_data.hpp"
#include "backends/cuda/check.hpp"
#include "backends/cuda/cuda_context.hpp"
#include "backends/cuda/cuda_factory.hpp"
#include "backends/cuda/kernels.hpp"
#include "backends/cuda/layer_ops.hpp"
#include "backends/cuda/layer_plan.hpp"
#include "backends/cuda/nvml_library.hpp"
#include "backends/cuda/timing.hpp"

namespace np::cuda {
namespace {

// "13.0" from CUDA's 13000.
std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

std::string cudnn_version_text() {
  const size_t v = cudnnGetVersion();  // 9.19.0 is 91900 since cuDNN 9
  return std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." +
         std::to_string(v % 100);
}

std::string cublas_version_text() {
  int major = 0, minor = 0, patch = 0;
  NP_CUDA_CHECK(cublasGetProperty(MAJOR_VERSION, &major));
  NP_CUDA_CHECK(cublasGetProperty(MINOR_VERSION, &minor));
  NP_CUDA_CHECK(cublasGetProperty(PATCH_LEVEL, &patch));
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

DeviceInfo describe_device(int device) {
  cudaDeviceProp prop{};
  NP_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  int driver = 0, runtime = 0;
  NP_CUDA_CHECK(cudaDriverGetVersion(&driver));
  NP_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  char bus_id[64] = {};
  NP_CUDA_CHECK(cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, device));
  DeviceInfo info;
  info.backend = "cuda";
  info.name = prop.name;
  info.driver = "CUDA driver API " + cuda_version_text(driver);
  if (const std::string nvidia = nvml::driver_version(); !nvidia.empty()) {
    info.driver += ", NVIDIA driver " + nvidia;
  }
  info.runtime_version = "CUDA runtime " + cuda_version_text(runtime);
  info.library_version = "cuDNN " + cudnn_version_text() + ", cuBLAS " + cublas_version_text();
  info.detail = "device " + std::to_string(device) + ", PCI " + bus_id + ", " +
                format_bytes(static_cast<int64_t>(prop.totalGlobalMem)) + ", " +
                std::to_string(prop.multiProcessorCount) + " SMs, compute capability " +
                std::to_string(prop.major) + "." + std::to_string(prop.minor) + ", L2 " +
                format_bytes(prop.l2CacheSize) + ", ECC " + (prop.ECCEnabled ? "on" : "off");
  return info;
}

// Device count, or the reason there is none ("no CUDA device: ...").
int count_devices(std::string& why_none) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    why_none = "no CUDA device: " + std::string(cudaGetErrorString(status));
    return 0;
  }
  if (count == 0) why_none = "no CUDA device: cudaGetDeviceCount found none";
  return count;
}

// Kinds whose output is their input's data seen with another shape.
bool is_view(LayerKind kind) {
  return kind == LayerKind::reshape || kind == LayerKind::flatten || kind == LayerKind::dropout ||
         kind == LayerKind::identity || kind == LayerKind::cast;
}

std::string layer_context(const Layer& layer) {
  return "cuda: layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) + ")";
}

std::vector<float> copy_to_host(const CudaContext& context, const DeviceTensor& tensor,
                                DataType dtype) {
  const int64_t count = element_count(tensor.shape);
  std::vector<float> host(static_cast<size_t>(count));
  const void* source = tensor.data;
  DeviceBuffer staging;
  if (dtype != DataType::fp32) {
    staging = DeviceBuffer(count * static_cast<int64_t>(sizeof(float)));
    launch_to_float(dtype, tensor.data, static_cast<float*>(staging.data()), count,
                    context.stream());
    source = staging.data();
  }
  NP_CUDA_CHECK(cudaMemcpyAsync(host.data(), source, host.size() * sizeof(float),
                                cudaMemcpyDeviceToHost, context.stream()));
  context.synchronize();
  return host;
}

// Zero-cost kinds: nothing runs on the device. Their output is their input (views) or, for
// input and unknown layers, the canonical data of their shape (as the network run fills them).
class ZeroCostPreparedLayer final : public PreparedLayer {
 public:
  ZeroCostPreparedLayer(const Layer& layer, const std::vector<Shape>& input_shapes)
      : kind_(layer.kind) {
    if (is_view(layer.kind) && !input_shapes.empty()) {
      source_ = canonical_inputs(input_shapes).at(0);
    } else if (layer.kind == LayerKind::input || layer.kind == LayerKind::unknown) {
      source_ = canonical_inputs({layer.output_shape}).at(0);
    }
  }
  double timed_runs(int iterations) override {
    if (iterations < 0) throw Error("cuda backend: iterations must not be negative");
    return 0.0;
  }
  // Nothing runs: the window passes idle and no run is counted.
  int64_t run_for(double seconds) override {
    if (!(seconds >= 0) || seconds > 86400) {
      throw Error("cuda backend: run_for needs 0 to 86400 seconds, got " + std::to_string(seconds));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    return 0;
  }
  // "none", as every backend names a layer where nothing runs.
  std::string algorithm() const override { return "none"; }
  std::vector<float> output() override {
    if (!source_) {
      throw UnsupportedLayer("a layer of kind '" + std::string(to_string(kind_)) +
                             "' has no defined output");
    }
    return source_->values();
  }

 private:
  LayerKind kind_;
  std::optional<CanonicalTensor> source_;
};

class CudaPreparedLayer final : public PreparedLayer {
 public:
  CudaPreparedLayer(std::shared_ptr<CudaContext> context, const Layer& layer,
                    const std::vector<Shape>& input_shapes, const RunSettings& settings)
      : context_(std::move(context)), dtype_(settings.dtype) {
    const LayerFootprint footprint = layer_footprint(layer, input_shapes, dtype_);
    require_free_memory(footprint.total(), "the layer", footprint.describe());
    std::vector<DeviceTensor> inputs;
    for (const auto& tensor : canonical_inputs(input_shapes)) {
      buffers_.push_back(make_filled_buffer(*context_, dtype_, element_count(tensor.shape),
                                            tensor.role, tensor.offset, tensor.variance));
      inputs.push_back({buffers_.back().data(), tensor.shape});
    }
    buffers_.emplace_back(tensor_bytes(layer.output_shape, dtype_));
    output_ = {buffers_.back().data(), layer.output_shape};
    NP_CUDA_CHECK(cudaMemsetAsync(output_.data, 0, static_cast<size_t>(buffers_.back().bytes()),
                                  context_->stream()));
    DeviceBuffer search_workspace;
    OpEnvironment env{*context_, settings, workspace_, search_workspace, true};
    op_ = make_layer_op(env, layer, inputs, output_);
    search_workspace = DeviceBuffer();
    runner_ = std::make_unique<Runner>(
        context_, [op = op_.get()](cudaStream_t stream) { op->enqueue(stream); },
        settings.use_graphs);
    runner_->prepare();
  }

  double timed_runs(int iterations) override { return runner_->timed_runs(iterations); }
  int64_t run_for(double seconds) override { return runner_->run_for(seconds); }
  void run_batches(int64_t runs, const BatchCallback& on_batch) override {
    runner_->run_batches(runs, on_batch);
  }
  std::string algorithm() const override {
    return op_->algorithm() + "; " + runner_->launch_mode();
  }
  LayerRunInfo run_info() const override { return {op_->math_type(), runner_->graph_copies()}; }
  std::vector<float> output() override {
    context_->activate();
    runner_->launch();
    op_->prepare_readback(context_->stream());
    return copy_to_host(*context_, output_, dtype_);
  }

 private:
  std::shared_ptr<CudaContext> context_;  // first member: destroyed last
  DataType dtype_;
  std::vector<DeviceBuffer> buffers_;  // inputs, then the output
  DeviceTensor output_;
  Workspace workspace_;
  std::unique_ptr<LayerOp> op_;
  std::unique_ptr<Runner> runner_;
};

class CudaPreparedNetwork final : public PreparedNetwork {
 public:
  CudaPreparedNetwork(std::shared_ptr<CudaContext> context, const Network& net,
                      const RunSettings& settings)
      : context_(std::move(context)), dtype_(settings.dtype), use_graphs_(settings.use_graphs) {
    require_fits(net);
    allocate_and_build(net, settings);
    runner_ = std::make_unique<Runner>(
        context_,
        [this](cudaStream_t stream) {
          for (auto& op : ops_) {
            if (op) op->enqueue(stream);
          }
        },
        use_graphs_);
    runner_->prepare();
    prepare_layer_timing();
  }

  double timed_runs(int iterations) override { return runner_->timed_runs(iterations); }
  int64_t run_for(double seconds) override { return runner_->run_for(seconds); }
  void run_batches(int64_t runs, const BatchCallback& on_batch) override {
    runner_->run_batches(runs, on_batch);
  }

  std::vector<double> timed_layers(int iterations) override {
    if (iterations <= 0) {
      throw Error("cuda backend: timed_layers needs a positive iteration count, got " +
                  std::to_string(iterations));
    }
    context_->activate();
    const cudaStream_t stream = context_->stream();
    std::vector<double> total(ops_.size(), 0.0);
    for (int it = 0; it < iterations; ++it) {
      for (size_t id = 0; id < ops_.size(); ++id) {
        if (!ops_[id]) continue;
        // The spin isolates the layer from the one before and covers the host's launch.
        enqueue_host_cover(1, stream);
        launch_timed_layer(id, stream);
      }
      context_->synchronize();
      for (size_t id = 0; id < ops_.size(); ++id) {
        if (ops_[id]) total[id] += elapsed_ms(timing_[id]->start, timing_[id]->stop);
      }
    }
    for (double& ms : total) ms /= iterations;
    return total;
  }

 private:
  // Per-layer timing. Best: each layer's graph records its own start and stop events as
  // graph nodes (cudaEventRecordExternal), so the graph's launch latency stays outside the
  // layer's time. If the driver refuses that (capture or timing of such events fails), the
  // events go around each layer's graph instead, or around direct launches without graphs.
  void prepare_layer_timing() {
    const cudaStream_t stream = context_->stream();
    timing_.resize(ops_.size());
    for (size_t id = 0; id < ops_.size(); ++id) {
      if (ops_[id]) timing_[id] = std::make_unique<LayerTiming>();
    }
    if (!use_graphs_) return;
    bool captured = true;
    for (size_t id = 0; id < ops_.size() && captured; ++id) {
      if (!ops_[id]) continue;
      LayerTiming& t = *timing_[id];
      LayerOp* op = ops_[id].get();
      captured = t.graph
                     .capture(stream,
                              [&t, op](cudaStream_t s) {
                                NP_CUDA_CHECK(cudaEventRecordWithFlags(t.start.get(), s,
                                                                       cudaEventRecordExternal));
                                op->enqueue(s);
                                NP_CUDA_CHECK(cudaEventRecordWithFlags(t.stop.get(), s,
                                                                       cudaEventRecordExternal));
                              })
                     .empty();
    }
    if (captured) {
      try {
        for (size_t id = 0; id < ops_.size(); ++id) {
          if (ops_[id]) timing_[id]->graph.launch(stream);
        }
        context_->synchronize();
        for (size_t id = 0; id < ops_.size(); ++id) {
          if (ops_[id]) (void)elapsed_ms(timing_[id]->start, timing_[id]->stop);
        }
        events_in_graphs_ = true;
        return;
      } catch (const Error&) {
        context_->synchronize();
      }
    }
    for (size_t id = 0; id < ops_.size(); ++id) {
      if (!ops_[id]) continue;
      LayerOp* op = ops_[id].get();
      // A layer whose capture fails is launched directly, still between its two events.
      (void)timing_[id]->graph.capture(stream, [op](cudaStream_t s) { op->enqueue(s); });
    }
  }

  void launch_timed_layer(size_t id, cudaStream_t stream) {
    LayerTiming& t = *timing_[id];
    if (events_in_graphs_) {
      t.graph.launch(stream);
      return;
    }
    NP_CUDA_CHECK(cudaEventRecord(t.start.get(), stream));
    if (!t.graph.empty()) {
      t.graph.launch(stream);
    } else {
      ops_[id]->enqueue(stream);
    }
    NP_CUDA_CHECK(cudaEventRecord(t.stop.get(), stream));
  }

  void require_fits(const Network& net) {
    int64_t activations = 0, parameters = 0, scratch = 0;
    for (int id = 0; id < net.size(); ++id) {
      const Layer& layer = net.layer(id);
      const std::vector<Shape> shapes = checked_input_shapes(net, id);
      if (is_view(layer.kind) && !layer.inputs.empty()) continue;  // shares its input's buffer
      activations += tensor_bytes(layer.output_shape, dtype_);
      const LayerFootprint footprint = layer_footprint(layer, shapes, dtype_);
      parameters += footprint.parameter_bytes;
      scratch += footprint.scratch_bytes;
    }
    require_free_memory(activations + parameters + scratch,
                        "network '" + net.name() + "' at batch " + std::to_string(net.batch()),
                        "activations " + format_bytes(activations) + ", parameters " +
                            format_bytes(parameters) + ", scratch " + format_bytes(scratch));
  }

  void allocate_and_build(const Network& net, const RunSettings& settings) {
    std::vector<Shape> network_inputs;
    for (const auto& layer : net.layers()) {
      if (layer.kind == LayerKind::input) network_inputs.push_back(layer.output_shape);
    }
    const std::vector<CanonicalTensor> input_data = canonical_inputs(network_inputs);
    size_t next_input = 0;
    tensors_.resize(static_cast<size_t>(net.size()));
    ops_.resize(static_cast<size_t>(net.size()));
    DeviceBuffer search_workspace;
    OpEnvironment env{*context_, settings, workspace_, search_workspace, false};
    for (int id = 0; id < net.size(); ++id) {
      const Layer& layer = net.layer(id);
      try {
        DeviceTensor& out = tensors_[static_cast<size_t>(id)];
        if (is_view(layer.kind) && !layer.inputs.empty()) {
          out = {tensors_[static_cast<size_t>(layer.inputs[0])].data, layer.output_shape};
          continue;
        }
        if (layer.kind == LayerKind::input || layer.kind == LayerKind::unknown) {
          // Network inputs in order get input0, input1, ...; an unknown op's output is the
          // canonical data of its shape, so that its readers never compute on zeros.
          const CanonicalTensor data = layer.kind == LayerKind::input
                                           ? input_data.at(next_input++)
                                           : canonical_inputs({layer.output_shape}).at(0);
          buffers_.push_back(make_filled_buffer(*context_, dtype_, element_count(data.shape),
                                                data.role, data.offset, data.variance));
          out = {buffers_.back().data(), layer.output_shape};
          continue;
        }
        buffers_.emplace_back(tensor_bytes(layer.output_shape, dtype_));
        out = {buffers_.back().data(), layer.output_shape};
        // Zeroed so that the algorithm search never reads uninitialised memory.
        NP_CUDA_CHECK(cudaMemsetAsync(out.data, 0, static_cast<size_t>(buffers_.back().bytes()),
                                      context_->stream()));
        std::vector<DeviceTensor> inputs;
        for (int input : layer.inputs) inputs.push_back(tensors_[static_cast<size_t>(input)]);
        ops_[static_cast<size_t>(id)] = make_layer_op(env, layer, inputs, out);
      } catch (...) {
        rethrow_with_context(layer_context(layer));
      }
    }
  }

  std::shared_ptr<CudaContext> context_;  // first member: destroyed last
  DataType dtype_;
  bool use_graphs_;
  std::vector<DeviceBuffer> buffers_;
  std::vector<DeviceTensor> tensors_;  // per layer: its output (views share their input's)
  Workspace workspace_;
  std::vector<std::unique_ptr<LayerOp>> ops_;  // per layer; null where nothing runs
  std::unique_ptr<Runner> runner_;
  // Per layer where something runs: its two events and, with graphs, its own graph.
  struct LayerTiming {
    CudaEvent start, stop;
    CudaGraph graph;
  };
  std::vector<std::unique_ptr<LayerTiming>> timing_;
  bool events_in_graphs_ = false;
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device)
      : context_(std::make_shared<CudaContext>(device)), info_(describe_device(device)) {}

  DeviceInfo device() const override { return info_; }

  std::string math_mode(const RunSettings& settings) const override {
    std::string mode =
        settings.allow_tf32 && settings.dtype == DataType::fp32 ? "tf32-allowed" : "strict";
    return settings.use_graphs ? mode + ",graphs" : mode;
  }

  std::unique_ptr<PreparedLayer> prepare(const Network& net, int layer_id,
                                         const RunSettings& settings) override {
    const std::vector<Shape> shapes = checked_input_shapes(net, layer_id);
    const Layer& layer = net.layer(layer_id);
    try {
      context_->activate();
      (void)cudnn_data_type_name(settings.dtype);
      if (is_zero_cost(layer.kind)) return std::make_unique<ZeroCostPreparedLayer>(layer, shapes);
      return std::make_unique<CudaPreparedLayer>(context_, layer, shapes, settings);
    } catch (...) {
      rethrow_with_context(layer_context(layer));
    }
  }

  std::unique_ptr<PreparedNetwork> prepare_network(const Network& net,
                                                   const RunSettings& settings) override {
    try {
      context_->activate();
      (void)cudnn_data_type_name(settings.dtype);
      return std::make_unique<CudaPreparedNetwork>(context_, net, settings);
    } catch (...) {
      rethrow_with_context("cuda: network '" + net.name() + "'");
    }
  }

 private:
  static std::string cudnn_data_type_name(DataType dtype) {
    if (dtype == DataType::int8) {
      throw UnsupportedLayer("the CUDA backend runs fp32, fp16 and bf16, not int8");
    }
    return std::string(to_string(dtype));
  }

  std::shared_ptr<CudaContext> context_;
  DeviceInfo info_;
};

}  // namespace
}  // namespace np::cuda

namespace np {

BackendDefaults cuda_backend_defaults() { return {}; }  // no FLOP cap on a GPU

std::unique_ptr<Backend> make_cuda_backend(int device_index) {
  std::string why_none;
  const int count = cuda::count_devices(why_none);
  if (count == 0) throw Error("backend 'cuda': " + why_none);
  if (device_index < 0 || device_index >= count) {
    throw Error("backend 'cuda': device " + std::to_string(device_index) + " does not exist (" +
                std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s") + ")");
  }
  try {
    return std::make_unique<cuda::CudaBackend>(device_index);
  } catch (...) {
    rethrow_with_context("backend 'cuda' on device " + std::to_string(device_index));
  }
}

BackendStatus probe_cuda_backend() {
  BackendStatus status;
  status.backend = "cuda";
  status.compiled = true;
  std::string why_none;
  const int count = cuda::count_devices(why_none);
  if (count == 0) {
    status.message = why_none;
    return status;
  }
  for (int device = 0; device < count; ++device) {
    try {
      status.devices.push_back(cuda::describe_device(device));
    } catch (const std::exception& e) {
      status.message += (status.message.empty() ? "" : "; ") + std::string("device ") +
                        std::to_string(device) + ": " + e.what();
    }
  }
  if (status.message.empty()) {
    status.message = std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s");
  }
  return status;
}

}  // namespace np
