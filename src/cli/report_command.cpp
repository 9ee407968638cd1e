// `neuralpower report`: a network's prediction as one self-contained HTML page with charts.
#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "cli/prediction_options.hpp"
#include "neuralpower/report_page.hpp"

namespace np::cli {
namespace {

struct ReportArguments {
  NetworkArguments net;
  PredictionSource source;
  ReportPageOptions page;
  std::string output;
};

}  // namespace

Runner add_report_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "report", "a network's prediction as one HTML file with charts that works offline");
  auto args = std::make_shared<ReportArguments>();
  args->net.add_to(*command);
  args->source.add_to(*command);
  command->add_option("-o,--output", args->output, "the HTML file to write")->required();
  command->add_option("--top", args->page.top, "layers in the top-layer tables and charts")
      ->check(positive_integer())
      ->capture_default_str();
  return [args] {
    const NetworkPrediction prediction = args->source.predict(args->net.load());
    write_page(args->output, prediction_page(prediction, args->page),
               "the report of " + prediction.network);
    return 0;
  };
}

}  // namespace np::cli
