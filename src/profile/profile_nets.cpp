// `profile nets`: whole networks, end to end and layer by layer (paper section 4.2), held
// against the reference layers, with the layers as they run in place written as dataset rows.
#include <algorithm>
#include <cmath>
#include <optional>
#include <ostream>

#include "neuralpower/config_text.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/power_window.hpp"
#include "neuralpower/profile_nets.hpp"
#include "neuralpower/sampling_plan.hpp"
#include "neuralpower/utc_time.hpp"
#include "neuralpower/version.hpp"

namespace np {
namespace {

// The per-layer trials: one timed_layers call per trial with as many iterations as a
// whole-network trial, taken again when the monitor reports it disturbed.
std::vector<std::vector<double>> layer_trials(PreparedNetwork& prepared, const Network& net,
                                              const MeasuredNetwork& m, int64_t iterations,
                                              const ProfileNetsOptions& options,
                                              TrialMonitor* monitor, RuntimeStats& counts) {
  std::vector<std::vector<double>> per_layer(m.layers.size());
  int redo_left = std::max(options.measure.max_trials_redone, 0);
  for (int trial = 0; trial < options.measure.trials; ++trial) {
    std::vector<double> times;
    monitored_trial(
        [&] {
          check_stop(options.stop);
          times = prepared.timed_layers(static_cast<int>(iterations));
          double sum = 0;
          for (double t : times) sum += std::isfinite(t) ? t : 0;
          return sum;
        },
        monitor, redo_left, counts);
    if (times.size() != static_cast<size_t>(net.size())) {
      throw Error("timed_layers returned " + std::to_string(times.size()) + " times for " +
                  std::to_string(net.size()) + " layers");
    }
    for (size_t i = 0; i < m.layers.size(); ++i) {
      const double t = times[static_cast<size_t>(m.layers[i].id)];
      if (!std::isfinite(t) || t < 0) {
        throw Error("timed_layers returned " + std::to_string(t) + " ms for layer '" +
                    m.layers[i].name + "'");
      }
      per_layer[i].push_back(t);
    }
  }
  return per_layer;
}

bool already_measured(const NetsFile& file, const std::string& spec, const Network& net) {
  return std::any_of(file.networks.begin(), file.networks.end(), [&](const MeasuredNetwork& n) {
    return !n.failed && n.spec == spec && n.network == net.name() && n.batch == net.batch();
  });
}

// P_n of each layer run alone, in groups of aligned windows (power_window.hpp).
void layer_power_in_groups(Backend& backend, PowerMeter& meter, const Network& net,
                           std::vector<MeasuredLayer>& layers, const ProfileNetsOptions& options,
                           double period_s, Clock& clock) {
  const double batch_ms = options.groups.batch_periods * period_s * 1e3;
  const size_t group_size = static_cast<size_t>(std::max(options.groups.group_size, 1));
  for (size_t from = 0; from < layers.size();) {
    std::vector<std::unique_ptr<PreparedLayer>> prepared;
    std::vector<BatchedWorkload> work;
    std::vector<MeasuredLayer*> measured;
    for (; from < layers.size() && measured.size() < group_size; ++from) {
      MeasuredLayer& l = layers[from];
      check_stop(options.stop);
      if (l.runtime_ms <= 0) {
        l.note = "no runtime in the network run";
        continue;
      }
      try {
        auto layer = backend.prepare(net, l.id, options.run);
        l.algorithm = one_line(layer->algorithm());
        BatchedWorkload w = batched_workload_of(*layer, batch_ms);
        if (w.run_ms <= 0) {
          l.note = "nothing runs";
          continue;
        }
        prepared.push_back(std::move(layer));
        work.push_back(std::move(w));
        measured.push_back(&l);
      } catch (const Interrupted&) {
        throw;
      } catch (const DeviceLost&) {
        throw;
      } catch (const std::exception& e) {
        l.note = failure_reason(e);
      }
    }
    if (measured.empty()) continue;
    try {
      // The device is warm from the network's runs: the short pre-heat of later groups.
      const GroupMeasurement g =
          measure_group(meter, work, options.groups, period_s, false, clock, options.stop);
      for (size_t k = 0; k < measured.size(); ++k) {
        const SlotMeasurement& w = g.members[k];
        if (!w.failure.empty()) {
          measured[k]->note = w.failure;
          continue;
        }
        measured[k]->power_w = w.power_w;
        measured[k]->window_s = w.window_s;
      }
    } catch (const Interrupted&) {
      throw;
    } catch (const DeviceLost&) {
      throw;
    } catch (const Error& e) {
      for (MeasuredLayer* l : measured) l->note = one_line(std::string("no power: ") + e.what());
    }
  }
}

}  // namespace

MeasuredNetwork profile_network(Backend& backend, PowerMeter& meter, const Network& net,
                                const std::string& spec, const ProfileNetsOptions& options,
                                std::optional<double> counter_period_s) {
  Clock& clock = options.clock ? *options.clock : steady_clock();
  std::ostream* log = options.log;
  bool in_groups = meter.available() && options.groups.group_size > 0;
  if (in_groups && !counter_period_s) {
    try {
      counter_period_s = measure_counter_period(meter, clock, 10, 5.0, options.stop).period_s;
    } catch (const Error& e) {
      in_groups = false;  // one window per workload, as before
      if (log) *log << "  no power windows in groups: " << e.what() << "\n";
    }
  }
  MeasuredNetwork m;
  m.network = net.name();
  m.spec = spec;
  m.batch = net.batch();
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    if (layer.kind == LayerKind::input) continue;
    MeasuredLayer l;
    l.id = id;
    l.name = layer.name;
    l.kind = layer.kind;
    m.layers.push_back(std::move(l));
  }
  try {
    const std::unique_ptr<TrialMonitor> monitor = backend.trial_monitor(options.run);
    auto prepared = backend.prepare_network(net, options.run);
    Workload workload = workload_of(*prepared);
    workload.monitor = monitor.get();
    const RuntimeStats stats = measure_runtime(workload, options.measure, options.stop);
    m.runtime_ms = stats.median_ms;
    m.runtime_spread_pct = stats.spread_pct;
    m.iterations_per_trial = stats.iterations_per_trial;
    m.trials = stats.trials;
    if (log) {
      *log << "  " << m.network << " batch " << m.batch << ": T_total " << stats.median_ms
           << " ms +-" << stats.spread_pct << "%";
      if (stats.trials_redone > 0) *log << " (" << stats.trials_redone << " trials redone)";
      *log << "\n";
    }

    // Per layer, in place.
    RuntimeStats layer_counts;
    const std::vector<std::vector<double>> per_layer = layer_trials(
        *prepared, net, m, stats.iterations_per_trial, options, monitor.get(), layer_counts);
    for (size_t i = 0; i < m.layers.size(); ++i) {
      m.layers[i].runtime_ms = median(per_layer[i]);
      m.layers[i].runtime_spread_pct = spread_pct(per_layer[i]);
    }
    m.trials_redone = stats.trials_redone + layer_counts.trials_redone;
    if (log) {
      double sum = 0;
      for (const auto& l : m.layers) sum += l.runtime_ms;
      *log << "  sum of T_n " << sum << " ms (T_total / sum " << stats.median_ms / sum << ")";
      if (layer_counts.trials_redone > 0) *log << ", " << layer_counts.trials_redone << " redone";
      *log << "\n";
    }

    if (meter.available()) {
      try {
        std::optional<double> power_w, window_s;
        if (in_groups) {
          const BatchedWorkload w = batched_workload_of(
              *prepared, options.groups.batch_periods * *counter_period_s * 1e3);
          const GroupMeasurement g = measure_group(meter, {w}, options.groups, *counter_period_s,
                                                   true, clock, options.stop);
          if (!g.members[0].failure.empty()) throw Error(g.members[0].failure);
          power_w = g.members[0].power_w;
          window_s = g.members[0].window_s;
        } else {
          const PowerWindow w = measure_power_window(
              meter, workload, options.measure.power_window_s, clock, options.stop);
          power_w = w.power_w;
          window_s = w.window_s;
        }
        m.power_w = power_w;
        m.energy_mj = *power_w * stats.median_ms;
        m.window_s = window_s;
        if (log) *log << "  P_avg " << *power_w << " W over " << *window_s << " s\n";
      } catch (const DeviceLost&) {
        throw;
      } catch (const Error& e) {
        if (log) *log << "  no network power: " << e.what() << "\n";
      }
    }
    prepared.reset();  // free the network's buffers before layers are prepared alone

    if (meter.available() && options.layer_power && in_groups) {
      layer_power_in_groups(backend, meter, net, m.layers, options, *counter_period_s, clock);
    } else if (meter.available() && options.layer_power) {
      for (auto& l : m.layers) {
        check_stop(options.stop);
        if (l.runtime_ms <= 0) {
          l.note = "no runtime in the network run";
          continue;
        }
        try {
          auto layer = backend.prepare(net, l.id, options.run);
          l.algorithm = one_line(layer->algorithm());
          const Workload lw = workload_of(*layer);
          const PowerWindow w =
              measure_power_window(meter, lw, options.measure.power_window_s, clock, options.stop);
          l.power_w = w.power_w;
          l.window_s = w.window_s;
        } catch (const Interrupted&) {
          throw;
        } catch (const DeviceLost&) {
          throw;
        } catch (const std::exception& e) {
          l.note = failure_reason(e);
        }
      }
    } else if (!meter.available()) {
      for (auto& l : m.layers) l.note = "no power meter";
    }
  } catch (const Interrupted&) {
    throw;
  } catch (const DeviceLost&) {
    throw;
  } catch (const std::exception& e) {
    m.failed = true;
    m.failure_reason = failure_reason(e);
    m.runtime_ms.reset();
    m.power_w.reset();
    m.energy_mj.reset();
    if (log)
      *log << "  " << m.network << " batch " << m.batch << " FAILED: " << m.failure_reason << "\n";
  }
  return m;
}

