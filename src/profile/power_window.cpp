// Power windows aligned to energy-counter updates (power_window.hpp).
#include "neuralpower/power_window.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "neuralpower/error.hpp"
#include "neuralpower/quiet_thread.hpp"

namespace np {
namespace {

// The energy counter as read at a known time; a change is dated at the middle between the
// read that saw the old value and the read that saw the new one.
struct Change {
  double time_s = 0;
  double energy_mj = 0;
};

double poll_interval(double period_s, double poll_s) {
  return poll_s > 0 ? poll_s : std::max(period_s / 50.0, 1e-4);
}

// Reads the counter and notices its changes.
class CounterWatch {
 public:
  CounterWatch(PowerMeter& meter, Clock& clock) : meter_(meter), clock_(clock) {
    value_ = read();
    read_time_ = clock_.now_s();
  }

  // The change seen by a read now, if the counter moved since the previous read.
  std::optional<Change> poll() {
    const double e = read();
    const double now = clock_.now_s();
    const double previous = read_time_;
    read_time_ = now;
    if (e == value_) return std::nullopt;
    if (e < value_) {
      throw Error("power meter '" + meter_.name() + "': energy counter went backwards (" +
                  std::to_string(value_) + " -> " + std::to_string(e) + " mJ)");
    }
    value_ = e;
    return Change{0.5 * (previous + now), e};
  }

 private:
  double read() {
    const std::optional<double> e = meter_.read_energy_mj();
    if (!e) throw Error("power meter '" + meter_.name() + "' gave no energy reading");
    if (!std::isfinite(*e)) {
      throw Error("power meter '" + meter_.name() + "' gave " + std::to_string(*e) + " mJ");
    }
    return *e;
  }

