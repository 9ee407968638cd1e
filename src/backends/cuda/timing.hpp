#pragma once
// How work is run and timed on the device (DESIGN.md "Measurement"): one run captured into a
// CUDA graph (or launched directly), replayed back to back between two CUDA events, with the
// host synchronising only at the end; power windows replay in batches with one batch always
// queued, so the device never idles inside a window.
#include <functional>
#include <memory>
#include <string>

#include "backends/cuda/cuda_context.hpp"

namespace np::cuda {

class Runner {
 public:
  using Enqueue = std::function<void(cudaStream_t)>;
  Runner(std::shared_ptr<CudaContext> context, Enqueue enqueue, bool use_graphs);

  // Runs once directly and synchronises (errors surface here, inside prepare), captures the
  // graph, warms up and estimates the time of one run for run_for's batches.
  void prepare();
  // One run, asynchronous.
  void launch();
  // ms of `iterations` back-to-back runs, CUDA events around them.
  double timed_runs(int iterations);
  // Runs for at least `seconds` of host time; returns the runs done.
  int64_t run_for(double seconds);

  // "CUDA graph", "direct launches" or why the graph could not be captured.
  const std::string& launch_mode() const { return launch_mode_; }
  double estimated_run_ms() const { return estimated_run_ms_; }

 private:
  std::shared_ptr<CudaContext> context_;
  Enqueue enqueue_;
  bool use_graphs_;
  CudaGraph graph_;
  std::string launch_mode_ = "direct launches";
  double estimated_run_ms_ = 0.0;
};

// Enqueues a spin long enough to cover the host queueing `launches` launches, so the device
// starts the timed work only when it has been queued (capped at 20 ms).
void enqueue_host_cover(int64_t launches, cudaStream_t stream);

}  // namespace np::cuda
