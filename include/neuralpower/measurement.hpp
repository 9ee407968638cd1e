#pragma once
// Measuring one workload (docs/profiling.md, paper 3.3), for `profile layers` and `profile nets`:
//
//   runtime  warm-up, an iteration count that makes one trial last >= ~10 ms, timed trials;
//            the median per run and the spread (interquartile range / median). A trial the
//            backend's TrialMonitor reports as disturbed (a preempted thread, moved clocks) is
//            taken again; several workloads measured together take their trials in turns, so
//            that a slow spell hits each of them a little instead of one of them fully.
//   power    a window of back-to-back runs aligned to updates of the meter's energy counter:
//            wait for the counter to change, run for at least the window, stop when it
//            changes again; average power = delta E / delta t; energy per run = P x runtime.
//            Idle power is measured the same way with nothing running.
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/backend.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/platform.hpp"
#include "neuralpower/power_meter.hpp"

namespace np {

// Time as the power window sees it; tests substitute a simulated clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now_s() = 0;  // monotonic seconds
  virtual void sleep_s(double seconds) = 0;
};
Clock& steady_clock();  // std::chrono::steady_clock

// Throws Interrupted when *stop is true (a null stop never is).
void check_stop(const std::atomic<bool>* stop);

struct MeasureOptions {
  int trials = 15;
  int warmup = 5;
  double min_trial_ms = 10;    // iterations per trial chosen so that one trial lasts this long
  double max_warmup_s = 2;     // warm-up stops early once it has run this long (>= 1 run)
  double max_spread_pct = 10;  // above this, the trials are taken once more (the better kept)
  double power_window_s = 1.0;
  int max_trials_redone = 30;  // disturbed trials taken again per measurement, at most
};

// Something that runs back to back: a prepared layer or network.
struct Workload {
  std::function<double(int)> timed_runs;   // elapsed ms of `iterations` runs
  std::function<int64_t(double)> run_for;  // runs for at least `seconds`, returns iterations
  TrialMonitor* monitor = nullptr;         // watches each timed trial; null: no check
};
Workload workload_of(PreparedLayer& layer);
Workload workload_of(PreparedNetwork& net);

struct RuntimeStats {
  double median_ms = 0;   // per run
  double spread_pct = 0;  // interquartile range / median x 100
  int trials = 0;
  int64_t iterations_per_trial = 0;
  int trials_redone = 0;     // disturbed trials taken again
  int trials_disturbed = 0;  // disturbed trials kept because max_trials_redone was reached
  std::string disturbance;   // the last reason a trial was disturbed, if any
};
// Throws Interrupted when *stop becomes true; np::Error when the workload reports a time that
// is not a finite non-negative number.
RuntimeStats measure_runtime(const Workload& workload, const MeasureOptions& options,
                             const std::atomic<bool>* stop = nullptr);

// Several workloads measured together: each is warmed up and given its iteration count, then
// the trials are taken round-robin (trial 1 of every workload, then trial 2, ...), each trial
// after one short untimed warm run, since the other workloads ran in between. A workload that
// fails keeps its error (failure) and the others go on; Interrupted is thrown.
struct RuntimeResult {
  RuntimeStats stats;
  std::exception_ptr failure;
};
std::vector<RuntimeResult> measure_runtimes(const std::vector<Workload>& workloads,
                                            const MeasureOptions& options,
                                            const std::atomic<bool>* stop = nullptr);

// One trial of `iterations` runs, taken again while the monitor reports it disturbed (at most
// `redo_left` times, decremented): the elapsed ms of the kept trial. Counts go into `stats`.
double monitored_trial(const std::function<double()>& trial, TrialMonitor* monitor, int& redo_left,
                       RuntimeStats& stats);

struct PowerWindow {
  double power_w = 0;                // delta E / delta t over the aligned window
  std::optional<double> spread_pct;  // IQR / median of the power of ~10 sub-windows
  double window_s = 0;
  double energy_mj = 0;    // over the whole window
  int64_t iterations = 0;  // runs inside the window (0 for idle)
  MeterReadings last;      // the reading that closed the window (clocks, temperature, ...)
};

// One aligned window. `step(seconds)` keeps the device busy for about that long (or sleeps,
// for idle) and returns the iterations it ran. The window lasts at least `min_seconds`, at
// least 5 counter periods and at least 40 steps' worth of time (a step cannot be shorter than
// one run, and the window's ends are known to within one step). Throws np::Error when the
// counter is missing, does not change within 20 periods + 1 s, or goes backwards; Interrupted
// when *stop becomes true.
PowerWindow measure_energy_window(PowerMeter& meter, const std::function<int64_t(double)>& step,
                                  double min_seconds, Clock& clock,
                                  const std::atomic<bool>* stop = nullptr);
PowerWindow measure_power_window(PowerMeter& meter, const Workload& workload, double min_seconds,
                                 Clock& clock, const std::atomic<bool>* stop = nullptr);
PowerWindow measure_idle_power(PowerMeter& meter, double min_seconds, Clock& clock,
                               const std::atomic<bool>* stop = nullptr);

// Median and interquartile range (linear interpolation between order statistics).
double median(std::vector<double> values);
double spread_pct(std::vector<double> values);  // IQR / median x 100; 0 for < 2 values

// The platform columns of a run: the device, the settings, this tool.
Platform make_platform(const Backend& backend, const RunSettings& settings, bool clocks_locked);

}  // namespace np
