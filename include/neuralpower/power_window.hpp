#pragma once
// Power windows aligned to energy-counter updates, for workloads measured back to back
// (docs/cuda-backend.md, "Fast power windows"):
//
//   period   the counter's update period is measured at the start of a run, not assumed;
//   settle   after the device switches to a workload, one whole counter period is discarded
//            (the update that ends it may still hold energy of what ran before);
//   window   N whole counter periods, from one update to the N-th after it, with only the
//            energy counter polled in between; the device's state (clocks, temperature,
//            throttle counters) is read at both ends;
//   switch   the next workload starts at the update that closes a window;
//   runtime  the workload runs in batches timed the device's way (CUDA events), and the
//            batches that end inside the window give the runtime (median, IQR), so that
//            runtime and power share one thermal state.
//
// The logic (measure_windows) is single-threaded over a WindowDriver: on a device the
// workloads run on a worker thread (ThreadedWindowDriver); the tests drive a simulated device.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "neuralpower/backend.hpp"
#include "neuralpower/measurement.hpp"
#include "neuralpower/power_meter.hpp"
#include "neuralpower/seed.hpp"

namespace np {

struct CounterPeriod {
  double period_s = 0;    // median interval between counter changes
  double spread_pct = 0;  // IQR / median of the intervals
  int intervals = 0;      // intervals seen
};

// Polls the energy counter (every 1/50 of the meter's nominal period, at least 0.1 ms) until
// `intervals` intervals between changes have been seen or `max_seconds` have passed. Throws
// np::Error when the counter is missing or changes fewer than 3 times, Interrupted on a stop.
CounterPeriod measure_counter_period(PowerMeter& meter, Clock& clock, int intervals = 10,
                                     double max_seconds = 5.0,
                                     const std::atomic<bool>* stop = nullptr);

// The member a slot runs when nothing runs (idle power).
inline constexpr size_t kIdleMember = static_cast<size_t>(-1);

// What runs on the device while measure_windows watches the meter.
class WindowDriver {
 public:
  virtual ~WindowDriver() = default;
  // From now on the device runs `member` (kIdleMember: nothing) for slot `slot`.
  virtual void select(size_t slot, size_t member) = 0;
  // Batches completed while measuring count as runtime samples of the selected slot.
  virtual void measuring(bool on) = 0;
  // Lets about `seconds` pass while the device runs; rethrows DeviceLost from the device.
  virtual void wait(double seconds) = 0;
  // The per-run milliseconds of the batches counted for `slot`.
  virtual std::vector<double> samples(size_t slot) = 0;
  // Why the member of `slot` failed, empty while it has not.
  virtual std::string failure(size_t slot) = 0;
};

struct WindowSlot {
  size_t member = kIdleMember;
  int periods = 4;     // N: whole counter periods the window spans
  bool record = true;  // false: the device runs it (pre-heat, filler), nothing is measured
};

struct WindowOptions {
  double period_s = 0.1;  // the counter's update period (measure_counter_period)
  int settle_periods = 1;
  double poll_s = 0;  // 0: period / 50, at least 0.1 ms
};

struct SlotMeasurement {
  size_t member = kIdleMember;
  bool recorded = false;
  std::string failure;  // the member failed: nothing measured
  int periods = 0;
  double power_w = 0;  // delta E / delta t between the window's first and last update
  std::optional<double> power_spread_pct;  // IQR / median of the per-period powers (>= 4)
  double window_s = 0;
  double energy_mj = 0;
  std::vector<double> run_ms;                 // per-run ms of the batches inside the window
  MeterReadings start, end;                   // the device's state at the window's two ends
  std::optional<ClockRange> sm_clock;         // over the window: the meter's samples and ends
  std::map<std::string, double> throttle_ms;  // clock-event time per reason inside the window
};

// Runs the schedule slot after slot, switching at counter updates, and returns one entry per
// slot. Throws np::Error when the meter gives no energy, the counter stops changing (20
// periods + 1 s) or goes backwards; Interrupted when *stop becomes true; DeviceLost from the
// driver. A member that fails ends its slot at once (its entry names why).
std::vector<SlotMeasurement> measure_windows(PowerMeter& meter, WindowDriver& driver,
                                             const std::vector<WindowSlot>& schedule,
                                             const WindowOptions& options, Clock& clock,
                                             const std::atomic<bool>* stop = nullptr);

// A workload measured in batches of `runs_per_batch` runs (PreparedLayer::run_batches).
struct BatchedWorkload {
  std::function<void(int64_t, const BatchCallback&)> run_batches;
  std::function<double(int)> timed_runs;
  int64_t runs_per_batch = 1;
  double run_ms = 0;  // one run, as calibrated
};
// Calibrated so that one batch lasts about `batch_ms` (at least one run); run_ms = 0 for a
// workload where nothing runs.
BatchedWorkload batched_workload_of(PreparedLayer& layer, double batch_ms);
BatchedWorkload batched_workload_of(PreparedNetwork& network, double batch_ms);
BatchedWorkload calibrate(BatchedWorkload workload, double batch_ms);

// The members run on a worker thread, each in its batches until the slot changes; idle
// sleeps. Failures of a member are kept per slot; DeviceLost stops the worker and is
// rethrown by wait().
class ThreadedWindowDriver final : public WindowDriver {
 public:
  ThreadedWindowDriver(std::vector<BatchedWorkload> members, Clock& clock);
  ~ThreadedWindowDriver() override;
  ThreadedWindowDriver(const ThreadedWindowDriver&) = delete;
  ThreadedWindowDriver& operator=(const ThreadedWindowDriver&) = delete;

