#pragma once
// Device backends (one folder each under src/backends/, like ggml's): prepare one layer of a
// network on a device, run it back to back, time it the device's way, release it. Core code
// sees only this interface; no device header is ever included outside src/backends/<name>/.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/error.hpp"
#include "neuralpower/network.hpp"
#include "neuralpower/trial_monitor.hpp"

namespace np {

struct DeviceInfo {
  std::string backend;          // "cpu", "cuda"
  std::string name;             // "NVIDIA H100 80GB HBM3", "Intel(R) Xeon(R) ..."
  std::string driver;           // GPU driver, or the kernel version
  std::string runtime_version;  // CUDA runtime, oneDNN
  std::string library_version;  // cuDNN + cuBLAS
  std::string detail;           // anything else worth recording (threads, PCI bus id, ...)
};

struct RunSettings {
  DataType dtype = DataType::fp32;
  bool allow_tf32 = false;  // CUDA: TF32 tensor-core math for fp32 conv and fc
  int threads = 1;          // CPU backend threads
  bool use_graphs = true;   // CUDA: replay a captured graph to remove launch overhead
};

// Deterministic test data shared by every backend, so that outputs can be compared without
// moving tensors between backends: element i of the tensor of the given role is
// test_value(seed(role), i), in [-1, 1). Canonical layouts: activations as the IR shape (NCHW,
// row-major); conv weights [C_out, C_in/groups, kh, kw] then bias [C_out]; fc weights
// [out, in] then bias [out]; bn: scale, shift, mean [C], variance [C] = 0.5 + |value|;
// layernorm scale then shift; constant operands of add/mul/max in their own shapes.
enum class TensorRole : uint64_t { input0 = 1, input1, input2, input3, weight, bias, aux };
float test_value(TensorRole role, int64_t index);

// How a prepared layer runs, as the data records it: the math the libraries actually use
// (cuDNN's math type after the algorithm search, cuBLAS's compute type; empty where nothing
// chooses one) and how many copies of the layer one replay of its captured graph holds.
struct LayerRunInfo {
  std::string math_type;
  int graph_copies = 1;
};

// Called with the elapsed ms of each batch as the device timed it, in order; returning false
// ends the batches.
using BatchCallback = std::function<bool(double)>;

class PreparedLayer {
 public:
  virtual ~PreparedLayer() = default;
  // Runs the layer `iterations` times back to back and returns the elapsed milliseconds of
  // all of them, measured the device's way (CUDA events around graph replay; a steady clock
  // on the CPU). All setup happened in prepare(); nothing is allocated here.
  virtual double timed_runs(int iterations) = 0;
  // Runs back to back for at least `seconds` (power windows); returns the iterations done.
  virtual int64_t run_for(double seconds) = 0;
  // The algorithm the backend chose (cuDNN algorithm, oneDNN implementation name).
  virtual std::string algorithm() const = 0;
  // Runs once and copies the output to the host in the canonical layout (tests).
  virtual std::vector<float> output() = 0;
  virtual LayerRunInfo run_info() const { return {}; }
  // Batches of `runs` back-to-back runs, each timed the device's way, until `on_batch` returns
  // false: power windows take runtime and power from the same stretch of work. A device that
  // can queue work keeps the next batch queued while the host reads the last one, so it
  // never idles between batches; this default times one batch after the other.
  virtual void run_batches(int64_t runs, const BatchCallback& on_batch) {
    while (on_batch(timed_runs(static_cast<int>(runs)))) {
    }
  }
};

// A whole network prepared to run layer after layer on one stream, as a framework runs it.
class PreparedNetwork {
 public:
  virtual ~PreparedNetwork() = default;
  virtual double timed_runs(int iterations) = 0;  // whole network, ms for all iterations
  virtual int64_t run_for(double seconds) = 0;
  // Per layer, in place (the same buffers as the network run), with synchronisation around
  // each layer: ms of one run, averaged over `iterations`; 0 for zero-cost layers.
  virtual std::vector<double> timed_layers(int iterations) = 0;
  // As PreparedLayer::run_batches, for whole-network runs.
  virtual void run_batches(int64_t runs, const BatchCallback& on_batch) {
    while (on_batch(timed_runs(static_cast<int>(runs)))) {
    }
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual DeviceInfo device() const = 0;
  // Throws UnsupportedLayer or DeviceOutOfMemory with the reason.
  virtual std::unique_ptr<PreparedLayer> prepare(const Network& net, int layer_id,
                                                 const RunSettings& settings) = 0;
  virtual std::unique_ptr<PreparedNetwork> prepare_network(const Network& net,
                                                           const RunSettings& settings) = 0;
  // A run with `settings` as the data names it: the device, with whatever changes its speed as
  // much as another chip would (the CPU's thread count), and the math mode.
  virtual std::string run_device_name(const RunSettings&) const { return device().name; }
  virtual std::string math_mode(const RunSettings&) const { return "strict"; }
  // What tells a disturbed trial on this device (a preempted CPU thread, moved GPU clocks); a
  // trial it reports is taken again. Null: no check.
  virtual std::unique_ptr<TrialMonitor> trial_monitor(const RunSettings&) const { return nullptr; }
};

// What `neuralpower devices` prints about one backend: compiled in, devices found and why not.
struct BackendStatus {
  std::string backend;
  bool compiled = false;
  std::vector<DeviceInfo> devices;
  std::string message;  // e.g. "no CUDA device: cudaGetDeviceCount returned ..."
};

// Defaults that differ from one backend to another; each backend provides its own
// (backend_registry.hpp: backend_defaults).
struct BackendDefaults {
  // Sampling plans drop configurations above this many FLOPs (0: no cap): a CPU runs a
  // 20-GFLOP layer in about a second per core, so bigger ones would take a plan's time for a
  // handful of rows; a GPU has no such limit.
  int64_t max_plan_flops = 0;
};

}  // namespace np
