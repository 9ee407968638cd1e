#include "neuralpower/prediction_report.hpp"

#include <algorithm>
#include <charconv>

#include "neuralpower/error.hpp"
#include "neuralpower/json.hpp"
#include "report/prediction_summary.hpp"

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

// The shortest text that reads back as the same double: CSV cells are data, not display.
std::string number(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::string number_or_empty(const std::optional<double>& value) {
  return value ? number(*value) : "";
}

std::string prediction_json(const NetworkPrediction& p, const PredictionSummary& s) {
  Json layers = Json::array();
  for (const auto& l : p.layers) {
    layers.push_back({{"name", l.name},
                      {"index", l.id},
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
             {"runtime_without_power_ms", p.runtime_without_power_ms},
             {"layers", s.layers},
             {"layers_without_model", s.without_model}}}};
  if (!p.unmodelled_nodes.empty()) doc["unmodelled_nodes"] = p.unmodelled_nodes;
  if (!p.warnings.empty()) doc["warnings"] = p.warnings;
  return doc.dump(2) + "\n";
}

// The rows to show, in the order asked for. Sorted by energy, the layers without one come last
// in network order, and --top picks among the layers that have one.
std::vector<const LayerPrediction*> chosen_layers(const NetworkPrediction& p,
                                                  const PredictionReportOptions& options,
                                                  bool skip_zero_cost) {
  const bool by_energy = options.sort == LayerSort::energy;
  std::vector<const LayerPrediction*> rows;
  size_t with_energy = 0;
  for (const auto& l : p.layers) {
    const bool only_zero_cost =
        l.runtime_ms == 0 && l.flags.size() == 1 && l.flags[0] == "zero-cost";
    if (skip_zero_cost && only_zero_cost) continue;
    rows.push_back(&l);
    with_energy += l.energy_mj.has_value();
  }
  if (by_energy && with_energy == 0) {
    throw Error("no layer of '" + p.network +
                "' has a predicted energy (the model gives no power): sort by runtime or order");
  }
  auto larger = [&](const LayerPrediction* a, const LayerPrediction* b) {
    if (!by_energy) return a->runtime_ms > b->runtime_ms;
    if (a->energy_mj && b->energy_mj) return *a->energy_mj > *b->energy_mj;
    return a->energy_mj.has_value() && !b->energy_mj.has_value();
  };
  if (options.sort != LayerSort::order || options.top > 0) {
    std::stable_sort(rows.begin(), rows.end(), larger);
  }
  if (options.top > 0) {
    rows.resize(std::min({rows.size(), options.top, by_energy ? with_energy : rows.size()}));
    if (options.sort == LayerSort::order) {
      std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->id < b->id; });
    }
  }
  return rows;
}

std::string csv_report(const NetworkPrediction& p, const PredictionReportOptions& options) {
  Table table({{"index"},
               {"layer"},
               {"kind"},
               {"runtime_ms"},
               {"runtime_share"},
               {"power_w"},
               {"energy_mj"},
               {"energy_share"},
               {"flags"}});
  for (const LayerPrediction* l : chosen_layers(p, options, false)) {
    table.add_row(
        {std::to_string(l->id), l->name, std::string(to_string(l->kind)), number(l->runtime_ms),
         p.runtime_ms > 0 ? number(l->runtime_ms / p.runtime_ms) : "", number_or_empty(l->power_w),
         number_or_empty(l->energy_mj),
         l->energy_mj && p.energy_mj && *p.energy_mj > 0 ? number(*l->energy_mj / *p.energy_mj)
                                                         : "",
         join(l->flags, " ")});
  }
  return table.to_csv();
}

// Markers of the flags that every listed layer with a runtime model has are left off the rows:
// the legend says them once.
std::string common_markers(const std::vector<const LayerPrediction*>& rows,
                           const PredictionSummary& s) {
  std::vector<const LayerPrediction*> modelled;
  for (const LayerPrediction* l : rows) {
    if (l->has_runtime_model()) modelled.push_back(l);
  }
  std::string common;
  if (modelled.size() < 2) return common;
  for (const FlagCount& flag : s.flags) {
    const bool everywhere =
        std::all_of(modelled.begin(), modelled.end(), [&](const LayerPrediction* l) {
          return flag_markers(*l).find(flag.marker) != std::string::npos;
        });
    if (everywhere) common += flag.marker;
  }
  return common;
}

// One line a flag: marker, name, how many layers, what it means; aligned for the text table,
// with the marker as code for markdown.
std::vector<std::string> legend_lines(const PredictionSummary& s, const std::string& common,
                                      bool markdown) {
  std::vector<std::string> lines;
  size_t name_width = 0;
  for (const FlagCount& flag : s.flags) name_width = std::max(name_width, flag.flag.size());
  for (const FlagCount& flag : s.flags) {
    const std::string count =
        std::to_string(flag.layers) + (flag.layers == 1 ? " layer" : " layers");
    const bool listed = flag.marker != 'z';
    std::string line;
    if (markdown) {
      line = (listed ? "`" + std::string(1, flag.marker) + "` " : std::string()) + flag.flag +
             " (" + count + ")";
    } else {
      line = std::string(1, listed ? flag.marker : ' ') + "  " + flag.flag +
             std::string(name_width - flag.flag.size(), ' ') + "  " + count;
    }
    if (!listed) {
      line += ": not listed (nothing to compute; --format csv lists them)";
      lines.push_back(line);
      continue;
    }
    line += ": " + flag.meaning;
    if (!flag.features.empty()) {
      std::string features;
      for (const auto& [feature, layers] : flag.features) {
        features += (features.empty() ? "" : ", ") + feature + " " + std::to_string(layers);
      }
      line += " (" + features + ")";
    }
    if (common.find(flag.marker) != std::string::npos)
      line += "; every listed layer with a model, unmarked";
    lines.push_back(line);
  }
  return lines;
}

