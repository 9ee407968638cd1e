// Runtime trials and aligned power windows (docs/profiling.md, "Measurement").
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <thread>

#include "neuralpower/error.hpp"
#include "neuralpower/measurement.hpp"
#include "neuralpower/quiet_thread.hpp"
#include "neuralpower/version.hpp"

namespace np {
namespace {

class SteadyClock final : public Clock {
 public:
  double now_s() override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void sleep_s(double seconds) override {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
};

// Linear interpolation between order statistics (R's type 7, numpy's default).
double quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

double checked_ms(double ms, int iterations) {
  if (!std::isfinite(ms) || ms < 0) {
    throw Error("the backend reported " + std::to_string(ms) + " ms for " +
                std::to_string(iterations) + " runs");
  }
  return ms;
}

// Iterations per trial are capped so that a layer timed as 0 ms (a coarse clock) cannot ask
// for an endless trial.
constexpr int64_t kMaxIterations = int64_t{1} << 20;

struct Trials {
  std::vector<double> per_run_ms;
  double spread = 0;
};

// One workload while it is measured.
struct Measuring {
  const Workload* workload = nullptr;
  int64_t iterations = 1;
  double per_run_ms = 0;  // from the calibration
  int redo_left = 0;
  RuntimeStats stats;
  Trials current, best;
  std::exception_ptr failure;
};

// Warm-up (caches, clocks and lazily built kernels settle; at least one run, which also tells
// how long one run takes), then enough iterations per trial that a trial lasts min_trial_ms,
// checked once, since the first runs can be slower or faster than the steady state.
void calibrate(Measuring& m, const MeasureOptions& options, const std::atomic<bool>* stop) {
  const Workload& w = *m.workload;
  double fastest = 0;
  double spent_ms = 0;
  for (int i = 0; i < std::max(options.warmup, 1); ++i) {
    check_stop(stop);
    const double ms = checked_ms(w.timed_runs(1), 1);
    fastest = i == 0 ? ms : std::min(fastest, ms);
    spent_ms += ms;
    if (spent_ms > options.max_warmup_s * 1e3) break;
  }
  auto iterations_for = [&](double per_run_ms) {
    if (per_run_ms <= 0) return kMaxIterations;
    return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(options.min_trial_ms / per_run_ms)),
                               1, kMaxIterations);
  };
  m.per_run_ms = fastest;
  m.iterations = iterations_for(fastest);
  if (m.iterations > 1) {
    check_stop(stop);
    const int n = static_cast<int>(m.iterations);
    const double ms = checked_ms(w.timed_runs(n), n);
    m.per_run_ms = ms / n;
    if (ms < 0.5 * options.min_trial_ms) m.iterations = iterations_for(ms / n);
  }
}

// Warm runs before an interleaved trial: about a millisecond's worth, so that the caches hold
// this workload again after the others ran, without doubling the cost of long runs.
constexpr double kRewarmMs = 1.0;

void take_trial(Measuring& m, bool interleaved, const std::atomic<bool>* stop) {
  check_stop(stop);
  const Workload& w = *m.workload;
  const int n = static_cast<int>(m.iterations);
  if (interleaved) {
    const int warm = static_cast<int>(std::clamp<int64_t>(
        m.per_run_ms > 0 ? static_cast<int64_t>(std::ceil(kRewarmMs / m.per_run_ms)) : n, 1, n));
    checked_ms(w.timed_runs(warm), warm);
  }
  const double ms = monitored_trial([&] { return checked_ms(w.timed_runs(n), n); }, w.monitor,
                                    m.redo_left, m.stats);
  m.current.per_run_ms.push_back(ms / n);
}

// The energy counter as read at a known time.
struct CounterSample {
  double time_s = 0;
  double energy_mj = 0;
};

double energy_of(const MeterReadings& r, const PowerMeter& meter) {
  if (!r.energy_mj) throw Error("power meter '" + meter.name() + "' gave no energy reading");
  if (!std::isfinite(*r.energy_mj))
    throw Error("power meter '" + meter.name() + "' gave " + std::to_string(*r.energy_mj) + " mJ");
  return *r.energy_mj;
}

// Runs a workload back to back on its own thread until finished.
class BackgroundRunner {
 public:
  explicit BackgroundRunner(const Workload& workload)
      : thread_([this, &workload] {
          leave_quiet_scheduling();
          try {
            while (!done_.load()) iterations_ += workload.run_for(kChunkSeconds);
          } catch (...) {
            failure_ = std::current_exception();
            failed_.store(true);
          }
        }) {}
  ~BackgroundRunner() { finish(); }
  BackgroundRunner(const BackgroundRunner&) = delete;
  BackgroundRunner& operator=(const BackgroundRunner&) = delete;

