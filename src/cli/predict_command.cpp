// `neuralpower predict`: a network's runtime, power and energy from a model file, or from the
// Paleo baseline.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/paleo_baseline.hpp"
#include "neuralpower/prediction_report.hpp"

namespace np::cli {
namespace {

struct PredictArguments {
  NetworkArguments net;
  std::string model;
  std::string baseline;
  std::string gpu = kDefaultPaleoGpu;
  OutputFormat format = OutputFormat::table;
};

NetworkPrediction predict(const PredictArguments& args, const Network& net) {
  if (args.baseline == "paleo") return paleo_prediction(net, find_gpu_spec(args.gpu));
  const std::string path = args.model.empty() ? default_model_path() : args.model;
  if (args.model.empty() && !std::filesystem::exists(path)) {
    throw Error("no --model given and no shipped model at " + path);
  }
  const ModelFile model = read_model_file(path);
  return predict_network(net, model, model_label(path, model));
}

}  // namespace

Runner add_predict_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "predict", "per-layer and network runtime, power and energy from a trained model");
  auto args = std::make_shared<PredictArguments>();
  args->net.add_to(*command);
  command->add_option(
      "--model", args->model,
      "model file (default: the shipped H100 fp32 model, models/h100-sxm-fp32.json)");
  command->add_option("--baseline", args->baseline, "analytical baseline instead of a model")
      ->check(CLI::IsMember({"paleo"}));
  command
      ->add_option("--gpu", args->gpu,
                   "GPU spec for --baseline paleo: a shipped id (titan-x, h100-sxm, h200-sxm, "
                   "...) or a JSON file")
      ->capture_default_str();
  add_format_option(*command, args->format, true);
  return [args] {
    std::cout << prediction_report(predict(*args, args->net.load()), args->format);
    return 0;
  };
}

}  // namespace np::cli
