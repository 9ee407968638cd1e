#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/epr.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/import.hpp"
#include "neuralpower/predict.hpp"
#include "neuralpower/table.hpp"

namespace np::cli {
namespace {

struct EprArguments {
  std::string from_csv;
  std::vector<std::string> networks;  // NET=ERROR
  std::string model;
  int64_t batch = 0;
  std::vector<double> alphas{1, 2, 3, 4};
  int decimals = 3;
  OutputFormat format = OutputFormat::table;
};

std::string alpha_label(double alpha) {
  std::ostringstream text;
  text << alpha;
  return text.str();
}

std::string render(const std::vector<EprCandidate>& candidates, const std::vector<EprScore>& scores,
                   const EprArguments& args) {
  if (args.format == OutputFormat::json) {
    nlohmann::ordered_json doc;
    doc["alphas"] = args.alphas;
    doc["candidates"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < candidates.size(); ++i) {
      nlohmann::ordered_json m, rank;
      for (const auto& s : scores) {
        m[alpha_label(s.alpha)] = s.m[i];
        rank[alpha_label(s.alpha)] = s.ranks[i];
      }
      doc["candidates"].push_back({{"name", candidates[i].name},
                                   {"error", candidates[i].error},
                                   {"epi_mj", candidates[i].epi_mj},
                                   {"m", m},
                                   {"rank", rank}});
    }
    nlohmann::ordered_json best;
    for (const auto& s : scores) {
      for (size_t i = 0; i < candidates.size(); ++i) {
        if (s.ranks[i] == 1) best[alpha_label(s.alpha)] = candidates[i].name;
      }
    }
    doc["best"] = best;
    return doc.dump(2) + "\n";
  }
  std::vector<Column> columns{{"network"}, {"error", Align::right}, {"EPI (mJ)", Align::right}};
  for (const auto& s : scores) columns.push_back({"M alpha=" + alpha_label(s.alpha), Align::right});
  Table table(columns);
  for (size_t i = 0; i < candidates.size(); ++i) {
    std::vector<std::string> row{candidates[i].name, fixed(100 * candidates[i].error, 2) + "%",
                                 fixed(candidates[i].epi_mj, 1)};
    for (const auto& s : scores) {
      row.push_back(fixed(s.m[i], args.decimals) + (s.ranks[i] == 1 ? " *" : "  "));
    }
    table.add_row(row);
  }
  if (args.format == OutputFormat::csv) return table.to_csv();
  if (args.format == OutputFormat::markdown) return table.to_markdown();
  return table.to_text() + "M = Error^alpha x EPI (paper eq. 9); * marks the best per alpha\n";
}

}  // namespace

Runner add_epr_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "epr", "rank networks by Energy-Precision Ratio M = Error^alpha x EPI (paper eq. 9)");
  auto args = std::make_shared<EprArguments>();
  auto* from = command->add_option("--from", args->from_csv, "CSV with columns name,error,epi_mj")
                   ->check(CLI::ExistingFile);
  auto* nets = command->add_option(
      "NET=ERROR", args->networks,
      "networks with their classification error (vgg-16=7.3%); EPI is predicted with --model "
      "as the network's energy divided by its batch");
  from->excludes(nets);
  command->add_option("--model", args->model, "model file predicting the networks' energy")
      ->check(CLI::ExistingFile);
  command->add_option("--batch", args->batch, "batch size of every network (default: its own)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  command->add_option("--alpha", args->alphas, "alpha values (default 1,2,3,4)")->delimiter(',');
  command->add_option("--decimals", args->decimals, "decimals of M in tables")
      ->check(CLI::Range(0, 12));
  add_format_option(*command, args->format, true);
  return [args] {
    std::vector<EprCandidate> candidates;
    if (!args->from_csv.empty()) {
      std::ifstream in(args->from_csv);
      std::ostringstream text;
      text << in.rdbuf();
      candidates = read_epr_csv(text.str(), args->from_csv);
    } else {
      if (args->networks.empty()) throw Error("give --from CSV or NET=ERROR candidates");
      if (args->model.empty()) throw Error("NET=ERROR candidates need --model to predict EPI");
      const ModelFile model = read_model_file(args->model);
      for (const auto& spec : args->networks) {
        const auto eq = spec.rfind('=');
        if (eq == std::string::npos || eq == 0) {
          throw Error("candidate '" + spec + "' is not NET=ERROR (e.g. vgg-16=7.3%)");
        }
        ImportOptions options;
        if (args->batch > 0) options.batch = args->batch;
        const Network net = load_network(spec.substr(0, eq), options);
        const NetworkPrediction p = predict_network(net, model, args->model);
        if (!p.energy_mj || p.runtime_without_power_ms > 0) {
          throw Error("the model cannot predict the energy of '" + spec.substr(0, eq) +
                      "' (layers without a power prediction): EPI unknown");
        }
        candidates.push_back({spec.substr(0, eq), parse_error_rate(spec.substr(eq + 1)),
                              *p.energy_mj / static_cast<double>(net.batch())});
      }
    }
    std::cout << render(candidates, energy_precision_ratio(candidates, args->alphas), *args);
    return 0;
  };
}

}  // namespace np::cli