std::string sort_name(LayerSort sort) {
  switch (sort) {
    case LayerSort::order:
    case LayerSort::runtime:
      return "runtime";
    case LayerSort::energy:
      return "energy";
  }
  return "runtime";
}

// The human forms: text table and markdown.
std::string readable_report(const NetworkPrediction& p, const PredictionSummary& s,
                            OutputFormat format, const PredictionReportOptions& options) {
  const bool markdown = format == OutputFormat::markdown;
  const std::vector<const LayerPrediction*> rows = chosen_layers(p, options, true);
  const bool with_power = s.with_power > 0;
  const std::string common = common_markers(rows, s);
  const bool any_markers = std::any_of(rows.begin(), rows.end(), [&](const LayerPrediction* l) {
    return !flag_markers(*l, common).empty();
  });

  std::vector<Column> columns{{"#", Align::right},
                              {"layer"},
                              {"kind"},
                              {"runtime (ms)", Align::right},
                              {"% runtime", Align::right}};
  if (with_power) {
    columns.insert(
        columns.end(),
        {{"power (W)", Align::right}, {"energy (mJ)", Align::right}, {"% energy", Align::right}});
  }
  if (any_markers) columns.push_back({"flags"});
  Table table(columns);
  const double energy = p.energy_mj.value_or(0);
  double shown_runtime = 0, shown_energy = 0;
  for (const LayerPrediction* l : rows) {
    std::vector<std::string> cells{std::to_string(l->id), l->name, std::string(to_string(l->kind)),
                                   fixed(l->runtime_ms, 4), percent(l->runtime_ms, p.runtime_ms)};
    if (with_power) {
      cells.insert(cells.end(), {fixed_or_dash(l->power_w, 1), fixed_or_dash(l->energy_mj, 3),
                                 l->energy_mj ? percent(*l->energy_mj, energy) : "-"});
    }
    if (any_markers) cells.push_back(flag_markers(*l, common));
    table.add_row(cells);
    shown_runtime += l->runtime_ms;
    shown_energy += l->energy_mj.value_or(0);
  }
  table.add_separator();
  std::vector<std::string> total{"", "total", "", fixed(p.runtime_ms, 4), "100%"};
  if (with_power) {
    total.insert(total.end(), {fixed_or_dash(p.power_w, 1), fixed_or_dash(p.energy_mj, 3), "100%"});
  }
  if (any_markers) total.push_back("");
  table.add_row(total);

  const bool all_rows = options.top == 0 || rows.size() + static_cast<size_t>(s.zero_cost) >=
                                                static_cast<size_t>(s.layers);
  std::string shown;
  if (!all_rows) {
    shown = "the top " + std::to_string(rows.size()) + " of " + std::to_string(s.layers) +
            " layers by " + sort_name(options.sort) + ": " +
            (options.sort == LayerSort::energy
                 ? percent(shown_energy, energy) + " of the energy"
                 : percent(shown_runtime, p.runtime_ms) + " of the runtime");
  }
  const std::vector<std::string> legend = legend_lines(s, common, markdown);

  std::string out;
  if (markdown) {
    out += "### " + p.network + ", batch " + std::to_string(p.batch) + "\n\n";
    out += "model: " + p.model + "\n\n";
    for (const SummaryLine& line : summary_lines(p, s)) {
      out += "- " + line.label + ": " + line.text + "\n";
    }
    out += "\n" + table.to_markdown();
    if (!shown.empty()) out += "\nShown: " + shown + ".\n";
    if (!legend.empty()) {
      out += "\nFlags:\n\n";
      for (const std::string& line : legend) out += "- " + line + "\n";
    }
    out += "\nT = sum T_n; P = sum P_n T_n / sum T_n; E = sum P_n T_n (paper eqs. 3-5)\n";
    return out;
  }
  out += "network  " + p.network + ", batch " + std::to_string(p.batch) + "\n";
  out += "model    " + p.model + "\n";
  for (const SummaryLine& line : summary_lines(p, s)) {
    out += line.label + std::string(9 - std::min<size_t>(8, line.label.size()), ' ') + line.text +
           "\n";
  }
  out += "\n" + table.to_text();
  if (!shown.empty()) out += "shown: " + shown + "\n";
  if (!legend.empty()) {
    out += "\nflags:\n";
    for (const std::string& line : legend) out += "  " + line + "\n";
  }
  return out + "\nT = sum T_n; P = sum P_n T_n / sum T_n; E = sum P_n T_n (paper eqs. 3-5)\n";
}

}  // namespace

std::string prediction_report(const NetworkPrediction& p, OutputFormat format,
                              const PredictionReportOptions& options) {
  const PredictionSummary summary = summarize_prediction(p);
  if (format == OutputFormat::json) return prediction_json(p, summary);
  if (format == OutputFormat::csv) return csv_report(p, options);
  return readable_report(p, summary, format, options);
}

}  // namespace np
