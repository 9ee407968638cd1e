// The `profile layers` loop: measure the configurations of a plan in interleaved groups, hold
// each group against the reference layers, append its rows.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <unordered_set>

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

LayerMeasurement first_cells(const LayerConfig& config, const Platform& platform,
                             std::optional<double> idle_power_w, const std::string& scheduling) {
  LayerMeasurement m;
  m.kind = config.kind;
  m.config = config.config;
  m.source_network = config.source_network;
  m.source_layer = config.source_layer;
  m.platform = platform;
  m.idle_power_w = idle_power_w;
  m.placement = Placement::isolated;
  m.scheduling = scheduling;
  return m;
}

void measure_power(PowerMeter& meter, const Workload& workload, LayerMeasurement& m,
                   const ProfileLayersOptions& options, Clock& clock) {
  try {
    const PowerWindow w =
        measure_power_window(meter, workload, options.measure.power_window_s, clock, options.stop);
    m.power_w = w.power_w;
    m.power_spread_pct = w.spread_pct;
    m.energy_mj = w.power_w * *m.runtime_ms;  // W x ms = mJ
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
    // The runtime stands; the power of this row stays missing (measured again on resume), and
    // the log says why.
    m.power_status = one_line(std::string("failed: ") + e.what());
    if (options.log) *options.log << "  no power for " << m.config << ": " << e.what() << "\n";
  }
}

struct GroupRows {
  std::vector<LayerMeasurement> rows;  // in group order
  bool disturbed = false;              // a row kept disturbed trials (max_trials_redone reached)
  std::string disturbance;
};

// The configurations of a group prepared together, their trials interleaved, then a power
// window each. Throws only Interrupted and DeviceLost.
GroupRows measure_interleaved(Backend& backend, PowerMeter& meter,
                              const std::vector<const LayerConfig*>& group,
                              const ProfileLayersOptions& options, const Platform& platform,
                              std::optional<double> idle_power_w, TrialMonitor* monitor) {
  Clock& clock = options.clock ? *options.clock : steady_clock();
  GroupRows out;
  std::vector<std::unique_ptr<PreparedLayer>> prepared(group.size());
  for (size_t i = 0; i < group.size(); ++i) {
    const LayerConfig& c = *group[i];
    out.rows.push_back(first_cells(c, platform, idle_power_w, options.scheduling));
    LayerMeasurement& m = out.rows.back();
    try {
      m.features = named_features(c.net, c.layer_id());
      prepared[i] = backend.prepare(c.net, c.layer_id(), options.run);
      m.algorithm = one_line(prepared[i]->algorithm());
      const LayerRunInfo info = prepared[i]->run_info();
      m.math_type = info.math_type;
      m.graph_copies = info.graph_copies;
    } catch (const Interrupted&) {
      throw;
    } catch (const DeviceLost&) {
      throw;
    } catch (const std::exception& e) {
      prepared[i].reset();
      mark_row_failed(m, failure_reason(e));
    }
  }
  std::vector<Workload> workloads;
  std::vector<size_t> row_of;
  for (size_t i = 0; i < group.size(); ++i) {
    if (!prepared[i]) continue;
    workloads.push_back(workload_of(*prepared[i]));
    workloads.back().monitor = monitor;
    row_of.push_back(i);
  }
  const std::vector<RuntimeResult> results =
      measure_runtimes(workloads, options.measure, options.stop);
  for (size_t k = 0; k < results.size(); ++k) {
    LayerMeasurement& m = out.rows[row_of[k]];
    if (results[k].failure) {
      try {
        std::rethrow_exception(results[k].failure);
      } catch (const DeviceLost&) {
        throw;
      } catch (const std::exception& e) {
        mark_row_failed(m, failure_reason(e));
      }
      prepared[row_of[k]].reset();
      continue;
    }
    const RuntimeStats& stats = results[k].stats;
    m.runtime_ms = stats.median_ms;
    m.runtime_spread_pct = stats.spread_pct;
    m.trials = stats.trials;
    m.trials_redone = stats.trials_redone;
    if (stats.trials_disturbed > 0) {
      out.disturbed = true;
      out.disturbance = m.config + ": " + std::to_string(stats.trials_disturbed) +
                        " trials still disturbed after " + std::to_string(stats.trials_redone) +
                        " redone (" + stats.disturbance + ")";
    }
  }
  if (meter.available()) {
    for (size_t k = 0; k < row_of.size(); ++k) {
      LayerMeasurement& m = out.rows[row_of[k]];
      if (!m.failed) measure_power(meter, workloads[k], m, options, clock);
    }
  }
  const std::string date = utc_now_iso8601();
  for (auto& m : out.rows) m.date = date;
  return out;
}

