#include "neuralpower/profile_report.hpp"

#include <map>
#include <sstream>

#include "neuralpower/csv.hpp"
#include "neuralpower/table.hpp"

namespace np {

std::string plan_summary(const Plan& plan) {
  std::map<std::string, int64_t> by_kind;
  int64_t from_networks = 0;
  for (const auto& c : plan.configs) {
    ++by_kind[std::string(to_string(c.kind))];
    if (!c.source_network.empty()) ++from_networks;
  }
  std::ostringstream out;
  out << "plan: " << plan.configs.size() << " configurations (" << from_networks
      << " from networks, " << plan.configs.size() - static_cast<size_t>(from_networks)
      << " random):";
  for (const auto& [kind, count] : by_kind) out << " " << kind << " " << count;
  out << "\n      dropped: " << plan.duplicates << " duplicates, " << plan.over_memory_cap
      << " over the memory cap, " << plan.over_flops_cap << " over the FLOP cap, "
      << plan.beyond_max_configs << " beyond --max-configs\n";
  if (!plan.networks.empty()) {
    out << "      networks:";
    for (const auto& n : plan.networks) out << " " << n;
    out << "\n";
  }
  return out.str();
}

std::string plan_listing(const Plan& plan) {
  std::string out;
  for (const auto& c : plan.configs) {
    out += c.config +
           (c.source_network.empty() ? "" : "  # " + c.source_network + "/" + c.source_layer) +
           "\n";
  }
  return out;
}

std::string device_line(const DeviceInfo& info) {
  return "device: " + info.name + " (" + info.backend + ", " + info.runtime_version +
         (info.detail.empty() ? "" : ", " + info.detail) + ")\n";
}

std::string meter_line(const MeterStatus& meter) {
  if (meter.available) return "power meter: " + meter.name + " (" + meter.status + ")\n";
  return "runtime only: no power meter (" + meter.status + "); power columns are left empty\n";
}

std::string profile_layers_summary(const ProfileLayersResult& r, const std::string& out,
                                   double budget_seconds) {
  std::ostringstream text;
  text << "wrote " << r.measured << " rows to " << out << " (" << r.failed << " failed), "
       << r.already_done << " were there already"
       << (r.power_measured ? "" : "; runtime only, no power") << "\n";
  if (r.adaptive > 0) text << r.adaptive << " of them chosen by adaptive sampling\n";
  if (r.power_measured) {
    text << r.power_rows << " rows with power";
    if (r.counter) text << " (energy counter period " << r.counter->period_s * 1e3 << " ms)";
    text << "\n";
  }
  if (r.retried > 0) {
    text << r.retried << " configurations measured again (an error or a failed power window "
         << "before)\n";
  }
  if (r.reference) {
    text << "reference: conv " << fixed(r.reference->conv_ms, 3) << " ms, add "
         << fixed(r.reference->mem_ms, 3) << " ms; " << r.trials_redone
         << " disturbed trials redone, " << r.groups_remeasured
         << " groups measured again after a drift\n";
  }
  if (!r.device_lost.empty()) {
    text << "device lost: " << r.device_lost << "\n"
         << "stopped: " << r.remaining
         << " configurations not measured (no rows written for them); a new process resumes\n";
  } else if (!r.stopped.empty()) {
    text << "stopped: " << r.stopped << "; " << r.remaining << " configurations not measured\n";
  } else if (r.interrupted) {
    text << "interrupted: " << r.remaining
         << " configurations not measured; the same command resumes\n";
  } else if (r.budget_reached) {
    text << "time budget of " << budget_seconds << " s reached: " << r.remaining
         << " configurations not measured; the same command resumes\n";
  }
  return text.str();
}

std::string profile_nets_summary(const ProfileNetsResult& r, size_t planned,
                                 const std::string& out) {
  if (r.before_first_network) {
    return "interrupted before any network was measured; nothing written\n";
  }
  std::string rows;
  if (r.rows_written > 0)
    rows = std::to_string(r.rows_written) + " in-network layer rows written\n";
  if (r.networks_remeasured > 0) {
    rows += std::to_string(r.networks_remeasured) + " networks measured again after a drift\n";
  }
  if (!r.device_lost.empty()) {
    return "device lost: " + r.device_lost + "\nstopped: " + std::to_string(r.written) + " of " +
           std::to_string(planned) + " measurements written to " + out + "\n" + rows;
  }
  if (!r.stopped.empty()) {
    return "stopped: " + r.stopped + "; " + std::to_string(r.written) + " of " +
           std::to_string(planned) + " measurements in " + out + "\n" + rows;
  }
  if (r.interrupted) {
    return "interrupted: " + std::to_string(r.written) + " of " + std::to_string(planned) +
           " measurements written to " + out + "\n" + rows;
  }
  return "wrote " + out + ": " + std::to_string(r.written) + " measurements" +
         (r.failed ? " (" + std::to_string(r.failed) + " failed)" : std::string()) +
         (r.skipped ? ", " + std::to_string(r.skipped) + " already there" : std::string()) + "\n" +
         rows;
}

std::string counter_period_line(const std::string& meter, const CounterPeriod& period) {
  std::ostringstream text;
  text << "energy counter (" << meter << "): updates every " << fixed(period.period_s * 1e3, 2)
       << " ms (median of " << period.intervals << " intervals, IQR " << fixed(period.spread_pct, 1)
       << "% of it)\n";
  return text.str();
}

std::string spread_check_report(const SpreadCheck& check, const SpreadOptions& options) {
  std::ostringstream text;
  text << "spread check: " << check.config << ", " << check.repeats
       << " repeats interleaved, energy counter period " << fixed(check.period_s * 1e3, 1)
       << " ms\n"
       << "  algorithm: " << check.algorithm << "\n";
  Table table({{"N", Align::right},
               {"windows", Align::right},
               {"power W", Align::right},
               {"power worst %", Align::right},
               {"runtime ms", Align::right},
               {"runtime worst %", Align::right},
               {"window s", Align::right},
               {"verdict", Align::left}});
  for (const auto& row : check.rows) {
    const auto cell = [](const std::optional<double>& v, int digits) {
      return v ? fixed(*v, digits) : std::string("-");
    };
    double window_s = 0;
    for (const auto& w : row.windows) window_s += w.window_s;
    table.add_row(
        {std::to_string(row.periods),
         std::to_string(row.power_w.size()) + "/" + std::to_string(row.windows.size()),
         cell(row.power_median, 2), cell(row.power_worst_pct, 2), cell(row.runtime_median, 5),
         cell(row.runtime_worst_pct, 2),
         row.windows.empty() ? "-" : fixed(window_s / static_cast<double>(row.windows.size()), 3),
         row.ok ? "ok" : "outside"});
  }
  text << table.to_text();
  text << "  limits: every power within " << options.power_limit_pct
       << "% of its median, every runtime within " << options.runtime_limit_pct << "%\n";
  if (check.chosen) {
    text << "spread verdict: ok, N = " << *check.chosen << "\n";
  } else {
    text << "spread verdict: FAIL, no N within the limits; N = " << check.fallback
         << " (the steadiest)\n";
  }
  return text.str();
}

std::string spread_check_csv(const SpreadCheck& check) {
  std::ostringstream text;
  text << csv_line({"periods", "repeat", "status", "power_w", "runtime_ms", "window_s",
                    "sm_clock_min_mhz", "sm_clock_max_mhz", "temperature_c", "throttle_reasons"});
  const auto number = [](std::optional<double> v) { return v ? fixed(*v, 6) : std::string(); };
  for (const auto& row : check.rows) {
    for (size_t r = 0; r < row.windows.size(); ++r) {
      const SlotMeasurement& w = row.windows[r];
      const bool ok = w.failure.empty() && !w.run_ms.empty();
      text << csv_line({std::to_string(row.periods), std::to_string(r + 1),
                        ok ? "ok" : "failed: " + w.failure, ok ? number(w.power_w) : "",
                        ok ? number(median(w.run_ms)) : "", ok ? number(w.window_s) : "",
                        w.sm_clock ? number(w.sm_clock->min_mhz) : "",
                        w.sm_clock ? number(w.sm_clock->max_mhz) : "", number(w.end.temperature_c),
                        w.end.throttle_reasons});
    }
  }
  return text.str();
}

}  // namespace np
