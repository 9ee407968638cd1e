#include "backends/cuda/timing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "backends/cuda/check.hpp"
#include "backends/cuda/kernels.hpp"

namespace np::cuda {
namespace {

// A graph launch costs the host a few microseconds; the spin covers that with a margin.
constexpr int64_t kHostNanosecondsPerLaunch = 5'000;
constexpr int64_t kMinCoverNanoseconds = 20'000;
constexpr int64_t kMaxCoverNanoseconds = 20'000'000;
// Power windows replay in batches of about this many milliseconds of device time, or a
// quarter of the window when that is shorter (the profiler asks for 20 ms chunks).
constexpr double kMaxBatchMilliseconds = 20.0;
constexpr double kMinReplayMilliseconds = 0.05;
constexpr int kMaxGraphCopies = 256;

}  // namespace

int graph_copies_for(double run_ms) {
  if (!(run_ms > 0)) return kMaxGraphCopies;
  if (run_ms >= kMinReplayMilliseconds) return 1;
  return static_cast<int>(std::clamp(std::ceil(kMinReplayMilliseconds / run_ms - 1e-9), 1.0,
                                     static_cast<double>(kMaxGraphCopies)));
}

LaunchSplit split_runs(int64_t runs, int copies) {
  if (runs < 0) throw Error("cuda backend: runs must not be negative, got " + std::to_string(runs));
  const int64_t k = std::max(copies, 1);
  return {runs / k, runs % k};
}

void enqueue_host_cover(int64_t launches, cudaStream_t stream) {
  const int64_t cover =
      std::clamp(launches * kHostNanosecondsPerLaunch, kMinCoverNanoseconds, kMaxCoverNanoseconds);
  launch_spin(cover, stream);
}

Runner::Runner(std::shared_ptr<CudaContext> context, Enqueue enqueue, bool use_graphs)
    : context_(std::move(context)), enqueue_(std::move(enqueue)), use_graphs_(use_graphs) {}

void Runner::prepare() {
  context_->activate();
  enqueue_(context_->stream());
  context_->synchronize();
  if (use_graphs_) {
    const std::string failure = graph_.capture(context_->stream(), enqueue_);
    launch_mode_ =
        failure.empty() ? "CUDA graph" : "direct launches (graph capture failed: " + failure + ")";
  }
  launch();  // warm-up of the graph itself (first launch uploads and caches)
  context_->synchronize();
  double ms = timed_runs(1);
  if (ms < 1.0) {
    // Short runs: estimate from enough of them to fill a few milliseconds.
    const int runs = static_cast<int>(std::clamp(std::ceil(5.0 / std::max(ms, 1e-3)), 2.0, 1000.0));
    ms = timed_runs(runs) / runs;
  }
  estimated_run_ms_ = ms;
  if (!graph_.empty()) {
    const int copies = graph_copies_for(ms);
    if (copies > 1) {
      const std::string failure = copies_graph_.capture(context_->stream(), [&](cudaStream_t s) {
        for (int i = 0; i < copies; ++i) enqueue_(s);
      });
      if (failure.empty()) {
        copies_ = copies;
        copies_graph_.launch(context_->stream());  // its first launch uploads it
        context_->synchronize();
        launch_mode_ += " (" + std::to_string(copies) + " runs per replay)";
      } else {
        launch_mode_ += " (one run per replay: capturing " + std::to_string(copies) +
                        " copies failed: " + failure + ")";
      }
    }
  }
}

void Runner::launch() {
  if (!graph_.empty()) {
    graph_.launch(context_->stream());
  } else {
    enqueue_(context_->stream());
  }
}

void Runner::launch_runs(int64_t runs) {
  const LaunchSplit split = split_runs(runs, copies_);
  for (int64_t i = 0; i < split.replays; ++i) copies_graph_.launch(context_->stream());
  for (int64_t i = 0; i < split.singles; ++i) launch();
}

double Runner::timed_runs(int iterations) {
  if (iterations < 0) {
    throw Error("cuda backend: iterations must not be negative, got " + std::to_string(iterations));
  }
  if (iterations == 0) return 0.0;
  context_->activate();
  const cudaStream_t stream = context_->stream();
  CudaEvent start, stop;
  const LaunchSplit split = split_runs(iterations, copies_);
  enqueue_host_cover(split.replays + split.singles, stream);
  NP_CUDA_CHECK(cudaEventRecord(start.get(), stream));
  launch_runs(iterations);
  NP_CUDA_CHECK(cudaEventRecord(stop.get(), stream));
  return elapsed_ms(start, stop);
}

void Runner::run_batches(int64_t runs, const BatchCallback& on_batch) {
  if (runs < 1)
    throw Error("cuda backend: a batch needs at least one run, got " + std::to_string(runs));
  context_->activate();
  const cudaStream_t stream = context_->stream();
  CudaEvent start[2], stop[2];
  const LaunchSplit split = split_runs(runs, copies_);
  enqueue_host_cover(split.replays + split.singles, stream);
  for (int64_t b = 0;; ++b) {
    const size_t now = static_cast<size_t>(b % 2);
    NP_CUDA_CHECK(cudaEventRecord(start[now].get(), stream));
    launch_runs(runs);
    NP_CUDA_CHECK(cudaEventRecord(stop[now].get(), stream));
    if (b == 0) continue;
    // Waits for the previous batch only: this one stays queued while the host reports.
    const size_t previous = 1 - now;
    if (!on_batch(elapsed_ms(start[previous], stop[previous]))) {
      NP_CUDA_CHECK(cudaEventSynchronize(stop[now].get()));
      return;
    }
  }
}

int64_t Runner::run_for(double seconds) {
  if (!(seconds >= 0) || seconds > 86400) {
    throw Error("cuda backend: run_for needs 0 to 86400 seconds, got " + std::to_string(seconds));
  }
  context_->activate();
  const cudaStream_t stream = context_->stream();
  const double batch_ms = std::min(kMaxBatchMilliseconds, seconds * 1e3 / 4);
  const auto batch = static_cast<int64_t>(
      std::clamp(std::round(batch_ms / std::max(estimated_run_ms_, 1e-4)), 1.0, 1e5));
  CudaEvent done[2];
  const auto begin = std::chrono::steady_clock::now();
  int64_t runs = 0;
  for (int64_t k = 0;; ++k) {
    launch_runs(batch);
    runs += batch;
    NP_CUDA_CHECK(cudaEventRecord(done[k % 2].get(), stream));
    // Wait for the previous batch only: this one stays queued while the host checks the time.
    if (k > 0) NP_CUDA_CHECK(cudaEventSynchronize(done[(k - 1) % 2].get()));
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - begin;
    if (elapsed.count() >= seconds) {
      NP_CUDA_CHECK(cudaEventSynchronize(done[k % 2].get()));
      return runs;
    }
  }
}

}  // namespace np::cuda
