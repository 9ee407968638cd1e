#include "neuralpower/report_page.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "neuralpower/table.hpp"
#include "neuralpower/version.hpp"
#include "report/html/charts.hpp"
#include "report/html/html_page.hpp"
#include "report/prediction_summary.hpp"

namespace np {
namespace {

using html::Chart;
using html::HtmlPage;
using html::LayerValues;
using html::Quantity;
using html::SummaryTable;

std::string generator() { return "neuralpower " + std::string(kVersion); }

std::string plural(size_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

std::string signed_percent(const std::optional<double>& value) {
  if (!value) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f%%", *value);
  return text;
}

std::string value_or_dash(const std::optional<double>& value) {
  return value ? html::format_value(*value) : "-";
}

bool only_zero_cost(const LayerPrediction& layer) {
  return layer.runtime_ms == 0 && layer.flags.size() == 1 && layer.flags[0] == "zero-cost";
}

std::string accuracy_text(const Rmspe& r) {
  if (!r.rmspe) return "not measured";
  char text[96];
  std::snprintf(text, sizeof text, "%.1f %% (RMSPE %.1f %% over %s)", *r.accuracy(), *r.rmspe,
                plural(static_cast<size_t>(r.count), "network").c_str());
  return text;
}

std::string alpha_label(double alpha) {
  std::ostringstream text;
  text << alpha;
  return text.str();
}

}  // namespace

std::string prediction_page(const NetworkPrediction& p, const ReportPageOptions& options) {
  const PredictionSummary s = summarize_prediction(p);
  std::vector<LayerValues> layers;
  for (const LayerPrediction& l : p.layers) {
    if (only_zero_cost(l)) continue;
    LayerValues values;
    values.name = l.name;
    values.kind = std::string(to_string(l.kind));
    values.order = static_cast<int>(layers.size());
    values.runtime_ms = l.runtime_ms;
    values.power_w = l.power_w;
    values.energy_mj = l.energy_mj;
    layers.push_back(std::move(values));
  }

  HtmlPage page;
  page.title = "NeuralPower prediction: " + p.network;
  page.subtitle = "batch " + std::to_string(p.batch) + " · model " + p.model;
  page.generator = generator();
  page.summary = {{"network", p.network}, {"batch", std::to_string(p.batch)}, {"model", p.model}};
  for (const SummaryLine& line : summary_lines(p, s))
    page.summary.push_back({line.label, line.text});
  for (const FlagCount& flag : s.flags) {
    std::string text = plural(static_cast<size_t>(flag.layers), "layer") + ": " + flag.meaning;
    if (!flag.features.empty()) {
      std::string features;
      for (const auto& [feature, count] : flag.features) {
        features += (features.empty() ? "" : ", ") + feature + " " + std::to_string(count);
      }
      text += " (" + features + ")";
    }
    page.summary.push_back({"flag " + flag.flag, text});
  }
  if (layers.empty()) {
    page.notes.push_back("Every layer of the network is zero-cost: there is nothing to chart.");
    return html::render_html_page(page);
  }
  const bool with_energy = html::count_with(layers, Quantity::energy) > 0;
  page.tables.push_back(html::kind_share_table(layers));
  page.tables.push_back(html::top_layers_table(layers, Quantity::runtime, options.top));
  if (with_energy) {
    page.tables.push_back(html::top_layers_table(layers, Quantity::energy, options.top));
  }
  page.charts.push_back(html::kind_share_chart(layers));
  page.charts.push_back(html::top_layers_chart(layers, Quantity::runtime, options.top));
  if (with_energy) {
    page.charts.push_back(html::top_layers_chart(layers, Quantity::energy, options.top));
  }
  page.charts.push_back(html::per_layer_chart(layers));

  if (s.zero_cost > 0) {
    page.notes.push_back(plural(static_cast<size_t>(s.zero_cost), "zero-cost layer") +
                         " (views and no-ops) are left out of the tables and charts.");
  }
  if (const std::string note = incomplete_runtime_note(s); !note.empty()) {
    page.notes.push_back(note + "; their bars are empty.");
  }
  if (!p.power_w) {
    page.notes.push_back("The model predicts no power for this network: runtime only.");
  }
  page.notes.push_back(
      "Network totals: T = sum T_n, P = sum P_n T_n / sum T_n, E = sum P_n T_n (paper eqs. 3-5); "
      "the positions in tooltips count the charted layers.");
  return html::render_html_page(page);
}

std::string evaluation_page(const Evaluation& evaluation, const std::string& model_path) {
  const EvaluationSummary& s = evaluation.summary;
  HtmlPage page;
  page.title = "NeuralPower evaluation against measurements";
  page.subtitle =
      "model " + model_path + " · " + plural(evaluation.networks.size(), "measured network");
  page.generator = generator();
  page.summary = {{"model", model_path},
                  {"networks", std::to_string(evaluation.networks.size())},
                  {"runtime accuracy", accuracy_text(s.runtime_vs_measured)},
                  {"power accuracy", accuracy_text(s.power_vs_measured)},
                  {"energy accuracy", accuracy_text(s.energy_vs_measured)}};
  if (evaluation.paleo) {
    page.summary.push_back({"Paleo runtime accuracy", accuracy_text(s.paleo_vs_measured)});
  }

  SummaryTable networks;
  networks.title = "Networks: predicted against measured end to end (the paper's Tables 4-6)";
  networks.columns = {"network", "batch", "measured (ms)", "predicted (ms)", "error"};
  if (evaluation.paleo) networks.columns.insert(networks.columns.end(), {"Paleo (ms)", "error"});
  const bool any_power =
      std::any_of(evaluation.networks.begin(), evaluation.networks.end(),
                  [](const auto& e) { return e.measured_w || e.predicted_w || e.sums.power_w; });
  if (any_power) {
    networks.columns.insert(networks.columns.end(),
                            {"measured (W)", "predicted (W)", "measured (mJ)", "predicted (mJ)"});
  }
  for (size_t c = 1; c < networks.columns.size(); ++c) networks.numeric_columns.push_back(c);

  std::vector<LayerValues> every_layer;
  std::vector<Chart> per_network;
  const html::SeriesNames names;
  for (const NetworkEvaluation& e : evaluation.networks) {
    std::vector<std::string> row = {e.network, std::to_string(e.batch),
                                    value_or_dash(e.measured_ms),
                                    html::format_value(e.predicted_ms),
                                    signed_percent(percent_error(e.predicted_ms, e.measured_ms))};
    if (evaluation.paleo) {
      row.push_back(value_or_dash(e.paleo_ms));
      row.push_back(signed_percent(percent_error(e.paleo_ms, e.measured_ms)));
    }
    if (any_power) {
      row.insert(row.end(), {value_or_dash(e.measured_w), value_or_dash(e.predicted_w),
                             value_or_dash(e.measured_mj), value_or_dash(e.predicted_mj)});
    }
    networks.rows.push_back(row);

    std::vector<LayerValues> layers;
    for (const LayerComparison& l : e.layers) {
      LayerValues values;
      values.name = l.name;
      values.kind = std::string(to_string(l.kind));
      values.order = static_cast<int>(layers.size());
      values.runtime_ms = l.predicted_ms.value_or(0);
      values.power_w = l.predicted_w;
      if (l.predicted_ms && l.predicted_w) values.energy_mj = *l.predicted_ms * *l.predicted_w;
      values.measured_ms = l.measured_ms;
      values.measured_w = l.measured_w;
      if (l.measured_w) values.measured_mj = l.measured_ms * *l.measured_w;
      values.baseline_ms = l.paleo_ms;
      layers.push_back(values);
      values.name = e.network + "/" + l.name;
      values.order = static_cast<int>(every_layer.size());
      every_layer.push_back(std::move(values));
    }
    if (layers.empty()) continue;
    Chart chart = html::comparison_chart(layers, names);
    chart.title = e.network + ", batch " + std::to_string(e.batch) + ": predicted and measured " +
                  "per layer";
    per_network.push_back(std::move(chart));
  }
  page.tables.push_back(networks);
  if (!every_layer.empty()) {
    Chart scatter = html::comparison_scatter(every_layer, names);
    scatter.title = "Every measured layer: " + scatter.title;
    page.charts.push_back(std::move(scatter));
  }
  for (Chart& chart : per_network) page.charts.push_back(std::move(chart));
  page.notes = {
      "Accuracy is 100 % minus the RMSPE over the networks, of the prediction against the "
      "end-to-end measurement (paper section 4.2).",
      "Per-layer values are measured in place inside the network run (runtime) and alone "
      "(power windows); a value that was not measured has no bar.",
      "A layer without a runtime model is drawn at 0 ms."};
  return html::render_html_page(page);
}

std::string epr_page(const std::vector<EprCandidate>& candidates,
                     const std::vector<EprScore>& scores) {
  HtmlPage page;
  page.title = "Energy-Precision Ratio";
  page.subtitle = plural(candidates.size(), "network") + " · M = Error^alpha x EPI (paper eq. 9)";
  page.generator = generator();
  page.summary = {{"networks", std::to_string(candidates.size())}};
  for (const EprScore& score : scores) {
    const auto best = std::find(score.ranks.begin(), score.ranks.end(), 1);
    if (best == score.ranks.end()) continue;
    page.summary.push_back({"best, alpha " + alpha_label(score.alpha),
                            candidates[static_cast<size_t>(best - score.ranks.begin())].name});
  }
  SummaryTable table;
  table.title = "Candidates: M per alpha (rank)";
  table.columns = {"network", "top-1 error", "EPI (mJ)"};
  for (const EprScore& score : scores)
    table.columns.push_back("M, alpha " + alpha_label(score.alpha));
  for (size_t c = 1; c < table.columns.size(); ++c) table.numeric_columns.push_back(c);
  std::vector<html::EprPoint> points;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const EprCandidate& c = candidates[i];
    std::vector<std::string> row = {c.name, fixed(100 * c.error, 2) + " %",
                                    html::format_value(c.epi_mj)};
    for (const EprScore& score : scores) {
      row.push_back(html::format_value(score.m[i]) + " (" + std::to_string(score.ranks[i]) + ")");
    }
    table.rows.push_back(row);
    points.push_back({c.name, 100 * c.error, c.epi_mj});
  }
  page.tables.push_back(table);
  Chart chart = html::epr_chart(points);
  chart.description =
      "Top-1 error and energy per image of each network (the paper's Figure 1). The line joins "
      "the networks that no other network beats on both error and energy.";
  chart.spec["description"] = chart.description;
  page.charts.push_back(std::move(chart));
  page.notes = {"A lower M is a better trade-off; a larger alpha weighs accuracy more.",
                "EPI: energy per classified image (a network's energy divided by its batch)."};
  return html::render_html_page(page);
}

}  // namespace np