std::optional<double> median_of(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  return median(values);
}

// The state of one `profile layers` run.
class LayerRun {
 public:
  LayerRun(Backend& backend, PowerMeter& meter, DatasetAppender& out,
           const ProfileLayersOptions& options, ProfileLayersResult& result, int64_t to_measure)
      : backend_(backend),
        meter_(meter),
        out_(out),
        options_(options),
        result_(result),
        clock_(options.clock ? *options.clock : steady_clock()),
        to_measure_(to_measure),
        monitor_(backend.trial_monitor(options.run)) {
    started_ = clock_.now_s();
  }

  double elapsed() const { return clock_.now_s() - started_; }

  // The energy counter's period (power in groups) or idle power, and the reference baseline.
  // False when the run must end here.
  bool start(const Platform& platform) {
    platform_ = platform;
    std::ostream* log = options_.log;
    use_power_ = meter_.available() && !options_.runtime_only;
    in_groups_ = use_power_ && options_.groups.group_size > 0;
    if (in_groups_) {
      try {
        result_.counter = measure_counter_period(meter_, clock_, 10, 5.0, options_.stop);
        if (log) {
          *log << "energy counter: updates every " << short_number(result_.counter->period_s * 1e3)
               << " ms (median of " << result_.counter->intervals << " intervals, spread "
               << short_number(result_.counter->spread_pct) << "%)\n";
        }
      } catch (const Interrupted&) {
        result_.interrupted = true;
        return false;
      } catch (const Error& e) {
        counter_failure_ = one_line(std::string("energy counter period: ") + e.what());
        if (log) *log << "runtime only: " << counter_failure_ << "\n";
      }
    }
    if (use_power_ && !in_groups_) {
      try {
        const PowerWindow idle =
            measure_idle_power(meter_, options_.measure.power_window_s, clock_, options_.stop);
        result_.idle_power_w = idle.power_w;
        if (log) {
          *log << "idle power: " << short_number(idle.power_w) << " W over "
               << short_number(idle.window_s) << " s (" << meter_.name() << ")\n";
        }
      } catch (const Interrupted&) {
        result_.interrupted = true;
        return false;
      } catch (const Error& e) {
        if (log) *log << "no idle power: " << e.what() << "\n";
      }
    }
    result_.power_measured = use_power_ && (!in_groups_ || result_.counter);
    if (!options_.reference.enabled) return true;
    try {
      reference_.emplace(backend_, options_.run, options_.measure, options_.reference, clock_,
                         options_.stop, log);
      result_.reference = reference_->establish_baseline();
    } catch (const Interrupted&) {
      result_.interrupted = true;
      return false;
    } catch (const Error& e) {
      reference_.reset();
      if (log) *log << "no reference layers: " << e.what() << "\n";
      return true;
    }
    // A resumed run holds its baseline against the rows already in the file.
    const auto then_conv = median_of(out_.existing_reference_ms());
    const auto then_mem = median_of(out_.existing_reference_mem_ms());
    if (then_conv && then_mem) {
      const std::string drift =
          reference_drift(*result_.reference, {*then_conv, *then_mem}, options_.reference);
      if (!drift.empty()) {
        result_.stopped = drift + " in the rows already in " + out_.path() +
                          ": the machine is not in the state those rows were measured in; "
                          "measure when it is, or write to another --out";
        return false;
      }
    }
    return true;
  }

