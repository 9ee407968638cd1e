#include "report/prediction_summary.hpp"

#include <algorithm>

#include "neuralpower/table.hpp"

namespace np {
namespace {

struct FlagInfo {
  const char* flag;
  char marker;
  const char* meaning;
};

// Legend order: what changes the totals first.
constexpr FlagInfo kFlags[] = {
    {"no-model", 'm', "no runtime model for the kind; counted as 0 ms"},
    {"unmodelled", 'u', "an op the IR does not model (--allow-unknown); counted as 0 ms"},
    {"no-power-model", 'p', "no power model for the kind; power and energy missing"},
    {"power-clamped", 'w', "power predicted at or below 0 W; reported missing"},
    {"clamped", 'c',
     "runtime outside the bounds the training rows imply (or below 1 us); clamped to them"},
    {"extrapolated", 'x', "a feature outside the range seen in training"},
    {"zero-cost", 'z', "a view or no-op; costs nothing by definition"},
};
constexpr const char* kExtrapolated = "extrapolated:";

const FlagInfo* info_of(const std::string& flag) {
  const std::string base = flag.rfind(kExtrapolated, 0) == 0 ? "extrapolated" : flag;
  for (const FlagInfo& info : kFlags) {
    if (base == info.flag) return &info;
  }
  return nullptr;
}

std::string plural(int count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

std::string percent_of(double part, double whole) {
  return whole > 0 ? fixed(100.0 * part / whole, 1) + " %" : "-";
}

}  // namespace

PredictionSummary summarize_prediction(const NetworkPrediction& p) {
  PredictionSummary s;
  std::map<std::string, FlagCount> counts;
  for (const LayerPrediction& layer : p.layers) {
    ++s.layers;
    if (layer.estimate_flags & LayerEstimate::kZeroCost) ++s.zero_cost;
    if (!layer.has_runtime_model()) {
      ++s.without_model;
      ++s.without_model_kinds[std::string(to_string(layer.kind))];
    }
    if (layer.power_w) ++s.with_power;
    std::string seen;  // a layer counts once per flag, however many features it extrapolates
    for (const std::string& flag : layer.flags) {
      const FlagInfo* info = info_of(flag);
      if (!info) continue;
      FlagCount& count = counts[info->flag];
      count.flag = info->flag;
      count.marker = info->marker;
      count.meaning = info->meaning;
      if (seen.find(info->marker) == std::string::npos) {
        ++count.layers;
        seen += info->marker;
      }
      if (info->marker == 'x') ++count.features[flag.substr(std::string(kExtrapolated).size())];
    }
  }
  for (const FlagInfo& info : kFlags) {
    const auto it = counts.find(info.flag);
    if (it != counts.end()) s.flags.push_back(it->second);
  }
  return s;
}

std::string flag_markers(const LayerPrediction& layer, const std::string& omitted) {
  std::string markers;
  for (const FlagInfo& info : kFlags) {
    if (omitted.find(info.marker) != std::string::npos) continue;
    const bool has = std::any_of(layer.flags.begin(), layer.flags.end(), [&](const auto& flag) {
      const FlagInfo* of = info_of(flag);
      return of && of->marker == info.marker;
    });
    if (has) markers += std::string(markers.empty() ? "" : " ") + info.marker;
  }
  return markers;
}

std::string incomplete_runtime_note(const PredictionSummary& s) {
  if (s.without_model == 0) return "";
  std::string kinds;
  for (const auto& [kind, count] : s.without_model_kinds) {
    kinds += (kinds.empty() ? "" : ", ") + kind + " " + std::to_string(count);
  }
  return std::to_string(s.without_model) + " of " + plural(s.layers, "layer") + " (" + kinds +
         ") " +
         (s.without_model == 1 ? "has no runtime model and counts"
                               : "have no runtime model and count") +
         " as 0 ms";
}

std::vector<SummaryLine> summary_lines(const NetworkPrediction& p, const PredictionSummary& s) {
  std::vector<SummaryLine> lines;
  std::string runtime = fixed(p.runtime_ms, 4) + " ms over " + plural(s.layers, "layer");
  if (s.without_model > 0) runtime += ", incomplete: " + incomplete_runtime_note(s);
  lines.push_back({"runtime", runtime});
  if (!p.unmodelled_nodes.empty()) {
    lines.push_back({"not modelled", p.unmodelled_nodes + " (their time is not counted)"});
  }
  if (!p.power_w) {
    lines.push_back({"power", "not predicted: the model gives no layer a power (runtime only)"});
    lines.push_back({"energy", "not predicted"});
    return lines;
  }
  std::string power = fixed(*p.power_w, 1) + " W";
  std::string energy = fixed(*p.energy_mj, 3) + " mJ";
  if (p.runtime_without_power_ms > 0) {
    power += " over the " + plural(s.with_power, "layer") + " with a power prediction (" +
             percent_of(p.runtime_ms - p.runtime_without_power_ms, p.runtime_ms) +
             " of the runtime)";
    energy += " over the same layers, incomplete";
  } else if (s.without_model > 0) {
    energy += ", incomplete like the runtime";
  } else {
    energy += " (" + fixed(*p.energy_mj / static_cast<double>(std::max<int64_t>(1, p.batch)), 3) +
              " mJ per item)";
  }
  lines.push_back({"power", power});
  lines.push_back({"energy", energy});
  return lines;
}

}  // namespace np
