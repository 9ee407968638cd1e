#pragma once
// The measuring thread made as quiet as the machine permits (docs/profiling.md, "A quiet
// measurement"): real-time FIFO scheduling, so that no ordinary process takes its core away
// during a trial, and pinned to the last cores (one per backend thread), so that it does not
// migrate. Where SCHED_FIFO is not permitted the thread runs normally and says so.
#include <string>
#include <vector>

namespace np {

struct QuietOptions {
  bool realtime = true;  // SCHED_FIFO where permitted
  int priority = 10;     // low among real-time priorities: interrupt threads still come first
  bool pin = true;       // to the last `threads` online CPUs
};

// Applies the options to the calling thread for its lifetime; the destructor restores the
// scheduling policy and the CPU affinity it found.
class QuietThread {
 public:
  QuietThread(const QuietOptions& options, int threads);
  ~QuietThread();
  QuietThread(const QuietThread&) = delete;
  QuietThread& operator=(const QuietThread&) = delete;

  bool realtime() const { return realtime_; }
  bool pinned() const { return pinned_; }
  // What was achieved and why not, e.g. "SCHED_FIFO priority 10, pinned to cpu 1" or
  // "normal scheduling (SCHED_FIFO not permitted: Operation not permitted), pinned to cpu 1".
  const std::string& description() const { return description_; }

 private:
  bool realtime_ = false;
  bool pinned_ = false;
  bool restore_policy_ = false;
  bool restore_affinity_ = false;
  int old_policy_ = 0;
  int old_priority_ = 0;
  std::string description_;
  std::vector<int> old_cpus_;
};

// For a helper thread started by a quiet one (the power window's workload runner), which
// inherits its real-time policy and CPU: back to normal scheduling on every online CPU, so that
// the two do not share one core at equal FIFO priority, where the helper would never yield.
void leave_quiet_scheduling();

}  // namespace np