  int64_t take_iterations() { return iterations_.exchange(0); }
  void rethrow_failure() {
    if (failed_.load()) {
      finish();
      std::rethrow_exception(failure_);
    }
  }
  void finish() {
    done_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  // Long enough that the gaps between calls (a launch, a final synchronisation) are a small
  // fraction of the time; short enough that the runner stops soon after the window closes.
  static constexpr double kChunkSeconds = 0.05;
  std::atomic<bool> done_{false};
  std::atomic<bool> failed_{false};
  std::atomic<int64_t> iterations_{0};
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace

void check_stop(const std::atomic<bool>* stop) {
  if (stop && stop->load()) throw Interrupted();
}

Clock& steady_clock() {
  static SteadyClock clock;
  return clock;
}

double median(std::vector<double> values) {
  if (values.empty()) throw Error("median of no values");
  std::sort(values.begin(), values.end());
  return quantile(values, 0.5);
}

double spread_pct(std::vector<double> values) {
  if (values.size() < 2) return 0;
  std::sort(values.begin(), values.end());
  const double mid = quantile(values, 0.5);
  if (mid <= 0) return 0;
  return 100.0 * (quantile(values, 0.75) - quantile(values, 0.25)) / mid;
}

Workload workload_of(PreparedLayer& layer) {
  return {[&layer](int n) { return layer.timed_runs(n); },
          [&layer](double s) { return layer.run_for(s); }};
}

Workload workload_of(PreparedNetwork& net) {
  return {[&net](int n) { return net.timed_runs(n); }, [&net](double s) { return net.run_for(s); }};
}

double monitored_trial(const std::function<double()>& trial, TrialMonitor* monitor, int& redo_left,
                       RuntimeStats& stats) {
  for (;;) {
    if (monitor) monitor->begin();
    const double ms = trial();
    const std::string reason = monitor ? monitor->end() : std::string();
    if (reason.empty()) return ms;
    stats.disturbance = reason;
    if (redo_left > 0) {
      --redo_left;
      ++stats.trials_redone;
      continue;
    }
    ++stats.trials_disturbed;
    return ms;
  }
}

std::vector<RuntimeResult> measure_runtimes(const std::vector<Workload>& workloads,
                                            const MeasureOptions& options,
                                            const std::atomic<bool>* stop) {
  if (options.trials < 1)
    throw Error("trials must be at least 1, got " + std::to_string(options.trials));
  std::vector<Measuring> all(workloads.size());
  const bool interleaved = workloads.size() > 1;
  // Runs `body` for one workload, keeping its failure; an interruption ends everything.
  auto guarded = [](Measuring& m, auto&& body) {
    if (m.failure) return;
    try {
      body();
    } catch (const Interrupted&) {
      throw;
    } catch (...) {
      m.failure = std::current_exception();
    }
  };
  for (size_t i = 0; i < workloads.size(); ++i) {
    all[i].workload = &workloads[i];
    all[i].redo_left = std::max(options.max_trials_redone, 0);
    guarded(all[i], [&] { calibrate(all[i], options, stop); });
  }
  // One set of trials for each of `which`, taken in turns.
  auto run_set = [&](const std::vector<size_t>& which) {
    for (size_t i : which) all[i].current = Trials{};
    for (int t = 0; t < options.trials; ++t) {
      for (size_t i : which) guarded(all[i], [&] { take_trial(all[i], interleaved, stop); });
    }
    for (size_t i : which) all[i].current.spread = spread_pct(all[i].current.per_run_ms);
  };
  std::vector<size_t> live;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!all[i].failure) live.push_back(i);
  }
  run_set(live);
  std::vector<size_t> unsteady;
  for (size_t i : live) {
    if (all[i].failure) continue;
    all[i].best = std::move(all[i].current);
    if (all[i].best.spread > options.max_spread_pct && options.trials >= 4) unsteady.push_back(i);
  }
  if (!unsteady.empty()) {
    // Something else was running or the clocks moved: take the trials once more and keep the
    // steadier set (the spread recorded with the row says how steady it was).
    run_set(unsteady);
    for (size_t i : unsteady) {
      if (!all[i].failure && all[i].current.spread < all[i].best.spread) {
        all[i].best = std::move(all[i].current);
      }
    }
  }
  std::vector<RuntimeResult> results(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    Measuring& m = all[i];
    if (m.failure) {
      results[i].failure = m.failure;
      continue;
    }
    RuntimeStats& stats = results[i].stats;
    stats = m.stats;
    stats.median_ms = median(m.best.per_run_ms);
    stats.spread_pct = m.best.spread;
    stats.trials = options.trials;
    stats.iterations_per_trial = m.iterations;
  }
  return results;
}

RuntimeStats measure_runtime(const Workload& w, const MeasureOptions& options,
                             const std::atomic<bool>* stop) {
  std::vector<RuntimeResult> results = measure_runtimes({w}, options, stop);
  if (results[0].failure) std::rethrow_exception(results[0].failure);
  return results[0].stats;
}

PowerWindow measure_energy_window(PowerMeter& meter, const std::function<int64_t(double)>& step,
                                  double min_seconds, Clock& clock, const std::atomic<bool>* stop) {
  if (!meter.available()) throw Error("power meter '" + meter.name() + "': " + meter.status());
  const double period_s = std::max(meter.update_period_ms(), 0.1) / 1e3;
  // Reads many times per counter period so that each end of the window is known to a small
  // fraction of a period; a change is dated at the middle between the read that saw the old
  // value and the read that saw the new one.
  const double step_s = std::max(period_s / 20.0, 5e-4);
  const double timeout_s = 20 * period_s + 1.0;

  MeterReadings reading = meter.read();
  double value = energy_of(reading, meter);
  double read_time = clock.now_s();
  double longest_step = 0;
  int64_t iterations = 0;

  // Runs one step and reads the counter; returns the change time if the counter moved.
  auto advance = [&]() -> std::optional<CounterSample> {
    check_stop(stop);
    const double before = clock.now_s();
    const int64_t ran = step(step_s);
    reading = meter.read();
    const double now = clock.now_s();
    longest_step = std::max(longest_step, now - before);
    const double e = energy_of(reading, meter);
    const double previous_time = read_time;
    read_time = now;
    if (e == value) {
      iterations += ran;
      return std::nullopt;
    }
    if (e < value) {
      throw Error("power meter '" + meter.name() + "': energy counter went backwards (" +
                  std::to_string(value) + " -> " + std::to_string(e) + " mJ)");
    }
    value = e;
    iterations += ran;
    return CounterSample{0.5 * (previous_time + now), e};
  };

  // Start: the first change of the counter, with the device already busy.
  std::optional<CounterSample> start;
  const double wait_start = clock.now_s();
  while (!(start = advance())) {
    if (clock.now_s() - wait_start > timeout_s) {
      throw Error("power meter '" + meter.name() + "': energy counter did not change in " +
                  std::to_string(timeout_s) + " s");
    }
  }
  iterations = 0;  // runs before the window opened do not count
  std::vector<CounterSample> changes{*start};
  const double max_window_s = std::max(10 * min_seconds, 60.0);
  for (;;) {
    const auto change = advance();
    const double elapsed = clock.now_s() - start->time_s;
    if (change) {
      changes.push_back(*change);
      const double length = change->time_s - start->time_s;
      const double wanted =
          std::min(std::max({min_seconds, 5 * period_s, 40 * longest_step}), max_window_s);
      if (length >= wanted) break;
    } else if (elapsed - (changes.back().time_s - start->time_s) > timeout_s) {
      throw Error("power meter '" + meter.name() + "': energy counter stopped changing");
    }
  }

  PowerWindow w;
  const CounterSample& end = changes.back();
  w.window_s = end.time_s - start->time_s;
  w.energy_mj = end.energy_mj - start->energy_mj;
  w.power_w = w.energy_mj / 1e3 / w.window_s;
  w.iterations = iterations;
  w.last = reading;
  // The spread over ~10 sub-windows of whole counter periods.
  std::vector<double> powers;
  const double sub_window = std::max(w.window_s / 10.0, period_s);
  size_t from = 0;
  for (size_t i = 1; i < changes.size(); ++i) {
    const double length = changes[i].time_s - changes[from].time_s;
    if (length >= sub_window * 0.999 || i + 1 == changes.size()) {
      if (length > 0) {
        powers.push_back((changes[i].energy_mj - changes[from].energy_mj) / 1e3 / length);
      }
      from = i;
    }
  }
  if (powers.size() >= 4) w.spread_pct = spread_pct(powers);
  return w;
}

PowerWindow measure_power_window(PowerMeter& meter, const Workload& workload, double min_seconds,
                                 Clock& clock, const std::atomic<bool>* stop) {
  // The workload runs on a worker thread without pause while this thread watches the counter:
  // had the runs and the reads alternated on one thread, the device would idle during every
  // read (an NVML call can take a good part of a millisecond) and the power would come out low.
  BackgroundRunner runner(workload);
  PowerWindow w = measure_energy_window(
      meter,
      [&](double seconds) {
        clock.sleep_s(seconds);
        runner.rethrow_failure();
        return runner.take_iterations();
      },
      min_seconds, clock, stop);
  runner.finish();
  return w;
}

PowerWindow measure_idle_power(PowerMeter& meter, double min_seconds, Clock& clock,
                               const std::atomic<bool>* stop) {
  return measure_energy_window(
      meter,
      [&clock](double seconds) {
        clock.sleep_s(seconds);
        return int64_t{0};
      },
      min_seconds, clock, stop);
}

Platform make_platform(const Backend& backend, const RunSettings& settings, bool clocks_locked) {
  const DeviceInfo device = backend.device();
  Platform p;
  p.device = backend.run_device_name(settings);
  p.backend = device.backend;
  p.dtype = std::string(to_string(settings.dtype));
  p.math_mode = backend.math_mode(settings);
  p.driver = device.driver;
  p.runtime_version = device.runtime_version;
  p.library_version = device.library_version;
  p.tool_version = std::string(kVersion);
  p.clocks_locked = clocks_locked ? "yes" : "no";
  return p;
}

}  // namespace np
