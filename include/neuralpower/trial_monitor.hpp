#pragma once
// Whether a timed trial was disturbed (docs/profiling.md, "A quiet measurement"): on a CPU the
// measuring thread was preempted or lost time to other work; on a GPU the clocks or the
// throttle state changed. A backend hands out its own check (Backend::trial_monitor); the
// measuring loop takes a disturbed trial again instead of averaging it in.
#include <memory>
#include <string>

namespace np {

class TrialMonitor {
 public:
  virtual ~TrialMonitor() = default;
  virtual void begin() = 0;
  // After the trial: why it was disturbed, or empty when it was not.
  virtual std::string end() = 0;
};

// The calling thread's involuntary context switches (getrusage) and, with one thread, its CPU
// time against the wall time: a trial is disturbed when the thread was switched out, or when
// the CPU time falls short of the wall time by more than `max_lost_fraction` of it (and
// `min_lost_ms`). With more threads than one the workers are not watched: only the process'
// involuntary switches count. Before each trial the monitor pauses for `rest_share` of the
// time run since its last pause (at most `max_rest_s`), so that a real-time thread leaves the
// CPU to others between trials instead of being preempted inside one.
struct PreemptionLimits {
  double max_lost_fraction = 0.02;
  double min_lost_ms = 0.05;
  double rest_share = 0.1;
  double max_rest_s = 0.1;
};
std::unique_ptr<TrialMonitor> thread_preemption_monitor(int threads, PreemptionLimits limits = {});

}  // namespace np
