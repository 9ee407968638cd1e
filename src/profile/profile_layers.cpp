// The `profile layers` loop: measure each configuration of a plan, append its row.
#include <cmath>
#include <cstdio>
#include <ostream>

#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/layer_groups.hpp"
#include "neuralpower/profile_layers.hpp"
#include "neuralpower/utc_time.hpp"

namespace np {
namespace {

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  } else if (s >= 60) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(s));
  }
  return buffer;
}

std::string short_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

}  // namespace

LayerMeasurement measure_layer(Backend& backend, PowerMeter& meter, const LayerConfig& config,
                               const ProfileLayersOptions& options, const Platform& platform,
                               std::optional<double> idle_power_w) {
  Clock& clock = options.clock ? *options.clock : steady_clock();
  LayerMeasurement m;
  m.kind = config.kind;
  m.config = config.config;
  m.source_network = config.source_network;
  m.source_layer = config.source_layer;
  m.platform = platform;
  m.idle_power_w = idle_power_w;
  try {
    m.features = named_features(config.net, config.layer_id());
    auto prepared = backend.prepare(config.net, config.layer_id(), options.run);
    m.algorithm = one_line(prepared->algorithm());
    const LayerRunInfo info = prepared->run_info();
    m.math_type = info.math_type;
    m.graph_copies = info.graph_copies;
    const Workload workload = workload_of(*prepared);
    const RuntimeStats stats = measure_runtime(workload, options.measure, options.stop);
    m.runtime_ms = stats.median_ms;
    m.runtime_spread_pct = stats.spread_pct;
    m.trials = stats.trials;
    if (meter.available()) {
      try {
        const PowerWindow w = measure_power_window(meter, workload, options.measure.power_window_s,
                                                   clock, options.stop);
        m.power_w = w.power_w;
        m.power_spread_pct = w.spread_pct;
        m.energy_mj = w.power_w * stats.median_ms;  // W x ms = mJ
        m.window_s = w.window_s;
        m.sm_clock_mhz = w.last.sm_clock_mhz;
        m.mem_clock_mhz = w.last.mem_clock_mhz;
        m.temperature_c = w.last.temperature_c;
        m.power_limit_w = w.last.power_limit_w;
        m.throttle_reasons = one_line(w.last.throttle_reasons);
        m.power_status = "ok";
      } catch (const DeviceLost&) {
        throw;
      } catch (const Error& e) {
        // The runtime stands; the power of this row stays missing, and the log says why.
        m.power_status = one_line(std::string("failed: ") + e.what());
        if (options.log)
          *options.log << "  no power for " << config.config << ": " << e.what() << "\n";
      }
    }
  } catch (const Interrupted&) {
    throw;
  } catch (const DeviceLost&) {
    throw;
  } catch (const std::exception& e) {
    m.failed = true;
    m.failure_reason = failure_reason(e);
  }
  if (m.failed) {
    m.runtime_ms.reset();
    m.runtime_spread_pct.reset();
    m.trials = 0;
    m.power_w.reset();
    m.energy_mj.reset();
    m.power_status.clear();
  }
  m.date = utc_now_iso8601();
  return m;
}