std::vector<LayerMeasurement> in_network_rows(const Network& net, const MeasuredNetwork& measured,
                                              const Platform& platform,
                                              const std::string& scheduling, int& skipped) {
  std::vector<LayerMeasurement> rows;
  if (measured.failed) return rows;
  const std::string date = utc_now_iso8601();
  for (const MeasuredLayer& l : measured.layers) {
    if (!is_modelled_kind(l.kind) || !(l.runtime_ms > 0)) continue;
    LayerMeasurement m;
    try {
      m.config = config_text(extract_layer(net, l.id));
      m.features = named_features(net, l.id);
    } catch (const Error&) {
      ++skipped;
      continue;
    }
    m.kind = l.kind;
    m.source_network = net.name();
    m.source_layer = l.name;
    m.runtime_ms = l.runtime_ms;
    m.runtime_spread_pct = l.runtime_spread_pct;
    m.trials = measured.trials;
    m.trials_redone = measured.trials_redone;
    m.reference_ms = measured.reference_ms;
    m.reference_mem_ms = measured.reference_mem_ms;
    m.placement = Placement::in_network;
    m.scheduling = scheduling;
    m.platform = platform;
    m.date = date;
    rows.push_back(std::move(m));
  }
  return rows;
}

NetsFile new_nets_file(const Backend& backend, const PowerMeter& meter,
                       const ProfileNetsOptions& options, bool clocks_locked) {
  NetsFile file;
  file.created = utc_now_iso8601();
  file.tool_version = std::string(kVersion);
  file.platform = make_platform(backend, options.run, clocks_locked);
  file.meter.name = meter.name();
  file.meter.available = meter.available();
  file.meter.status = meter.status();
  file.meter.update_period_ms = meter.update_period_ms();
  file.settings.trials = options.measure.trials;
  file.settings.warmup = options.measure.warmup;
  file.settings.min_trial_ms = options.measure.min_trial_ms;
  file.settings.power_window_s = options.measure.power_window_s;
  file.settings.threads = options.run.threads;
  file.settings.scheduling = options.scheduling;
  return file;
}

