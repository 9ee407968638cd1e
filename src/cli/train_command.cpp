#include <chrono>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/table.hpp"
#include "neuralpower/train.hpp"

namespace np::cli {
namespace {

struct TrainArguments {
  std::vector<std::string> datasets;
  std::string output;
  std::vector<std::string> kinds;
  int max_degree = 4;
  int power_max_degree = 2;
  int folds = 10;
  std::string treatment = "auto";
  int min_rows = 10;
};

void print_summary(const ModelFile& file) {
  // The paper's Tables 2 and 3: model size, RMSPE and RMSE per layer kind, both targets.
  Table table({{"kind"},
               {"rows", Align::right},
               {"runtime size", Align::right},
               {"RMSPE", Align::right},
               {"RMSE (ms)", Align::right},
               {"K", Align::right},
               {"fit"},
               {"power size", Align::right},
               {"RMSPE", Align::right},
               {"RMSE (W)", Align::right},
               {"K", Align::right},
               {"fit"}});
  for (const auto& [kind, k] : file.kinds) {
    std::vector<std::string> row{std::string(to_string(kind)),
                                 k.runtime ? std::to_string(k.runtime->rows) : "-"};
    for (const auto* t : {&k.runtime, &k.power}) {
      if (*t) {
        const TargetModel& m = **t;
        row.insert(row.end(), {std::to_string(m.model.size()), fixed(m.cv_rmspe, 2) + "%",
                               fixed(m.cv_rmse, 4), std::to_string(m.model.degree),
                               m.log_inputs ? std::string("log-log")
                                            : std::string(to_string(m.model.treatment))});
      } else {
        row.insert(row.end(), {"-", "-", "-", "-", "-"});
      }
    }
    table.add_row(row);
  }
  std::cout << "Layer models (cross-validated, " << file.folds
            << " folds): the paper's Tables 2-3\n\n"
            << table.to_text();

  // The data of the paper's Figure 3: CV error per polynomial degree.
  Table degrees({{"kind"},
                 {"target"},
                 {"K", Align::right},
                 {"CV RMSE", Align::right},
                 {"CV RMSPE", Align::right},
                 {"size", Align::right}});
  for (const auto& [kind, k] : file.kinds) {
    for (const auto& [target, t] : {std::pair{"runtime_ms", &k.runtime}, {"power_w", &k.power}}) {
      if (!*t) continue;
      for (const auto& d : (*t)->by_degree) {
        degrees.add_row({std::string(to_string(kind)), target, std::to_string(d.degree),
                         fixed(d.cv_rmse, 4), fixed(d.cv_rmspe, 2) + "%",
                         std::to_string(d.model_size)});
      }
    }
  }
  std::cout << "\nCV error per degree (the paper's Figure 3), for the chosen fit\n\n"
            << degrees.to_text();
}

}  // namespace

Runner add_train_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "train", "fit per-layer-kind runtime and power models (Lasso, CV over degree and lambda)");
  auto args = std::make_shared<TrainArguments>();
  command->add_option("DATA", args->datasets, "dataset CSV files (from `profile layers`)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", args->output, "model file to write")->required();
  command->add_option("--kinds", args->kinds, "layer kinds to model (default: all with data)")
      ->delimiter(',');
  command->add_option("--max-degree", args->max_degree, "highest degree of runtime models (1..4)")
      ->check(CLI::Range(1, 4));
  command
      ->add_option("--power-max-degree", args->power_max_degree,
                   "highest degree of power models over [x, log2 x] (1..3; the paper's 2)")
      ->check(CLI::Range(1, 3));
  command->add_option("--folds", args->folds, "cross-validation folds")->check(CLI::Range(2, 100));
  command
      ->add_option("--treatment", args->treatment,
                   "target treatment: raw (the paper's), relative (1/y^2 weights), log, or auto "
                   "(all three; keep the lowest CV RMSPE)")
      ->check(CLI::IsMember({"auto", "raw", "relative", "log"}));
  command->add_option("--min-rows", args->min_rows, "fewest rows for a kind to get a model")
      ->check(CLI::Range(3, 1000000));
  return [args] {
    std::vector<LayerMeasurement> rows;
    int64_t failed = 0;
    for (const auto& path : args->datasets) {
      Dataset d = read_dataset(path);
      failed += d.failed_rows;
      std::move(d.rows.begin(), d.rows.end(), std::back_inserter(rows));
    }
    TrainOptions options;
    options.max_degree = args->max_degree;
    options.power_max_degree = args->power_max_degree;
    options.folds = args->folds;
    options.min_rows = static_cast<size_t>(args->min_rows);
    for (const auto& k : args->kinds) options.kinds.push_back(layer_kind_from_string(k));
    if (args->treatment != "auto") options.treatments = {parse_target_treatment(args->treatment)};
    std::cout << "training on " << rows.size() << " rows from " << args->datasets.size()
              << " file(s)"
              << (failed ? ", " + std::to_string(failed) + " failed rows skipped" : "") << "\n";
    const auto start = std::chrono::steady_clock::now();
    TrainReport report;
    const ModelFile file = train_models(rows, args->datasets, options, report);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    save_model_file(file, args->output);
    print_summary(file);
    for (const auto& note : report.notes) std::cout << "note: " << note << "\n";
    std::cout << "\nwrote " << args->output << " (model selection took " << fixed(seconds, 2)
              << " s)\n";
    return 0;
  };
}

}  // namespace np::cli