  // Measures a group and appends its rows once the reference after it is good. False when the
  // run must end (interrupted, or the reference drifted for good).
  bool measure(const std::vector<const LayerConfig*>& group, bool adaptive) {
    for (int attempt = 0;; ++attempt) {
      GroupRows g;
      std::optional<ReferenceTimes> times;
      try {
        g = measure_rows(group);
        if (reference_) times = reference_->measure();
      } catch (const Interrupted&) {
        result_.interrupted = true;
        return false;
      } catch (const DeviceLost& e) {
        // Every later call would fail too: stop, and write nothing for what was not measured.
        result_.device_lost = one_line(e.what());
        return false;
      }
      std::string drift = times ? reference_->drift(*times) : std::string();
      if (!reference_ || (drift.empty() && !g.disturbed)) {
        if (g.disturbed && options_.log) *options_.log << "  kept: " << g.disturbance << "\n";
        for (auto& m : g.rows) {
          if (times) {
            m.reference_ms = times->conv_ms;
            m.reference_mem_ms = times->mem_ms;
          }
          append(m, adaptive);
        }
        return true;
      }
      if (attempt >= options_.reference.retries) {
        result_.stopped = (drift.empty() ? g.disturbance : drift) + "; still so after " +
                          std::to_string(attempt) +
                          " measurements of the group: stopping (the rows written so far "
                          "are good; the same command resumes)";
        return false;
      }
      if (drift.empty()) {
        ++result_.groups_remeasured;
        if (options_.log) *options_.log << "  " << g.disturbance << ": measuring the group again\n";
        continue;
      }
      try {
        reference_->settle(drift);
      } catch (const Interrupted&) {
        result_.interrupted = true;
        return false;
      } catch (const DeviceLost& e) {
        result_.device_lost = one_line(e.what());
        return false;
      }
      if (!drift.empty()) {
        result_.stopped = drift + ", and not back after " +
                          std::to_string(options_.reference.retries) +
                          " pauses: stopping (the rows written so far are good; the same "
                          "command resumes when the machine is back in its state)";
        return false;
      }
      ++result_.groups_remeasured;
      if (options_.log) {
        *options_.log << "  the reference is back: measuring the " << group.size()
                      << " configurations since the last good reference again\n";
      }
    }
  }

  // Configurations measured together: a power group's (aligned windows one after the other)
  // while power is measured in groups, else an interleaved group's.
  size_t group_size() const {
    const int size = power_now() && in_groups_ ? options_.groups.group_size : options_.group_size;
    return static_cast<size_t>(std::max(size, 1));
  }

  const std::unordered_set<const LayerConfig*>& done() const { return done_; }
  void mark_done(const std::vector<const LayerConfig*>& group) {
    for (const auto* c : group) done_.insert(c);
  }

 private:
  // Whether this part of the run measures power (--power-seconds: only its first seconds).
  bool power_now() const {
    return result_.power_measured &&
           (options_.power_seconds <= 0 || elapsed() < options_.power_seconds);
  }

  // One group's rows: in aligned power windows while power is measured in groups, else with
  // their trials interleaved (and a power window each when power is measured).
  GroupRows measure_rows(const std::vector<const LayerConfig*>& group) {
    const bool with_power = power_now();
    if (with_power && in_groups_) {
      GroupRows g;
      g.rows = measure_layer_group(backend_, meter_, group, options_, platform_,
                                   result_.counter->period_s, first_power_group_);
      first_power_group_ = false;
      for (auto& m : g.rows) {
        m.placement = Placement::isolated;
        m.scheduling = options_.scheduling;
      }
      return g;
    }
    GroupRows g = measure_interleaved(backend_, with_power ? meter_ : *runtime_only_, group,
                                      options_, platform_, result_.idle_power_w, monitor_.get());
    for (auto& m : g.rows) {
      if (m.failed || !m.power_status.empty()) continue;
      m.power_status = !counter_failure_.empty() ? "failed: " + counter_failure_
                       : meter_.available()      ? "runtime only"
                                                 : "no meter";
    }
    return g;
  }

