// `neuralpower epr`: candidates ranked by Energy-Precision Ratio (paper eq. 9, Table 7), from a
// CSV or from networks whose energy a model predicts.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "cli/prediction_options.hpp"
#include "neuralpower/epr_report.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/predict.hpp"
#include "neuralpower/report_page.hpp"
#include "neuralpower/text_file.hpp"

namespace np::cli {
namespace {

struct EprArguments {
  std::string from_csv;
  std::vector<std::string> networks;  // NET=ERROR
  std::string model;
  int64_t batch = 0;
  EprOptions options;
  EprReportOptions report;
  OutputFormat format = OutputFormat::table;
  std::string html;
};

// EPI = predicted energy / batch, for every NET=ERROR candidate.
std::vector<EprCandidate> predicted_candidates(const EprArguments& args) {
  if (args.networks.empty()) throw Error("give --from CSV or NET=ERROR candidates");
  if (args.model.empty()) throw Error("NET=ERROR candidates need --model to predict EPI");
  const ModelFile model = read_model_file(args.model);
  std::vector<EprCandidate> candidates;
  for (const auto& spec : args.networks) {
    const auto eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error("candidate '" + spec + "' is not NET=ERROR (e.g. vgg-16=7.3%)");
    }
    ImportOptions options;
    if (args.batch > 0) options.batch = args.batch;
    const Network net = load_network(spec.substr(0, eq), options);
    const NetworkPrediction p = predict_network(net, model, args.model);
    if (!p.energy_mj || p.runtime_without_power_ms > 0) {
      throw Error("the model cannot predict the energy of '" + spec.substr(0, eq) +
                  "' (layers without a power prediction): EPI unknown");
    }
    candidates.push_back({spec.substr(0, eq), parse_error_rate(spec.substr(eq + 1)),
                          *p.energy_mj / static_cast<double>(net.batch())});
  }
  return candidates;
}

}  // namespace

Runner add_epr_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "epr", "rank networks by Energy-Precision Ratio M = Error^alpha x EPI (paper eq. 9)");
  auto args = std::make_shared<EprArguments>();
  auto* from = command->add_option("--from", args->from_csv, "CSV with columns name,error,epi_mj")
                   ->check(existing_file());
  auto* nets = command->add_option(
      "NET=ERROR", args->networks,
      "networks with their classification error (vgg-16=7.3%); EPI is predicted with --model "
      "as the network's energy divided by its batch");
  from->excludes(nets);
  command->add_option("--model", args->model, "model file predicting the networks' energy")
      ->check(existing_file());
  command->add_option("--batch", args->batch, "batch size of every network (default: its own)")
      ->check(positive_integer());
  command->add_option("--alpha", args->options.alphas, "alpha values")
      ->delimiter(',')
      ->capture_default_str();
  command->add_option("--decimals", args->report.decimals, "decimals of M in tables")
      ->check(integer_in(0, 12))
      ->capture_default_str();
  command->add_option("--html", args->html,
                      "also write the ranking and the error-energy chart (the paper's Figure 1) "
                      "as one HTML file (works offline)");
  add_format_option(*command, args->format, true);
  return [args] {
    const std::vector<EprCandidate> candidates =
        args->from_csv.empty()
            ? predicted_candidates(*args)
            : read_epr_csv(read_text_file(args->from_csv, "candidates file"), args->from_csv);
    const std::vector<EprScore> scores = energy_precision_ratio(candidates, args->options.alphas);
    std::cout << epr_report(candidates, scores, args->format, args->report);
    if (!args->html.empty()) {
      write_page(args->html, epr_page(candidates, scores), "the EPR ranking");
    }
    return 0;
  };
}

}  // namespace np::cli
