#pragma once
// How work is run and timed on the device (DESIGN.md "Measurement"): one run captured into a
// CUDA graph (or launched directly), replayed back to back between two CUDA events, with the
// host synchronising only at the end; power windows replay in batches with one batch always
// queued, so the device never idles inside a window.
#include <functional>
#include <memory>
#include <string>

#include "backends/cuda/cuda_context.hpp"
#include "neuralpower/backend.hpp"

namespace np::cuda {

// One graph replay costs the host 2-3 µs, and many layers run 2-5 µs on an H200: a graph of
// one run would time the host. A short run is captured this many times into one graph so that
// a replay lasts at least 50 µs (at most 256 copies).
int graph_copies_for(double run_ms);

// `runs` runs as replays of a graph of `copies` runs, plus single runs for the rest.
struct LaunchSplit {
  int64_t replays = 0;
  int64_t singles = 0;
};
LaunchSplit split_runs(int64_t runs, int copies);

class Runner {
 public:
  using Enqueue = std::function<void(cudaStream_t)>;
  Runner(std::shared_ptr<CudaContext> context, Enqueue enqueue, bool use_graphs);

  // Runs once directly and synchronises (errors surface here, inside prepare), captures the
  // graph (and for short runs a graph of several copies, graph_copies_for), warms up and
  // estimates the time of one run for run_for's batches.
  void prepare();
  // One run, asynchronous.
  void launch();
  // ms of `iterations` back-to-back runs, CUDA events around them.
  double timed_runs(int iterations);
  // Runs for at least `seconds` of host time; returns the runs done.
  int64_t run_for(double seconds);
  // Batches of `runs` runs between two events each, the next batch always queued while the
  // host waits for the previous one (PreparedLayer::run_batches).
  void run_batches(int64_t runs, const BatchCallback& on_batch);

  // "CUDA graph", "direct launches" or why the graph could not be captured.
  const std::string& launch_mode() const { return launch_mode_; }
  double estimated_run_ms() const { return estimated_run_ms_; }
  int graph_copies() const { return copies_; }

 private:
  // `runs` runs, asynchronous: replays of the copies graph, then single runs.
  void launch_runs(int64_t runs);

  std::shared_ptr<CudaContext> context_;
  Enqueue enqueue_;
  bool use_graphs_;
  CudaGraph graph_;
  CudaGraph copies_graph_;
  int copies_ = 1;
  std::string launch_mode_ = "direct launches";
  double estimated_run_ms_ = 0.0;
};

// Enqueues a spin long enough to cover the host queueing `launches` launches, so the device
// starts the timed work only when it has been queued (capped at 20 ms).
void enqueue_host_cover(int64_t launches, cudaStream_t stream);

}  // namespace np::cuda