  void append(const LayerMeasurement& m, bool adaptive) {
    out_.append(m);
    ++result_.measured;
    if (m.failed) ++result_.failed;
    if (m.power_w) ++result_.power_rows;
    if (adaptive) ++result_.adaptive;
    result_.trials_redone += m.trials_redone;
    std::ostream* log = options_.log;
    if (!log) return;
    const double elapsed_s = elapsed();
    const double rate = static_cast<double>(result_.measured) / std::max(elapsed_s, 1e-9);
    const double eta = static_cast<double>(to_measure_ - result_.measured) / rate;
    *log << "[" << result_.already_done + result_.measured << "/" << result_.planned << "] "
         << m.config << ": ";
    if (m.failed) {
      *log << "FAILED (" << m.failure_reason << ")";
    } else {
      *log << short_number(*m.runtime_ms) << " ms +-" << short_number(*m.runtime_spread_pct) << "%";
      if (m.trials_redone > 0) *log << " (" << m.trials_redone << " redone)";
      if (m.power_w) *log << ", " << short_number(*m.power_w) << " W";
    }
    if (m.reference_ms) *log << " | ref " << short_number(*m.reference_ms) << " ms";
    *log << " | " << short_number(rate * 60) << " configs/min, ETA " << duration_text(eta) << "\n";
    log->flush();
  }

  Backend& backend_;
  PowerMeter& meter_;
  DatasetAppender& out_;
  const ProfileLayersOptions& options_;
  ProfileLayersResult& result_;
  Clock& clock_;
  int64_t to_measure_;
  std::unique_ptr<TrialMonitor> monitor_;
  double started_ = 0;
  Platform platform_;
  std::optional<ReferenceLayers> reference_;
  std::unordered_set<const LayerConfig*> done_;
  bool use_power_ = false;  // the meter works and power is asked for
  bool in_groups_ = false;  // ... in groups of aligned windows
  bool first_power_group_ = true;
  std::string counter_failure_;  // why the groups' windows cannot run: rows retried on resume
  std::unique_ptr<PowerMeter> runtime_only_ = make_null_power_meter("runtime only");
};

// The next group from `pending` (in order): up to `size` configurations whose tensors fit
// in group_bytes together (the first always).
std::vector<const LayerConfig*> next_group(const std::vector<const LayerConfig*>& pending,
                                           size_t from, const ProfileLayersOptions& options,
                                           size_t size, size_t limit) {
  std::vector<const LayerConfig*> group;
  int64_t bytes = 0;
  for (size_t i = from; i < pending.size() && group.size() < std::min(size, limit); ++i) {
    if (!group.empty() && bytes + pending[i]->tensor_bytes > options.group_bytes) break;
    bytes += pending[i]->tensor_bytes;
    group.push_back(pending[i]);
  }
  return group;
}

}  // namespace

LayerMeasurement measure_layer(Backend& backend, PowerMeter& meter, const LayerConfig& config,
                               const ProfileLayersOptions& options, const Platform& platform,
                               std::optional<double> idle_power_w) {
  const std::unique_ptr<TrialMonitor> monitor = backend.trial_monitor(options.run);
  GroupRows g = measure_interleaved(backend, meter, {&config}, options, platform, idle_power_w,
                                    monitor.get());
  return std::move(g.rows.front());
}

