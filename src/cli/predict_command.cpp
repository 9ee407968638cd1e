// `neuralpower predict`: a network's runtime, power and energy from a model file, or from the
// Paleo baseline.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "cli/prediction_options.hpp"
#include "cli/validators.hpp"
#include "neuralpower/prediction_report.hpp"

namespace np::cli {
namespace {

struct PredictArguments {
  NetworkArguments net;
  PredictionSource source;
  PredictionReportOptions report;
  OutputFormat format = OutputFormat::table;
};

}  // namespace

Runner add_predict_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "predict", "per-layer and network runtime, power and energy from a trained model");
  auto args = std::make_shared<PredictArguments>();
  args->net.add_to(*command);
  args->source.add_to(*command);
  command
      ->add_option("--top", args->report.top,
                   "only the K layers with the largest runtime (energy with --sort energy); 0: all")
      ->check(integer_in(0, int64_t{1} << 31))
      ->capture_default_str();
  add_choice_option(
      *command, "--sort", args->report.sort,
      {{"order", LayerSort::order}, {"runtime", LayerSort::runtime}, {"energy", LayerSort::energy}},
      "row order: the network's, or the largest runtime or energy first (table, "
      "csv, markdown; json keeps network order)");
  add_format_option(*command, args->format, true);
  return [args] {
    const NetworkPrediction p = args->source.predict(args->net.load());
    for (const auto& warning : p.warnings) std::cerr << "neuralpower: warning: " << warning << "\n";
    std::cout << prediction_report(p, args->format, args->report);
    return 0;
  };
}

}  // namespace np::cli
