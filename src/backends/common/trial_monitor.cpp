// Preemption of the measuring thread: involuntary context switches and CPU time short of wall
// time, per trial.
#include "neuralpower/trial_monitor.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

namespace np {
namespace {

double cpu_seconds(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

long involuntary_switches(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return usage.ru_nivcsw;
}

class PreemptionMonitor final : public TrialMonitor {
 public:
  PreemptionMonitor(int threads, PreemptionLimits limits)
      : one_thread_(threads <= 1), limits_(limits), rested_at_(wall_seconds()) {}

  void begin() override {
    rest();
    switches_ = involuntary_switches(who());
    cpu_ = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    wall_ = wall_seconds();
  }

  std::string end() override {
    const double wall_ms = (wall_seconds() - wall_) * 1e3;
    const double cpu_ms = (cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_) * 1e3;
    const long switched = involuntary_switches(who()) - switches_;
    char text[160];
    if (switched > 0) {
      std::snprintf(text, sizeof text, "preempted: %ld involuntary context switch%s", switched,
                    switched == 1 ? "" : "es");
      return text;
    }
    const double lost_ms = wall_ms - cpu_ms;
    if (one_thread_ && lost_ms > limits_.min_lost_ms &&
        lost_ms > limits_.max_lost_fraction * wall_ms) {
      std::snprintf(text, sizeof text, "CPU time %.3f ms of %.3f ms wall time", cpu_ms, wall_ms);
      return text;
    }
    return "";
  }

 private:
  int who() const { return one_thread_ ? RUSAGE_THREAD : RUSAGE_SELF; }

  // A SCHED_FIFO thread that never sleeps is throttled for the rest of each second once it has
  // used sched_rt_runtime_us of it, and the kernel's fair server preempts it for ordinary tasks:
  // a trial under way then is preempted. Pausing for a share of the time run since the last
  // pause lets them run between trials instead (measured here: 100 ms trials under load were
  // disturbed 14% of the time without the pauses, 2% with 10%).
  void rest() {
    const double ran_s = wall_seconds() - rested_at_;
    const double pause_s = std::min(limits_.rest_share * ran_s, limits_.max_rest_s);
    if (pause_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(pause_s));
    rested_at_ = wall_seconds();
  }

  bool one_thread_;
  PreemptionLimits limits_;
  long switches_ = 0;
  double cpu_ = 0;
  double wall_ = 0;
  double rested_at_ = 0;
};

}  // namespace

std::unique_ptr<TrialMonitor> thread_preemption_monitor(int threads, PreemptionLimits limits) {
  return std::make_unique<PreemptionMonitor>(threads, limits);
}

}  // namespace np
