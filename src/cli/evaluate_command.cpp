// `neuralpower evaluate`: the paper's Tables 4-6 (and Figures 4-5 with --layers) from
// `profile nets` measurements and a model file.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "cli/prediction_options.hpp"
#include "neuralpower/evaluation_report.hpp"
#include "neuralpower/report_page.hpp"

namespace np::cli {
namespace {

struct EvaluateArguments {
  std::vector<std::string> measured;
  std::string model;
  std::string gpu;
  bool layers = false;
  std::string html;
  OutputFormat format = OutputFormat::table;
};

}  // namespace

Runner add_evaluate_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "evaluate", "network-level accuracy of a model against measurements (paper Tables 4-6)");
  auto args = std::make_shared<EvaluateArguments>();
  command->add_option("--measured", args->measured, "nets JSON files from `profile nets`")
      ->required()
      ->check(existing_file());
  command->add_option("--model", args->model, "model file from `train`")
      ->required()
      ->check(existing_file());
  command->add_option("--gpu", args->gpu,
                      "GPU spec for the Paleo column: a shipped id (titan-x, h100-sxm, ...) or a "
                      "JSON file; no Paleo column without it");
  command->add_flag("--layers", args->layers,
                    "also the per-layer comparison (the paper's Figures 4-5)");
  command->add_option("--html", args->html,
                      "also write the evaluation as one HTML file with charts (works offline)");
  // Several tables: no single CSV shape fits them, so no csv format.
  add_format_option(*command, args->format,
                    {OutputFormat::table, OutputFormat::markdown, OutputFormat::json});
  return [args] {
    const ModelFile model = read_model_file(args->model);
    std::optional<GpuSpec> gpu;
    if (!args->gpu.empty()) gpu = find_gpu_spec(args->gpu);
    const Evaluation evaluation =
        evaluate_measurements(args->measured, model, gpu ? &*gpu : nullptr, &std::cerr);
    std::cout << evaluation_report(evaluation, args->model, args->layers, args->format);
    if (!args->html.empty()) {
      write_page(args->html, evaluation_page(evaluation, args->model), "the evaluation");
    }
    return 0;
  };
}

}  // namespace np::cli
