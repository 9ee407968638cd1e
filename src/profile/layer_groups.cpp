// Layer configurations measured in groups of aligned power windows (layer_groups.hpp).
#include "neuralpower/layer_groups.hpp"

#include <memory>

#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/utc_time.hpp"

namespace np {
namespace {

struct Member {
  size_t row = 0;
  std::unique_ptr<PreparedLayer> layer;
  BatchedWorkload work;
};

void set_runtime(LayerMeasurement& m, const RuntimeStats& stats) {
  m.runtime_ms = stats.median_ms;
  m.runtime_spread_pct = stats.spread_pct;
  m.trials = stats.trials;
}

// The runtime of a window from its batches; the trials are the batches.
bool set_runtime_from_window(LayerMeasurement& m, const std::vector<double>& run_ms) {
  // Fewer batches than this say little about the spread: the caller times trials instead.
  constexpr size_t kMinBatches = 3;
  if (run_ms.size() < kMinBatches) return false;
  m.runtime_ms = median(run_ms);
  m.runtime_spread_pct = spread_pct(run_ms);
  m.trials = static_cast<int64_t>(run_ms.size());
  return true;
}

void set_power(LayerMeasurement& m, const SlotMeasurement& w, double period_s) {
  m.power_w = w.power_w;
  m.power_spread_pct = w.power_spread_pct;
  m.window_s = w.window_s;
  m.window_periods = w.periods;
  m.counter_period_ms = period_s * 1e3;
  m.sm_clock_mhz = w.end.sm_clock_mhz;
  m.mem_clock_mhz = w.end.mem_clock_mhz;
  m.temperature_c = w.end.temperature_c;
  m.power_limit_w = w.end.power_limit_w;
  m.throttle_reasons = one_line(w.end.throttle_reasons);
  if (w.sm_clock) {
    m.sm_clock_min_mhz = w.sm_clock->min_mhz;
    m.sm_clock_max_mhz = w.sm_clock->max_mhz;
  }
  m.throttle_ms = w.throttle_ms;
  m.power_status = "ok";
}

LayerMeasurement blank_row(const LayerConfig& config, const Platform& platform) {
  LayerMeasurement m;
  m.kind = config.kind;
  m.config = config.config;
  m.source_network = config.source_network;
  m.source_layer = config.source_layer;
  m.platform = platform;
  return m;
}

}  // namespace

void mark_row_failed(LayerMeasurement& m, const std::string& reason) {
  m.failed = true;
  m.failure_reason = one_line(reason);
  m.runtime_ms.reset();
  m.runtime_spread_pct.reset();
  m.trials = 0;
  m.power_w.reset();
  m.energy_mj.reset();
  m.power_status.clear();
}

std::vector<LayerMeasurement> measure_layer_group(Backend& backend, PowerMeter& meter,
                                                  const std::vector<const LayerConfig*>& group,
                                                  const ProfileLayersOptions& options,
                                                  const Platform& platform, double period_s,
                                                  bool first_group) {
  Clock& clock = options.clock ? *options.clock : steady_clock();
  const double batch_ms = options.groups.batch_periods * period_s * 1e3;
  std::vector<LayerMeasurement> rows;
  std::vector<Member> members;
  std::vector<size_t> deferred;  // out of memory beside the others: measured alone afterwards
  for (size_t i = 0; i < group.size(); ++i) {
    const LayerConfig& c = *group[i];
    rows.push_back(blank_row(c, platform));
    LayerMeasurement& m = rows.back();
    try {
      check_stop(options.stop);
      m.features = named_features(c.net, c.layer_id());
      auto prepared = backend.prepare(c.net, c.layer_id(), options.run);
      m.algorithm = one_line(prepared->algorithm());
      const LayerRunInfo info = prepared->run_info();
      m.math_type = info.math_type;
      m.graph_copies = info.graph_copies;
      BatchedWorkload work = batched_workload_of(*prepared, batch_ms);
      if (work.run_ms <= 0) {
        // Nothing runs on the device (a view): no window can measure it.
        set_runtime(m, measure_runtime(workload_of(*prepared), options.measure, options.stop));
        m.power_status = "none: nothing runs";
        continue;
      }
      members.push_back({i, std::move(prepared), std::move(work)});
    } catch (const Interrupted&) {
      throw;
    } catch (const DeviceLost&) {
      throw;
    } catch (const DeviceOutOfMemory& e) {
      if (members.empty() || group.size() == 1) {
        mark_row_failed(m, failure_reason(e));
      } else {
        deferred.push_back(i);
      }
    } catch (const std::exception& e) {
      mark_row_failed(m, failure_reason(e));
    }
  }

  if (!members.empty()) {
    std::vector<BatchedWorkload> work;
    for (const auto& member : members) work.push_back(member.work);
    std::optional<GroupMeasurement> windows;
    std::string power_failure;
    try {
      windows =
          measure_group(meter, work, options.groups, period_s, first_group, clock, options.stop);
    } catch (const Interrupted&) {
      throw;
    } catch (const DeviceLost&) {
      throw;
    } catch (const Error& e) {
      power_failure = one_line(e.what());
      if (options.log) *options.log << "  no power for this group: " << power_failure << "\n";
    }
    const std::optional<double> idle = windows && windows->idle && windows->idle->failure.empty()
                                           ? std::optional<double>(windows->idle->power_w)
                                           : std::nullopt;
    for (size_t k = 0; k < members.size(); ++k) {
      Member& member = members[k];
      LayerMeasurement& m = rows[member.row];
      m.idle_power_w = idle;
      try {
        if (windows && !windows->members[k].failure.empty()) {
          mark_row_failed(m, windows->members[k].failure);
          continue;
        }
        if (windows) set_power(m, windows->members[k], period_s);
        if (!windows || !set_runtime_from_window(m, windows->members[k].run_ms)) {
          set_runtime(m,
                      measure_runtime(workload_of(*member.layer), options.measure, options.stop));
        }
        if (!windows) m.power_status = "failed: " + power_failure;
        if (m.power_w) m.energy_mj = *m.power_w * *m.runtime_ms;  // W x ms = mJ
      } catch (const Interrupted&) {
        throw;
      } catch (const DeviceLost&) {
        throw;
      } catch (const std::exception& e) {
        mark_row_failed(m, failure_reason(e));
      }
    }
  }
  members.clear();  // the device memory of the group is free again

  for (size_t i : deferred) {
    std::vector<LayerMeasurement> alone =
        measure_layer_group(backend, meter, {group[i]}, options, platform, period_s, false);
    rows[i] = std::move(alone.front());
  }
  const std::string date = utc_now_iso8601();
  for (auto& m : rows) {
    if (m.date.empty()) m.date = date;
  }
  return rows;
}

}  // namespace np