ProfileLayersResult profile_layers(Backend& backend, PowerMeter& meter,
                                   const std::vector<LayerConfig>& plan, DatasetAppender& out,
                                   const ProfileLayersOptions& options) {
  Clock& clock = options.clock ? *options.clock : steady_clock();
  const double started = clock.now_s();
  ProfileLayersResult result;
  result.planned = static_cast<int64_t>(plan.size());
  std::vector<const LayerConfig*> todo;
  for (const auto& c : plan) {
    if (out.done(c.config)) {
      ++result.already_done;
    } else {
      result.retried += out.contains(c.config) ? 1 : 0;
      todo.push_back(&c);
    }
  }
  const Platform platform = make_platform(backend, options.run, options.clocks_locked);
  out.check_platform(platform);
  std::ostream* log = options.log;
  if (log) {
    *log << "plan: " << result.planned << " configurations, " << result.already_done
         << " already in " << out.path() << ", " << todo.size() << " to measure";
    if (result.retried > 0) {
      *log << " (" << result.retried << " again: an error or a failed power window before)";
    }
    *log << "\n";
  }
  const bool use_power = meter.available() && !options.runtime_only;
  const bool in_groups = use_power && options.groups.group_size > 0;
  std::string counter_failure;  // why the groups' windows cannot run: rows retried on resume
  if (in_groups && !todo.empty()) {
    try {
      result.counter = measure_counter_period(meter, clock, 10, 5.0, options.stop);
      if (log) {
        *log << "energy counter: updates every " << short_number(result.counter->period_s * 1e3)
             << " ms (median of " << result.counter->intervals << " intervals, spread "
             << short_number(result.counter->spread_pct) << "%)\n";
      }
    } catch (const Interrupted&) {
      result.interrupted = true;
      result.remaining = static_cast<int64_t>(todo.size());
      return result;
    } catch (const Error& e) {
      counter_failure = one_line(std::string("energy counter period: ") + e.what());
      if (log) *log << "runtime only: " << counter_failure << "\n";
    }
  }
  if (use_power && !in_groups && !todo.empty()) {
    try {
      const PowerWindow idle =
          measure_idle_power(meter, options.measure.power_window_s, clock, options.stop);
      result.idle_power_w = idle.power_w;
      if (log) {
        *log << "idle power: " << short_number(idle.power_w) << " W over "
             << short_number(idle.window_s) << " s (" << meter.name() << ")\n";
      }
    } catch (const Interrupted&) {
      result.interrupted = true;
      result.remaining = static_cast<int64_t>(todo.size());
      return result;
    } catch (const Error& e) {
      if (log) *log << "no idle power: " << e.what() << "\n";
    }
  }
  result.power_measured = use_power && (!in_groups || result.counter);
  const auto runtime_only = make_null_power_meter("runtime only");

  const double measuring_since = clock.now_s();
  auto log_row = [&](const LayerMeasurement& m, size_t i) {
    if (!log) return;
    const double elapsed = clock.now_s() - measuring_since;
    const double rate = static_cast<double>(i + 1) / std::max(elapsed, 1e-9);
    const double eta = static_cast<double>(todo.size() - i - 1) / rate;
    const int64_t done = result.already_done + static_cast<int64_t>(i) + 1;
    *log << "[" << done << "/" << result.planned << "] " << m.config << ": ";
    if (m.failed) {
      *log << "FAILED (" << m.failure_reason << ")";
    } else {
      *log << short_number(*m.runtime_ms) << " ms +-" << short_number(*m.runtime_spread_pct) << "%";
      if (m.power_w) *log << ", " << short_number(*m.power_w) << " W";
    }
    *log << " | " << short_number(rate * 60) << " configs/min, ETA " << duration_text(eta) << "\n";
    log->flush();
  };
  bool first_group = true;
  for (size_t i = 0; i < todo.size();) {
    if (options.stop && options.stop->load()) {
      result.interrupted = true;
      result.remaining = static_cast<int64_t>(todo.size() - i);
      return result;
    }
    if (options.budget_seconds > 0 && clock.now_s() - started >= options.budget_seconds) {
      result.budget_reached = true;
      result.remaining = static_cast<int64_t>(todo.size() - i);
      return result;
    }
    const bool power_now =
        result.power_measured &&
        (options.power_seconds <= 0 || clock.now_s() - started < options.power_seconds);
    std::vector<LayerMeasurement> rows;
    try {
      if (power_now && in_groups) {
        const size_t n = std::min(static_cast<size_t>(options.groups.group_size), todo.size() - i);
        const std::vector<const LayerConfig*> group(todo.begin() + static_cast<ptrdiff_t>(i),
                                                    todo.begin() + static_cast<ptrdiff_t>(i + n));
        rows = measure_layer_group(backend, meter, group, options, platform,
                                   result.counter->period_s, first_group);
        first_group = false;
      } else {
        rows.push_back(measure_layer(backend, power_now ? meter : *runtime_only, *todo[i], options,
                                     platform, result.idle_power_w));
        LayerMeasurement& m = rows.back();
        if (!m.failed && m.power_status.empty()) {
          m.power_status = !counter_failure.empty() ? "failed: " + counter_failure
                           : meter.available()      ? "runtime only"
                                                    : "no meter";
        }
      }
    } catch (const Interrupted&) {
      // The configurations under way are abandoned: no partial row.
      result.interrupted = true;
      result.remaining = static_cast<int64_t>(todo.size() - i);
      return result;
    } catch (const DeviceLost& e) {
      // Every later call would fail too: stop, and write nothing for what was not measured.
      result.device_lost = one_line(e.what());
      result.remaining = static_cast<int64_t>(todo.size() - i);
      return result;
    }
    for (const LayerMeasurement& m : rows) {
      out.append(m);
      ++result.measured;
      if (m.failed) ++result.failed;
      if (m.power_w) ++result.power_rows;
      log_row(m, i);
      ++i;
    }
  }
  return result;
}

}  // namespace np