ProfileLayersResult profile_layers(Backend& backend, PowerMeter& meter,
                                   const std::vector<LayerConfig>& plan, DatasetAppender& out,
                                   const ProfileLayersOptions& options) {
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
  const AdaptiveOptions& adaptive = options.adaptive;
  const bool adapt = adaptive.share > 0;
  if (adapt && options.budget_seconds <= 0 && options.max_configs <= 0) {
    throw Error("adaptive sampling needs a time budget or a configuration count to share");
  }
  if (adaptive.share < 0 || adaptive.share >= 1) {
    throw Error("the adaptive share must be in [0, 1), got " + std::to_string(adaptive.share));
  }
  const Platform platform = make_platform(backend, options.run, options.clocks_locked);
  out.check_platform(platform);
  const int64_t count_cap =
      options.max_configs > 0
          ? std::min<int64_t>(options.max_configs, static_cast<int64_t>(todo.size()))
          : static_cast<int64_t>(todo.size());
  std::ostream* log = options.log;
  if (log) {
    *log << "plan: " << result.planned << " configurations, " << result.already_done
         << " already in " << out.path() << ", " << todo.size() << " to measure";
    if (result.retried > 0) {
      *log << " (" << result.retried << " again: an error or a failed power window before)";
    }
    *log << "\n";
    if (!options.scheduling.empty()) *log << "measuring thread: " << options.scheduling << "\n";
  }
  LayerRun run(backend, meter, out, options, result, count_cap);
  auto finish = [&] {
    result.remaining = static_cast<int64_t>(todo.size()) - static_cast<int64_t>(run.done().size());
    return result;
  };
  if (todo.empty()) return finish();
  if (!run.start(platform)) return finish();

  // The plan's order first; with adaptive sampling, up to the first (1 - share) of the run.
  const double share = adapt ? adaptive.share : 0.0;
  const double ordered_until =
      options.budget_seconds > 0 ? (1 - share) * options.budget_seconds : 0.0;
  const auto ordered_count =
      static_cast<int64_t>(std::llround((1 - share) * static_cast<double>(count_cap)));
  auto budget_spent = [&](double limit) { return limit > 0 && run.elapsed() >= limit; };
  auto should_stop = [&] {
    if (options.stop && options.stop->load()) {
      result.interrupted = true;
      return true;
    }
    if (budget_spent(options.budget_seconds)) {
      result.budget_reached = true;
      return true;
    }
    return result.measured >= count_cap;
  };
  size_t next = 0;
  while (next < todo.size()) {
    if (should_stop()) return finish();
    if (adapt && (budget_spent(ordered_until) || result.measured >= ordered_count)) break;
    const auto limit = static_cast<size_t>(
        std::max<int64_t>(1, (adapt ? ordered_count : count_cap) - result.measured));
    const std::vector<const LayerConfig*> group =
        next_group(todo, next, options, run.group_size(), limit);
    if (!run.measure(group, false)) return finish();
    run.mark_done(group);
    next += group.size();
  }
  if (!adapt) return finish();

  // Adaptive rounds: where the quick models err most, over everything measured so far.
  std::vector<const LayerConfig*> pool(todo.begin() + static_cast<std::ptrdiff_t>(next),
                                       todo.end());
  std::vector<AdaptiveCandidate> candidates;
  for (const auto* c : pool) {
    candidates.push_back(
        {c->kind, is_modelled_kind(c->kind)
                      ? quick_features(c->kind, named_features(c->net, c->layer_id()))
                      : std::vector<double>{}});
  }
  std::vector<bool> chosen(pool.size(), false);
  while (!should_stop()) {
    const Dataset measured = read_dataset(out.path());
    std::vector<AdaptiveCandidate> open;
    std::vector<size_t> open_index;
    for (size_t i = 0; i < pool.size(); ++i) {
      if (chosen[i] || !is_modelled_kind(pool[i]->kind)) continue;
      open.push_back(candidates[i]);
      open_index.push_back(i);
    }
    if (open.empty()) break;
    const auto round = static_cast<size_t>(std::min<int64_t>(
        std::max(adaptive.round, 1), std::max<int64_t>(1, count_cap - result.measured)));
    std::vector<QuickModelError> errors;
    const std::vector<size_t> picks =
        choose_adaptive(measured.rows, open, round, adaptive, &errors);
    if (picks.empty()) break;
    if (log) {
      *log << "adaptive round: quick-model held-out RMSPE";
      for (const auto& e : errors) {
        *log << " " << to_string(e.kind) << " " << short_number(e.rmspe_pct) << "% (" << e.rows
             << ")";
      }
      *log << "; measuring " << picks.size() << "\n";
    }
    std::vector<const LayerConfig*> batch;
    for (size_t p : picks) {
      chosen[open_index[p]] = true;
      batch.push_back(pool[open_index[p]]);
    }
    for (size_t from = 0; from < batch.size();) {
      if (should_stop()) return finish();
      const std::vector<const LayerConfig*> group =
          next_group(batch, from, options, run.group_size(), batch.size() - from);
      if (!run.measure(group, true)) return finish();
      run.mark_done(group);
      from += group.size();
    }
  }
  return finish();
}

}  // namespace np