  PowerMeter& meter_;
  Clock& clock_;
  double value_ = 0;
  double read_time_ = 0;
};

std::optional<ClockRange> merge(std::optional<ClockRange> range, std::optional<double> mhz) {
  if (!mhz) return range;
  if (!range) return ClockRange{*mhz, *mhz};
  range->min_mhz = std::min(range->min_mhz, *mhz);
  range->max_mhz = std::max(range->max_mhz, *mhz);
  return range;
}

// Clock-event time per reason between two readings of the cumulative counters. A difference
// that is negative or longer than the window itself is not such a counter (or it was reset):
// left out rather than recorded wrong.
std::map<std::string, double> throttle_between(const MeterReadings& start, const MeterReadings& end,
                                               double window_s) {
  std::map<std::string, double> ms;
  for (const auto& [reason, end_ns] : end.clock_event_ns) {
    const auto it = start.clock_event_ns.find(reason);
    if (it == start.clock_event_ns.end()) continue;
    const double delta_ns = end_ns - it->second;
    if (delta_ns < 0 || delta_ns > window_s * 1e9 * 1.05 + 1e6) continue;
    ms[reason] = delta_ns / 1e6;
  }
  return ms;
}

}  // namespace

CounterPeriod measure_counter_period(PowerMeter& meter, Clock& clock, int intervals,
                                     double max_seconds, const std::atomic<bool>* stop) {
  if (!meter.available()) throw Error("power meter '" + meter.name() + "': " + meter.status());
  const double poll = poll_interval(std::max(meter.update_period_ms(), 0.1) / 1e3, 0);
  CounterWatch watch(meter, clock);
  const double started = clock.now_s();
  std::vector<double> changes;
  while (static_cast<int>(changes.size()) <= intervals && clock.now_s() - started < max_seconds) {
    check_stop(stop);
    clock.sleep_s(poll);
    if (const auto change = watch.poll()) changes.push_back(change->time_s);
  }
  // The first change ends an interval that began before the first read: not an interval.
  if (changes.size() < 3) {
    throw Error("power meter '" + meter.name() + "': energy counter changed " +
                std::to_string(changes.size()) + " times in " + std::to_string(max_seconds) +
                " s, too few to tell its period");
  }
  std::vector<double> gaps;
  for (size_t i = 1; i < changes.size(); ++i) gaps.push_back(changes[i] - changes[i - 1]);
  CounterPeriod period;
  period.period_s = median(gaps);
  period.spread_pct = spread_pct(gaps);
  period.intervals = static_cast<int>(gaps.size());
  return period;
}

std::vector<SlotMeasurement> measure_windows(PowerMeter& meter, WindowDriver& driver,
                                             const std::vector<WindowSlot>& schedule,
                                             const WindowOptions& options, Clock& clock,
                                             const std::atomic<bool>* stop) {
  if (!meter.available()) throw Error("power meter '" + meter.name() + "': " + meter.status());
  if (!(options.period_s > 0)) {
    throw Error("power window: counter period must be positive, got " +
                std::to_string(options.period_s) + " s");
  }
  const double poll = poll_interval(options.period_s, options.poll_s);
  const double timeout_s = 20 * options.period_s + 1.0;
  CounterWatch watch(meter, clock);

  // The next change of the counter while slot `slot` runs; nullopt once its member failed.
  auto next_change = [&](size_t slot) -> std::optional<Change> {
    const double since = clock.now_s();
    for (;;) {
      check_stop(stop);
      driver.wait(poll);
      if (const auto change = watch.poll()) return change;
      if (!driver.failure(slot).empty()) return std::nullopt;
      if (clock.now_s() - since > timeout_s) {
        throw Error("power meter '" + meter.name() + "': energy counter did not change in " +
                    std::to_string(timeout_s) + " s");
      }
    }
  };

  std::vector<SlotMeasurement> results(schedule.size());
  std::optional<Change> last_update;  // the update that closed the previous slot's window
  for (size_t k = 0; k < schedule.size(); ++k) {
    const WindowSlot& slot = schedule[k];
    SlotMeasurement& r = results[k];
    r.member = slot.member;
    r.recorded = slot.record;
    driver.select(k, slot.member);
    // The settle period: whole periods of this member before the window opens (plus the rest
    // of the period under way when the switch did not happen at an update).
    std::optional<Change> open = last_update;
    const int discard = std::max(options.settle_periods, 0) + (last_update ? 0 : 1);
    last_update.reset();
    for (int i = 0; i < discard; ++i) {
      open = next_change(k);
      if (!open) break;
    }
    if (!open) {
      r.failure = driver.failure(k);
      continue;
    }
    r.start = meter.read();
    (void)meter.take_sm_clock_range();  // only the samples taken inside the window count
    driver.measuring(true);
    std::vector<Change> changes{*open};
    const int periods = std::max(slot.periods, 1);
    for (int i = 0; i < periods; ++i) {
      const auto change = next_change(k);
      if (!change) break;
      changes.push_back(*change);
    }
    driver.measuring(false);
    if (changes.size() != static_cast<size_t>(periods) + 1) {
      r.failure = driver.failure(k);
      continue;
    }
    last_update = changes.back();
    r.end = meter.read();
    r.periods = periods;
    r.window_s = changes.back().time_s - changes.front().time_s;
    r.energy_mj = changes.back().energy_mj - changes.front().energy_mj;
    r.power_w = r.energy_mj / 1e3 / r.window_s;
    std::vector<double> per_period;
    for (size_t i = 1; i < changes.size(); ++i) {
      const double length = changes[i].time_s - changes[i - 1].time_s;
      if (length > 0) {
        per_period.push_back((changes[i].energy_mj - changes[i - 1].energy_mj) / 1e3 / length);
      }
    }
    if (per_period.size() >= 4) r.power_spread_pct = spread_pct(per_period);
    r.sm_clock =
        merge(merge(meter.take_sm_clock_range(), r.start.sm_clock_mhz), r.end.sm_clock_mhz);
    r.throttle_ms = throttle_between(r.start, r.end, r.window_s);
    r.run_ms = driver.samples(k);
  }
  return results;
}

BatchedWorkload calibrate(BatchedWorkload w, double batch_ms) {
  // Two single runs warm up (the first can include lazy set-up), then one batch of the size
  // they suggest checks the estimate.
  (void)w.timed_runs(1);
  double per_run = w.timed_runs(1);
  if (!std::isfinite(per_run) || per_run < 0) {
    throw Error("the backend reported " + std::to_string(per_run) + " ms for one run");
  }
  if (per_run <= 0) {
    w.run_ms = 0;
    w.runs_per_batch = 1;
    return w;
  }
  auto runs_for = [batch_ms](double ms) {
    return static_cast<int64_t>(std::clamp(std::ceil(batch_ms / ms), 1.0, 1e6));
  };
  int64_t runs = runs_for(per_run);
  if (runs > 1) {
    const double ms = w.timed_runs(static_cast<int>(runs));
    if (std::isfinite(ms) && ms > 0) {
      per_run = ms / static_cast<double>(runs);
      runs = runs_for(per_run);
    }
  }
  w.run_ms = per_run;
  w.runs_per_batch = runs;
  return w;
}

BatchedWorkload batched_workload_of(PreparedLayer& layer, double batch_ms) {
  BatchedWorkload w;
  w.run_batches = [&layer](int64_t runs, const BatchCallback& on_batch) {
    layer.run_batches(runs, on_batch);
  };
  w.timed_runs = [&layer](int n) { return layer.timed_runs(n); };
  return calibrate(std::move(w), batch_ms);
}

BatchedWorkload batched_workload_of(PreparedNetwork& network, double batch_ms) {
  BatchedWorkload w;
  w.run_batches = [&network](int64_t runs, const BatchCallback& on_batch) {
    network.run_batches(runs, on_batch);
  };
  w.timed_runs = [&network](int n) { return network.timed_runs(n); };
  return calibrate(std::move(w), batch_ms);
}

ThreadedWindowDriver::ThreadedWindowDriver(std::vector<BatchedWorkload> members, Clock& clock)
    : members_(std::move(members)), clock_(clock), thread_([this] { work(); }) {}

ThreadedWindowDriver::~ThreadedWindowDriver() {
  done_.store(true);
  generation_.fetch_add(1);
  if (thread_.joinable()) thread_.join();
}

void ThreadedWindowDriver::select(size_t slot, size_t member) {
  std::lock_guard<std::mutex> lock(mutex_);
  slot_ = slot;
  member_ = member;
  slot_members_[slot] = member;
  generation_.fetch_add(1);
}

void ThreadedWindowDriver::wait(double seconds) {
  clock_.sleep_s(seconds);
  std::lock_guard<std::mutex> lock(mutex_);
  if (lost_) std::rethrow_exception(lost_);
}

std::vector<double> ThreadedWindowDriver::samples(size_t slot) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = samples_.find(slot);
  return it == samples_.end() ? std::vector<double>{} : it->second;
}

