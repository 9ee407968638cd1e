// `neuralpower evaluate`: the paper's Tables 4-6 (and Figures 4-5 with --layers) from
// `profile nets` measurements and a model file.
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/evaluate.hpp"
#include "neuralpower/import.hpp"
#include "neuralpower/table.hpp"

namespace np::cli {
namespace {

using Json = nlohmann::ordered_json;

struct EvaluateArguments {
  std::vector<std::string> measured;
  std::string model;
  std::string gpu;
  bool layers = false;
  OutputFormat format = OutputFormat::table;
};

std::string value(const std::optional<double>& v, int decimals) {
  return v ? fixed(*v, decimals) : "-";
}

std::string error_text(const std::optional<double>& e) {
  if (!e) return "-";
  return (*e > 0 ? "+" : "") + fixed(*e, 2) + "%";
}

Json optional_json(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json rmspe_json(const Rmspe& r) {
  return {{"rmspe_pct", optional_json(r.rmspe)},
          {"accuracy_pct", optional_json(r.accuracy())},
          {"networks", r.count}};
}

std::string render_json(const std::vector<NetworkEvaluation>& evaluations,
                        const EvaluationSummary& s, const std::string& model_path, bool paleo) {
  Json networks = Json::array();
  for (const auto& e : evaluations) {
    Json layers = Json::array();
    for (const auto& l : e.layers) {
      layers.push_back({{"name", l.name},
                        {"kind", l.kind},
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

std::string render(const Table& table, OutputFormat format) {
  return format == OutputFormat::markdown ? table.to_markdown() : table.to_text();
}

std::string network_label(const NetworkEvaluation& e) { return e.network; }

std::string render_tables(const std::vector<NetworkEvaluation>& evaluations,
                          const EvaluationSummary& s, bool paleo, bool per_layer,
                          OutputFormat format) {
  std::string out;
  // Table 4: runtime.
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
    if (paleo) row.push_back(value(e.paleo_ms, 3));
    row.insert(row.end(),
               {fixed(e.predicted_ms, 3), fixed(e.sums.runtime_ms, 3), value(e.measured_ms, 3),
                error_text(percent_error(e.predicted_ms, e.sums.runtime_ms)),
                error_text(percent_error(e.predicted_ms, e.measured_ms))});
    if (paleo) row.push_back(error_text(percent_error(e.paleo_ms, e.measured_ms)));
    runtime.add_row(row);
  }
  out +=
      "Runtime (the paper's Table 4): predicted = sum of predicted T_n (eq. 3), sum of T_n = "
      "measured per layer (eq. 6), measured = end to end\n\n" +
      render(runtime, format);

  // Table 5: power.
  Table power({{"network"},
               {"batch", Align::right},
               {"predicted (W)", Align::right},
               {"layer-weighted (W)", Align::right},
               {"measured (W)", Align::right},
               {"err vs layers", Align::right},
               {"err vs measured", Align::right},
               {"layer coverage", Align::right}});
  for (const auto& e : evaluations) {
    power.add_row({network_label(e), std::to_string(e.batch), value(e.predicted_w, 2),
                   value(e.sums.power_w, 2), value(e.measured_w, 2),
                   error_text(percent_error(e.predicted_w, e.sums.power_w)),
                   error_text(percent_error(e.predicted_w, e.measured_w)),
                   e.sums.power_w ? fixed(100 * e.sums.power_coverage, 1) + "%" : "-"});
  }
  out +=
      "\nPower (Table 5): predicted = eq. 4, layer-weighted = sum P_n T_n / sum T_n (eq. 7), "
      "measured = P_avg over whole-network runs\n\n" +
      render(power, format);

  // Table 6: energy.
  Table energy({{"network"},
                {"batch", Align::right},
                {"predicted (mJ)", Align::right},
                {"sum P_n T_n (mJ)", Align::right},
                {"measured (mJ)", Align::right},
                {"err vs layers", Align::right},
                {"err vs measured", Align::right}});
  for (const auto& e : evaluations) {
    energy.add_row({network_label(e), std::to_string(e.batch), value(e.predicted_mj, 3),
                    value(e.sums.energy_mj, 3), value(e.measured_mj, 3),
                    error_text(percent_error(e.predicted_mj, e.sums.energy_mj)),
                    error_text(percent_error(e.predicted_mj, e.measured_mj))});
  }
  out +=
      "\nEnergy per run (Table 6): predicted = eq. 5, sum P_n T_n = eq. 8, measured = "
      "P_avg x T_total\n\n" +
      render(energy, format);

  // Accuracy over the networks.
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

  if (per_layer) {
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
        std::vector<std::string> row{l.name, l.kind, fixed(l.measured_ms, 4),
                                     value(l.predicted_ms, 4),
                                     error_text(percent_error(l.predicted_ms, l.measured_ms))};
        if (paleo) {
          row.push_back(value(l.paleo_ms, 4));
          row.push_back(error_text(percent_error(l.paleo_ms, l.measured_ms)));
        }
        row.insert(row.end(), {value(l.measured_w, 2), value(l.predicted_w, 2),
                               error_text(percent_error(l.predicted_w, l.measured_w))});
        t.add_row(row);
      }
      out += "\nPer layer, " + e.network + " batch " + std::to_string(e.batch) +
             " (the paper's Figures 4-5)\n\n" + render(t, format);
    }
  }
  out +=
      "\n'-' marks a value that was not measured or not predicted (no power meter, no "
      "model); errors are (predicted - measured) / measured\n";
  return out;
}

}  // namespace

Runner add_evaluate_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "evaluate", "network-level accuracy of a model against measurements (paper Tables 4-6)");
  auto args = std::make_shared<EvaluateArguments>();
  command->add_option("--measured", args->measured, "nets JSON files from `profile nets`")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--model", args->model, "model file from `train`")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--gpu", args->gpu,
                      "GPU spec for the Paleo column: a shipped id (titan-x, h100-sxm, ...) or a "
                      "JSON file; no Paleo column without it");
  command->add_flag("--layers", args->layers,
                    "also the per-layer comparison (the paper's Figures 4-5)");
  // Several tables: no single CSV shape fits them, so no csv format.
  const std::map<std::string, OutputFormat> formats{{"table", OutputFormat::table},
                                                    {"markdown", OutputFormat::markdown},
                                                    {"json", OutputFormat::json}};
  command->add_option("--format", args->format, "output format")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("table");
  return [args] {
    const ModelFile model = read_model_file(args->model);
    std::optional<GpuSpec> gpu;
    if (!args->gpu.empty()) gpu = find_gpu_spec(args->gpu);
    std::vector<NetworkEvaluation> evaluations;
    for (const auto& path : args->measured) {
      const NetsFile file = read_nets_file(path);
      if (file.platform.device != model.platform.device ||
          file.platform.backend != model.platform.backend ||
          file.platform.dtype != model.platform.dtype) {
        std::cerr << "warning: " << path << " was measured on '" << file.platform.device << "' ("
                  << file.platform.backend << ", " << file.platform.dtype << "), the model on '"
                  << model.platform.device << "' (" << model.platform.backend << ", "
                  << model.platform.dtype << ")\n";
      }
      for (const auto& measured : file.networks) {
        if (measured.failed) {
          std::cerr << "skipping " << measured.network << " batch " << measured.batch
                    << " (not measured: " << measured.failure_reason << ")\n";
          continue;
        }
        try {
          ImportOptions import;
          import.batch = measured.batch;
          const Network net = load_network(measured.spec, import);
          evaluations.push_back(evaluate_network(measured, net, model, gpu ? &*gpu : nullptr));
        } catch (...) {
          rethrow_with_context(path + ": network '" + measured.network + "'");
        }
      }
    }
    if (evaluations.empty()) throw Error("no measured network to evaluate");
    const EvaluationSummary summary = summarize(evaluations);
    if (args->format == OutputFormat::json) {
      std::cout << render_json(evaluations, summary, args->model, gpu.has_value());
    } else {
      std::cout << render_tables(evaluations, summary, gpu.has_value(), args->layers, args->format);
    }
    return 0;
  };
}

}  // namespace np::cli
