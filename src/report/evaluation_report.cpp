#include "neuralpower/evaluation_report.hpp"

#include "neuralpower/json.hpp"

namespace np {
namespace {

using json::Json;
using json::optional_json;

std::string error_text(const std::optional<double>& e) {
  if (!e) return "-";
  return (*e > 0 ? "+" : "") + fixed(*e, 2) + "%";
}

Json rmspe_json(const Rmspe& r) {
  return {{"rmspe_pct", optional_json(r.rmspe)},
          {"accuracy_pct", optional_json(r.accuracy())},
          {"networks", r.count}};
}

std::string json_report(const std::vector<NetworkEvaluation>& evaluations,
                        const EvaluationSummary& s, const std::string& model_path, bool paleo) {
  Json networks = Json::array();
  for (const auto& e : evaluations) {
    Json layers = Json::array();
    for (const auto& l : e.layers) {
      layers.push_back({{"name", l.name},
                        {"kind", to_string(l.kind)},
                        {"measured_ms", l.measured_ms},
                        {"predicted_ms", optional_json(l.predicted_ms)},
                        {"paleo_ms", optional_json(l.paleo_ms)},
                        {"measured_w", optional_json(l.measured_w)},
                        {"predicted_w", optional_json(l.predicted_w)},
                        {"flags", l.flags}});
    }
    networks.push_back({{"network", e.network},
                        {"batch", e.batch},
                        {"runtime_ms",
                         {{"paleo", optional_json(e.paleo_ms)},
                          {"predicted", e.predicted_ms},
                          {"layer_sum", e.sums.runtime_ms},
                          {"measured", optional_json(e.measured_ms)}}},
                        {"power_w",
                         {{"predicted", optional_json(e.predicted_w)},
                          {"layer_sum", optional_json(e.sums.power_w)},
                          {"measured", optional_json(e.measured_w)},
                          {"layer_power_coverage", e.sums.power_coverage}}},
                        {"energy_mj",
                         {{"predicted", optional_json(e.predicted_mj)},
                          {"layer_sum", optional_json(e.sums.energy_mj)},
                          {"measured", optional_json(e.measured_mj)}}},
                        {"layers", layers}});
  }
  Json summary{{"runtime",
                {{"vs_measured", rmspe_json(s.runtime_vs_measured)},
                 {"vs_layer_sum", rmspe_json(s.runtime_vs_sum)}}},
               {"power",
                {{"vs_measured", rmspe_json(s.power_vs_measured)},
                 {"vs_layer_sum", rmspe_json(s.power_vs_sum)}}},
               {"energy",
                {{"vs_measured", rmspe_json(s.energy_vs_measured)},
                 {"vs_layer_sum", rmspe_json(s.energy_vs_sum)}}}};
  if (paleo) summary["paleo_runtime"] = {{"vs_measured", rmspe_json(s.paleo_vs_measured)}};
  const Json doc{{"model", model_path}, {"networks", networks}, {"summary", summary}};
  return doc.dump(2) + "\n";
}

std::string network_label(const NetworkEvaluation& e) { return e.network; }

// Table 4: runtime.
std::string runtime_table(const std::vector<NetworkEvaluation>& evaluations, bool paleo,
                          OutputFormat format) {
  std::string out;
  std::vector<Column> columns{{"network"}, {"batch", Align::right}};
  if (paleo) columns.push_back({"Paleo (ms)", Align::right});
  for (const char* title :
       {"predicted (ms)", "sum of T_n (ms)", "measured (ms)", "err vs sum", "err vs measured"}) {
    columns.push_back({title, Align::right});
  }
  if (paleo) columns.push_back({"Paleo err", Align::right});
  Table runtime(columns);
  for (const auto& e : evaluations) {
    std::vector<std::string> row{network_label(e), std::to_string(e.batch)};
    if (paleo) row.push_back(fixed_or_dash(e.paleo_ms, 3));
    row.insert(row.end(), {fixed(e.predicted_ms, 3), fixed(e.sums.runtime_ms, 3),
                           fixed_or_dash(e.measured_ms, 3),
                           error_text(percent_error(e.predicted_ms, e.sums.runtime_ms)),
                           error_text(percent_error(e.predicted_ms, e.measured_ms))});
    if (paleo) row.push_back(error_text(percent_error(e.paleo_ms, e.measured_ms)));
    runtime.add_row(row);
  }
  out +=
      "Runtime (the paper's Table 4): predicted = sum of predicted T_n (eq. 3), sum of T_n = "
      "measured per layer (eq. 6), measured = end to end\n\n" +
      render(runtime, format);

  return out;
}

// Table 5: power.
std::string power_table(const std::vector<NetworkEvaluation>& evaluations, OutputFormat format) {
  std::string out;
  Table power({{"network"},
               {"batch", Align::right},
               {"predicted (W)", Align::right},
               {"layer-weighted (W)", Align::right},
               {"measured (W)", Align::right},
               {"err vs layers", Align::right},
               {"err vs measured", Align::right},
               {"layer coverage", Align::right}});
  for (const auto& e : evaluations) {
    power.add_row({network_label(e), std::to_string(e.batch), fixed_or_dash(e.predicted_w, 2),
                   fixed_or_dash(e.sums.power_w, 2), fixed_or_dash(e.measured_w, 2),
                   error_text(percent_error(e.predicted_w, e.sums.power_w)),
                   error_text(percent_error(e.predicted_w, e.measured_w)),
                   e.sums.power_w ? fixed(100 * e.sums.power_coverage, 1) + "%" : "-"});
  }
  out +=
      "\nPower (Table 5): predicted = eq. 4, layer-weighted = sum P_n T_n / sum T_n (eq. 7), "
      "measured = P_avg over whole-network runs\n\n" +
      render(power, format);

  return out;
}

// Table 6: energy.
std::string energy_table(const std::vector<NetworkEvaluation>& evaluations, OutputFormat format) {
  std::string out;
  Table energy({{"network"},
                {"batch", Align::right},
                {"predicted (mJ)", Align::right},
                {"sum P_n T_n (mJ)", Align::right},
                {"measured (mJ)", Align::right},
                {"err vs layers", Align::right},
                {"err vs measured", Align::right}});
  for (const auto& e : evaluations) {
    energy.add_row({network_label(e), std::to_string(e.batch), fixed_or_dash(e.predicted_mj, 3),
                    fixed_or_dash(e.sums.energy_mj, 3), fixed_or_dash(e.measured_mj, 3),
                    error_text(percent_error(e.predicted_mj, e.sums.energy_mj)),
                    error_text(percent_error(e.predicted_mj, e.measured_mj))});
  }
  out +=
      "\nEnergy per run (Table 6): predicted = eq. 5, sum P_n T_n = eq. 8, measured = "
      "P_avg x T_total\n\n" +
      render(energy, format);

  return out;
}

// Accuracy over the networks.
std::string accuracy_table(const EvaluationSummary& s, bool paleo, OutputFormat format) {
  std::string out;
  Table summary({{"target"},
                 {"RMSPE vs measured", Align::right},
                 {"accuracy", Align::right},
                 {"networks", Align::right},
                 {"RMSPE vs layer sums", Align::right},
                 {"accuracy", Align::right},
                 {"networks", Align::right}});
  auto add = [&](const std::string& name, const Rmspe& measured, const Rmspe* sums) {
    summary.add_row({name, measured.rmspe ? fixed(*measured.rmspe, 2) + "%" : "-",
                     measured.accuracy() ? fixed(*measured.accuracy(), 2) + "%" : "-",
                     std::to_string(measured.count),
                     sums && sums->rmspe ? fixed(*sums->rmspe, 2) + "%" : "-",
                     sums && sums->accuracy() ? fixed(*sums->accuracy(), 2) + "%" : "-",
                     sums ? std::to_string(sums->count) : "-"});
  };
  add("runtime", s.runtime_vs_measured, &s.runtime_vs_sum);
  add("power", s.power_vs_measured, &s.power_vs_sum);
  add("energy", s.energy_vs_measured, &s.energy_vs_sum);
  if (paleo) add("runtime (Paleo)", s.paleo_vs_measured, nullptr);
  out +=
      "\nAccuracy over the networks: 100% - RMSPE (the paper: 88.24% runtime, 88.34% power, "
      "97.21% energy)\n\n" +
      render(summary, format);

  return out;
}

// The paper's Figures 4-5: one table per network.
std::string layer_tables(const std::vector<NetworkEvaluation>& evaluations, bool paleo,
                         OutputFormat format) {
  std::string out;
  for (const auto& e : evaluations) {
    std::vector<Column> lc{{"layer"},
                           {"kind"},
                           {"T_n (ms)", Align::right},
                           {"predicted (ms)", Align::right},
                           {"err", Align::right}};
    if (paleo) {
      lc.push_back({"Paleo (ms)", Align::right});
      lc.push_back({"Paleo err", Align::right});
    }
    for (const char* title : {"P_n (W)", "predicted (W)", "err"}) {
      lc.push_back({title, Align::right});
    }
    Table t(lc);
    for (const auto& l : e.layers) {
      if (l.measured_ms == 0 && (!l.predicted_ms || *l.predicted_ms == 0)) continue;
      std::vector<std::string> row{l.name, std::string(to_string(l.kind)), fixed(l.measured_ms, 4),
                                   fixed_or_dash(l.predicted_ms, 4),
                                   error_text(percent_error(l.predicted_ms, l.measured_ms))};
      if (paleo) {
        row.push_back(fixed_or_dash(l.paleo_ms, 4));
        row.push_back(error_text(percent_error(l.paleo_ms, l.measured_ms)));
      }
      row.insert(row.end(), {fixed_or_dash(l.measured_w, 2), fixed_or_dash(l.predicted_w, 2),
                             error_text(percent_error(l.predicted_w, l.measured_w))});
      t.add_row(row);
    }
    out += "\nPer layer, " + e.network + " batch " + std::to_string(e.batch) +
           " (the paper's Figures 4-5)\n\n" + render(t, format);
  }
  return out;
}

std::string table_report(const std::vector<NetworkEvaluation>& evaluations,
                         const EvaluationSummary& s, bool paleo, bool per_layer,
                         OutputFormat format) {
  std::string out = runtime_table(evaluations, paleo, format) + power_table(evaluations, format) +
                    energy_table(evaluations, format) + accuracy_table(s, paleo, format);
  if (per_layer) out += layer_tables(evaluations, paleo, format);
  return out +
         "\n'-' marks a value that was not measured or not predicted (no power meter, no "
         "model); errors are (predicted - measured) / measured\n";
}

}  // namespace

std::string evaluation_report(const Evaluation& evaluation, const std::string& model_path,
                              bool per_layer, OutputFormat format) {
  if (format == OutputFormat::json) {
    return json_report(evaluation.networks, evaluation.summary, model_path, evaluation.paleo);
  }
  return table_report(evaluation.networks, evaluation.summary, evaluation.paleo, per_layer, format);
}

}  // namespace np