std::string ThreadedWindowDriver::failure(size_t slot) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto member = slot_members_.find(slot);
  if (member == slot_members_.end()) return {};
  const auto it = failures_.find(member->second);
  return it == failures_.end() ? std::string() : it->second;
}

void ThreadedWindowDriver::work() {
  // Started by the quiet measuring thread, the worker inherits its FIFO priority and its one
  // CPU; a CUDA event wait spins, so at equal priority on that CPU the thread that polls the
  // energy counter would never run again.
  leave_quiet_scheduling();
  while (!done_.load()) {
    size_t slot = 0, member = kIdleMember;
    uint64_t generation = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slot = slot_;
      member = member_;
      generation = generation_.load();
      if (lost_ || failures_.count(member)) member = kIdleMember;
    }
    if (member == kIdleMember) {
      // Idle: nothing runs; the worker looks again soon for the next slot.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    const BatchedWorkload& w = members_[member];
    try {
      w.run_batches(w.runs_per_batch, [&](double ms) {
        if (measuring_.load() && generation_.load() == generation) {
          std::lock_guard<std::mutex> lock(mutex_);
          samples_[slot].push_back(ms / static_cast<double>(w.runs_per_batch));
        }
        return !done_.load() && generation_.load() == generation;
      });
    } catch (const DeviceLost& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      lost_ = std::current_exception();
      failures_[member] = failure_reason(e);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      failures_[member] = failure_reason(e);
    }
  }
}

int window_periods_for(const BatchedWorkload& workload, const GroupOptions& options,
                       double period_s) {
  const double batch_s = workload.run_ms * static_cast<double>(workload.runs_per_batch) / 1e3;
  const double wanted_s =
      std::max(options.min_window_s, static_cast<double>(options.min_batches) * batch_s);
  const int periods = static_cast<int>(std::ceil(wanted_s / period_s - 1e-9));
  return std::max({options.window_periods, periods, 1});
}

std::vector<WindowSlot> group_schedule(const std::vector<BatchedWorkload>& members,
                                       const GroupOptions& options, double period_s,
                                       bool first_group) {
  std::vector<size_t> order(members.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Shuffled so that no layer always follows the same one (what runs before a window leaves
  // heat and clocks behind); a fixed mt19937_64 walk, so a seed gives one order everywhere.
  std::mt19937_64 random(options.seed + members.size());
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[static_cast<size_t>(random() % i)]);
  }
  std::vector<WindowSlot> schedule;
  const int idle_periods = std::max(
      options.window_periods, static_cast<int>(std::ceil(options.min_window_s / period_s - 1e-9)));
  schedule.push_back({kIdleMember, idle_periods, true});
  if (order.empty()) return schedule;
  const double preheat = first_group ? options.preheat_first_s : options.preheat_s;
  if (preheat > 0) {
    schedule.push_back({order.front(),
                        std::max(1, static_cast<int>(std::ceil(preheat / period_s - 1e-9))),
                        false});
  }
  for (size_t member : order) {
    schedule.push_back({member, window_periods_for(members[member], options, period_s), true});
  }
  return schedule;
}

GroupMeasurement measure_group(PowerMeter& meter, const std::vector<BatchedWorkload>& members,
                               const GroupOptions& options, double period_s, bool first_group,
                               Clock& clock, const std::atomic<bool>* stop) {
  const std::vector<WindowSlot> schedule = group_schedule(members, options, period_s, first_group);
  ThreadedWindowDriver driver(members, clock);
  WindowOptions window;
  window.period_s = period_s;
  window.settle_periods = options.settle_periods;
  std::vector<SlotMeasurement> slots =
      measure_windows(meter, driver, schedule, window, clock, stop);
  GroupMeasurement group;
  group.members.resize(members.size());
  for (size_t k = 0; k < slots.size(); ++k) {
    if (!slots[k].recorded) continue;
    if (slots[k].member == kIdleMember) {
      group.idle = std::move(slots[k]);
    } else {
      group.members[slots[k].member] = std::move(slots[k]);
    }
  }
  return group;
}

}  // namespace np