  void select(size_t slot, size_t member) override;
  void measuring(bool on) override { measuring_.store(on); }
  void wait(double seconds) override;
  std::vector<double> samples(size_t slot) override;
  std::string failure(size_t slot) override;

 private:
  void work();

  std::vector<BatchedWorkload> members_;
  Clock& clock_;
  std::mutex mutex_;
  size_t slot_ = 0;
  size_t member_ = kIdleMember;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> measuring_{false};
  std::atomic<bool> done_{false};
  std::map<size_t, std::vector<double>> samples_;  // by slot
  std::map<size_t, size_t> slot_members_;
  std::map<size_t, std::string> failures_;  // by member: a failed member stays failed
  std::exception_ptr lost_;
  std::thread thread_;
};

// Power measured in groups: workloads prepared together, then an idle window, a pre-heat
// and one window per workload in a shuffled order, switching at counter updates.
struct GroupOptions {
  int group_size = 24;         // workloads per group; 0: one aligned window per workload, as before
  int window_periods = 4;      // N (the spread check chooses it)
  int settle_periods = 1;      // discarded after each switch
  double min_window_s = 0.2;   // a window spans at least this long (RAPL updates every ~1 ms)
  int min_batches = 5;         // and at least this many of the workload's batches
  double batch_periods = 0.1;  // a batch lasts about this fraction of a counter period
  double preheat_first_s = 2.0;  // the device runs the first workload this long, unmeasured,
  double preheat_s = 0.3;        // before the first group's windows and before later groups'
  uint64_t seed = kDefaultSeed;  // of the order inside a group
};

// The counter periods a workload's window spans: N, or more for long runs and short periods.
int window_periods_for(const BatchedWorkload& workload, const GroupOptions& options,
                       double period_s);
// The group's schedule: idle (N periods), pre-heat, then each member once in a shuffled order.
std::vector<WindowSlot> group_schedule(const std::vector<BatchedWorkload>& members,
                                       const GroupOptions& options, double period_s,
                                       bool first_group);

struct GroupMeasurement {
  std::optional<SlotMeasurement> idle;
  std::vector<SlotMeasurement> members;  // in member order
};
// One group measured on a ThreadedWindowDriver (members already calibrated).
GroupMeasurement measure_group(PowerMeter& meter, const std::vector<BatchedWorkload>& members,
                               const GroupOptions& options, double period_s, bool first_group,
                               Clock& clock, const std::atomic<bool>* stop = nullptr);

}  // namespace np
