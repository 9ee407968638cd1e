#include "neuralpower/prediction_report.hpp"

#include "neuralpower/json.hpp"

namespace np {
namespace {

using json::Json;
using json::optional_json;

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string percent(double part, double whole) {
  return whole > 0 ? fixed(100.0 * part / whole, 1) + "%" : "-";
}

std::string prediction_json(const NetworkPrediction& p) {
  Json layers = Json::array();
  for (const auto& l : p.layers) {
    layers.push_back({{"name", l.name},
                      {"kind", to_string(l.kind)},
                      {"runtime_ms", l.runtime_ms},
                      {"power_w", optional_json(l.power_w)},
                      {"energy_mj", optional_json(l.energy_mj)},
                      {"flags", l.flags}});
  }
  Json doc{{"network", p.network},
           {"batch", p.batch},
           {"model", p.model},
           {"layers", layers},
           {"total",
            {{"runtime_ms", p.runtime_ms},
             {"power_w", optional_json(p.power_w)},
             {"energy_mj", optional_json(p.energy_mj)},
             {"runtime_without_power_ms", p.runtime_without_power_ms}}}};
  if (!p.warnings.empty()) doc["warnings"] = p.warnings;
  return doc.dump(2) + "\n";
}

}  // namespace

std::string prediction_report(const NetworkPrediction& p, OutputFormat format) {
  if (format == OutputFormat::json) return prediction_json(p);
  const double energy = p.energy_mj.value_or(0);
  Table table({{"layer"},
               {"kind"},
               {"runtime (ms)", Align::right},
               {"share", Align::right},
               {"power (W)", Align::right},
               {"energy (mJ)", Align::right},
               {"share", Align::right},
               {"flags"}});
  for (const auto& l : p.layers) {
    if (format == OutputFormat::table && l.runtime_ms == 0 && l.flags.size() == 1 &&
        l.flags[0] == "zero-cost") {
      continue;  // views and no-ops clutter the table; csv/json keep them
    }
    table.add_row({l.name, std::string(to_string(l.kind)), fixed(l.runtime_ms, 4),
                   percent(l.runtime_ms, p.runtime_ms), fixed_or_dash(l.power_w, 1),
                   fixed_or_dash(l.energy_mj, 3), l.energy_mj ? percent(*l.energy_mj, energy) : "-",
                   join(l.flags, " ")});
  }
  table.add_separator();
  table.add_row({"total", "", fixed(p.runtime_ms, 4), "100%", fixed_or_dash(p.power_w, 1),
                 fixed_or_dash(p.energy_mj, 3), p.energy_mj ? "100%" : "-", ""});
  if (format == OutputFormat::csv) return table.to_csv();
  if (format == OutputFormat::markdown) return table.to_markdown();
  std::string out =
      "network " + p.network + ", batch " + std::to_string(p.batch) + ", model " + p.model + "\n\n";
  out += table.to_text();
  if (!p.power_w) {
    out += "no power prediction (runtime only)\n";
  } else if (p.runtime_without_power_ms > 0) {
    out += "power and energy cover the layers with a power prediction; " +
           fixed(p.runtime_without_power_ms, 4) + " ms of runtime has none\n";
  }
  return out + "T = sum T_n; P = sum P_n T_n / sum T_n; E = sum P_n T_n (paper eqs. 3-5)\n";
}

}  // namespace np