ProfileNetsResult profile_networks(Backend& backend, PowerMeter& meter,
                                   const std::vector<NamedNetwork>& nets, NetsFile& file,
                                   const std::string& path, const ProfileNetsOptions& options) {
  Clock& clock = options.clock ? *options.clock : steady_clock();
  std::ostream* log = options.log;
  ProfileNetsResult result;
  if (options.layer_rows && !options.include_test_networks) {
    for (const auto& [spec, net] : nets) {
      if (is_held_out_network(net.name())) {
        throw Error("network '" + net.name() +
                    "' is held out for evaluation and its layers never feed the dataset: "
                    "measure it without --layer-rows, or pass --include-test-networks");
      }
    }
  }
  if (options.layer_rows) options.layer_rows->check_platform(file.platform);
  if (options.scheduling.size() && log) *log << "measuring thread: " << options.scheduling << "\n";
  std::optional<ReferenceLayers> reference;
  try {
    if (meter.available()) {
      const PowerWindow idle =
          measure_idle_power(meter, options.measure.power_window_s, clock, options.stop);
      file.meter.idle_power_w = idle.power_w;
      if (log) *log << "idle power: " << idle.power_w << " W\n";
    }
  } catch (const Interrupted&) {
    result.interrupted = result.before_first_network = true;
    return result;
  } catch (const Error& e) {
    if (log) *log << "no idle power: " << e.what() << "\n";
  }
  std::optional<double> period_s;
  ProfileNetsOptions run = options;
  if (meter.available() && options.groups.group_size > 0) {
    try {
      const CounterPeriod period = measure_counter_period(meter, clock, 10, 5.0, options.stop);
      period_s = period.period_s;
      file.meter.update_period_ms = period.period_s * 1e3;
      if (log) *log << "energy counter: updates every " << period.period_s * 1e3 << " ms\n";
    } catch (const Interrupted&) {
      result.interrupted = result.before_first_network = true;
      return result;
    } catch (const Error& e) {
      run.groups.group_size = 0;  // one window per workload, as before
      if (log) *log << "no power windows in groups: " << e.what() << "\n";
    }
  }
  if (options.reference.enabled) {
    try {
      reference.emplace(backend, options.run, options.measure, options.reference, clock,
                        options.stop, log);
      reference->establish_baseline();
    } catch (const Interrupted&) {
      result.interrupted = result.before_first_network = true;
      return result;
    } catch (const Error& e) {
      reference.reset();
      if (log) *log << "no reference layers: " << e.what() << "\n";
    }
  }
  for (size_t i = 0; i < nets.size() && result.stopped.empty(); ++i) {
    const auto& [spec, net] = nets[i];
    if (log) {
      *log << "[" << i + 1 << "/" << nets.size() << "] " << net.name() << " batch " << net.batch();
    }
    if (already_measured(file, spec, net)) {
      if (log) *log << ": already in " << path << "\n";
      ++result.skipped;
      continue;
    }
    if (log) *log << "\n";
    try {
      std::optional<MeasuredNetwork> accepted;
      for (int attempt = 0; !accepted; ++attempt) {
        MeasuredNetwork m = profile_network(backend, meter, net, spec, run, period_s);
        if (!reference || m.failed) {
          accepted = std::move(m);
          break;
        }
        const ReferenceTimes times = reference->measure();
        std::string drift = reference->drift(times);
        if (drift.empty()) {
          m.reference_ms = times.conv_ms;
          m.reference_mem_ms = times.mem_ms;
          accepted = std::move(m);
          break;
        }
        if (attempt < options.reference.retries) reference->settle(drift);
        if (!drift.empty()) {
          result.stopped = drift + " after " + net.name() + " batch " +
                           std::to_string(net.batch()) +
                           ", and not back: stopping (the networks saved so far are good; the "
                           "same command resumes when the machine is back in its state)";
          break;
        }
        ++result.networks_remeasured;
        if (log) *log << "  the reference is back: measuring " << net.name() << " again\n";
      }
      if (!accepted) break;
      if (options.layer_rows) {
        int skipped = 0;
        for (const auto& row :
             in_network_rows(net, *accepted, file.platform, options.scheduling, skipped)) {
          if (options.layer_rows->contains_in_network(row.source_network, row.source_layer,
                                                      row.config)) {
            continue;
          }
          options.layer_rows->append(row);
          ++result.rows_written;
        }
        if (skipped > 0 && log) *log << "  " << skipped << " layers have no dataset row\n";
      }
      // A resumed run measures a network that failed before again: its new entry replaces the
      // failed one, so that the file holds one entry per network and batch.
      std::erase_if(file.networks, [&](const MeasuredNetwork& n) {
        return n.spec == spec && n.network == net.name() && n.batch == net.batch();
      });
      file.networks.push_back(std::move(*accepted));
    } catch (const Interrupted&) {
      if (!file.networks.empty()) save_nets_file(file, path);
      result.interrupted = true;
      break;
    } catch (const DeviceLost& e) {
      if (!file.networks.empty()) save_nets_file(file, path);
      result.device_lost = one_line(e.what());
      break;
    }
    save_nets_file(file, path);  // after each network: an interruption keeps what is done
  }
  result.written = file.networks.size();
  for (const auto& n : file.networks) result.failed += n.failed ? 1 : 0;
  return result;
}

}  // namespace np
