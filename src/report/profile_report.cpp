#include "neuralpower/profile_report.hpp"

#include <map>
#include <sstream>

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
  if (r.reference) {
    text << "reference: conv " << fixed(r.reference->conv_ms, 3) << " ms, add "
         << fixed(r.reference->mem_ms, 3) << " ms; " << r.trials_redone
         << " disturbed trials redone, " << r.groups_remeasured
         << " groups measured again after a drift\n";
  }
  if (!r.stopped.empty()) {
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

}  // namespace np
