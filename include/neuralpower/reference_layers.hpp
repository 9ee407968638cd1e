#pragma once
// The reference layers of a measurement run (docs/profiling.md, "A quiet measurement"): a fixed
// convolution (compute-bound) and a fixed large add (memory-bound), prepared once and measured
// at the start of a run and after every group of configurations (every network in `profile
// nets`). Their times go into every row, and a drift beyond the tolerance means the machine is
// not in the state the run started in: the rows since the last good reference are measured
// again once the reference is back, or the run stops and says so, never averaging it in.
#include <atomic>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "neuralpower/backend.hpp"
#include "neuralpower/measurement.hpp"

namespace np {

struct ReferenceOptions {
  bool enabled = true;
  // A reference further than this from the baseline is a drift. The memory-bound one moves
  // more: on a shared machine the neighbours' memory traffic slows it (docs/profiling.md).
  double tolerance_pct = 10;
  double mem_tolerance_pct = 25;
  int retries = 3;      // times the reference is measured again, after a pause, per drift
  double pause_s = 10;  // the pause before each of those
  int trials = 7;       // trials per reference measurement
};

struct ReferenceTimes {
  double conv_ms = 0;
  double mem_ms = 0;
};

// conv in=1x64x56x56 out=64 k=3x3 s=1x1 p=1,1,1,1 (0.23 GFLOP) and add of two 32x64x56x56
// tensors (77 MB moved in fp32: more than a CPU's last-level cache).
Network reference_conv_network(DataType dtype);
Network reference_mem_network(DataType dtype);

// "" when `now` is within the tolerances of `then`; else what moved and by how much, e.g.
// "reference conv 2.610 ms against 2.310 ms (+13.0%)".
std::string reference_drift(const ReferenceTimes& now, const ReferenceTimes& then,
                            const ReferenceOptions& options);

class ReferenceLayers {
 public:
  // Prepares both layers (np::Error when the backend cannot run them).
  ReferenceLayers(Backend& backend, const RunSettings& run, const MeasureOptions& measure,
                  const ReferenceOptions& options, Clock& clock, const std::atomic<bool>* stop,
                  std::ostream* log);
  ~ReferenceLayers();
  ReferenceLayers(const ReferenceLayers&) = delete;
  ReferenceLayers& operator=(const ReferenceLayers&) = delete;

  ReferenceTimes measure();
  // The median of three measurements becomes the baseline later ones are held against: the
  // state the run started in.
  ReferenceTimes establish_baseline();
  const ReferenceTimes& baseline() const { return baseline_; }
  std::string drift(const ReferenceTimes& now) const;
  // After a drift: pauses and measures again, at most `retries` times, until the reference is
  // back within tolerance. Returns the last times; `drift_text` is left empty when it is back.
  ReferenceTimes settle(std::string& drift_text);

 private:
  double measure_one(Workload& workload);

  Backend& backend_;
  RunSettings run_;
  MeasureOptions measure_;
  ReferenceOptions options_;
  Clock& clock_;
  const std::atomic<bool>* stop_;
  std::ostream* log_;
  std::unique_ptr<TrialMonitor> monitor_;
  std::unique_ptr<PreparedLayer> conv_, mem_;
  Workload conv_work_, mem_work_;
  ReferenceTimes baseline_;
};

}  // namespace np
