// `profile nets`: whole networks, end to end and layer by layer (paper section 4.2).
#include <algorithm>
#include <cmath>
#include <ostream>

#include "neuralpower/error.hpp"
#include "neuralpower/power_window.hpp"
#include "neuralpower/profile_nets.hpp"
#include "neuralpower/utc_time.hpp"
#include "neuralpower/version.hpp"

namespace np {
namespace {

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
    auto prepared = backend.prepare_network(net, options.run);
    const Workload workload = workload_of(*prepared);
    const RuntimeStats stats = measure_runtime(workload, options.measure, options.stop);
    m.runtime_ms = stats.median_ms;
    m.runtime_spread_pct = stats.spread_pct;
    m.iterations_per_trial = stats.iterations_per_trial;
    m.trials = stats.trials;
    if (log) {
      *log << "  " << m.network << " batch " << m.batch << ": T_total " << stats.median_ms
           << " ms +-" << stats.spread_pct << "%\n";
    }

    // Per layer, in place: as many iterations per call as a whole-network trial had.
    std::vector<std::vector<double>> per_layer(m.layers.size());
    for (int trial = 0; trial < options.measure.trials; ++trial) {
      check_stop(options.stop);
      const std::vector<double> times =
          prepared->timed_layers(static_cast<int>(stats.iterations_per_trial));
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
    for (size_t i = 0; i < m.layers.size(); ++i) m.layers[i].runtime_ms = median(per_layer[i]);

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
  return file;
}

ProfileNetsResult profile_networks(Backend& backend, PowerMeter& meter,
                                   const std::vector<NamedNetwork>& nets, NetsFile& file,
                                   const std::string& path, const ProfileNetsOptions& options) {
  Clock& clock = options.clock ? *options.clock : steady_clock();
  std::ostream* log = options.log;
  ProfileNetsResult result;
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
  for (size_t i = 0; i < nets.size(); ++i) {
    const auto& [spec, net] = nets[i];
    if (log) {
      *log << "[" << i + 1 << "/" << nets.size() << "] " << net.name() << " batch " << net.batch()
           << "\n";
    }
    try {
      file.networks.push_back(profile_network(backend, meter, net, spec, run, period_s));
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
