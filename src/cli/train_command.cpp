// `neuralpower train`: per-layer-kind models from dataset CSVs, written as a model file.
#include <chrono>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/validators.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/table.hpp"
#include "neuralpower/train.hpp"
#include "neuralpower/training_report.hpp"

namespace np::cli {
namespace {

struct TrainArguments {
  std::vector<std::string> datasets;
  std::string output;
  std::vector<std::string> kinds;  // names, checked when the command runs
  std::string treatment = "auto";  // every one of TrainOptions::treatments
  TrainOptions options;
};

}  // namespace

Runner add_train_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "train", "fit per-layer-kind runtime and power models (Lasso, CV over degree and lambda)");
  auto args = std::make_shared<TrainArguments>();
  TrainOptions& o = args->options;
  command->add_option("DATA", args->datasets, "dataset CSV files (from `profile layers`)")
      ->required()
      ->check(existing_file());
  command->add_option("-o,--output", args->output, "model file to write")->required();
  command->add_option("--kinds", args->kinds, "layer kinds to model (default: all with data)")
      ->delimiter(',');
  command->add_option("--max-degree", o.max_degree, "highest degree of runtime models (1..4)")
      ->check(integer_in(1, 4))
      ->capture_default_str();
  command
      ->add_option("--power-max-degree", o.power_max_degree,
                   "highest degree of power models over [x, log2 x] (1..3; the paper's 2)")
      ->check(integer_in(1, 3))
      ->capture_default_str();
  command->add_option("--folds", o.folds, "cross-validation folds")
      ->check(integer_in(2, 100))
      ->capture_default_str();
  command
      ->add_option("--treatment", args->treatment,
                   "target treatment: raw (the paper's), relative (1/y^2 weights), log, or auto "
                   "(all three; keep the lowest CV RMSPE)")
      ->check(one_of({"auto", "raw", "relative", "log"}))
      ->capture_default_str();
  command->add_option("--min-rows", o.min_rows, "fewest rows for a kind to get a model")
      ->check(integer_in(3, 1000000))
      ->capture_default_str();
  return [args] {
    const Dataset data = read_datasets(args->datasets);
    TrainOptions options = args->options;
    for (const auto& k : args->kinds) options.kinds.push_back(layer_kind_from_string(k));
    if (args->treatment != "auto") options.treatments = {parse_target_treatment(args->treatment)};
    std::cout << "training on " << data.rows.size() << " rows from " << args->datasets.size()
              << " file(s)"
              << (data.failed_rows
                      ? ", " + std::to_string(data.failed_rows) + " failed rows skipped"
                      : "")
              << "\n";
    const auto start = std::chrono::steady_clock::now();
    TrainReport report;
    const ModelFile file = train_models(data.rows, args->datasets, options, report);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    save_model_file(file, args->output);
    std::cout << training_report(file);
    for (const auto& note : report.notes) std::cout << "note: " << note << "\n";
    std::cout << "\nwrote " << args->output << " (model selection took " << fixed(seconds, 2)
              << " s)\n";
    return 0;
  };
}

}  // namespace np::cli
