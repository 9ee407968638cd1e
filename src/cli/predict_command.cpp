// `neuralpower predict`: a network's runtime, power and energy from a model file, or from the
// Paleo baseline.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/backend_registry.hpp"
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

// "AMD EPYC (1 thread)" -> "AMD EPYC": a CPU platform names its thread count.
std::string without_thread_count(const std::string& device) {
  const auto open = device.rfind(" (");
  if (open == std::string::npos || device.back() != ')') return device;
  const std::string inside = device.substr(open + 2, device.size() - open - 3);
  const auto space = inside.find(' ');
  const bool threads =
      space != std::string::npos && inside.find_first_not_of("0123456789") == space &&
      (inside.substr(space + 1) == "thread" || inside.substr(space + 1) == "threads");
  return threads ? device.substr(0, open) : device;
}

// A model measured on another machine predicts for that machine. Only the CPU's name can be
// told here for free; for other backends the report's header names the model's device.
void warn_about_platform(const ModelFile& model, const std::string& path, NetworkPrediction& p) {
  const std::string here = local_device_name(model.platform.backend);
  if (here.empty()) return;
  const std::string theirs = without_thread_count(model.platform.device);
  if (theirs == here) return;
  p.warnings.push_back("model '" + path + "' was measured on '" + theirs + "' (" +
                       model.platform.backend + "), this machine's CPU is '" + here +
                       "': the prediction is for that CPU");
}

NetworkPrediction predict(const PredictArguments& args, const Network& net) {
  if (args.baseline == "paleo") return paleo_prediction(net, find_gpu_spec(args.gpu));
  const std::string path = args.model.empty() ? default_model_path() : args.model;
  if (args.model.empty() && !std::filesystem::exists(path)) {
    throw Error("no --model given and no shipped model at " + path);
  }
  const ModelFile model = read_model_file(path);
  NetworkPrediction p = predict_network(net, model, model_label(path, model));
  warn_about_platform(model, path, p);
  return p;
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
      ->check(one_of({"paleo"}));
  command
      ->add_option("--gpu", args->gpu,
                   "GPU spec for --baseline paleo: a shipped id (titan-x, h100-sxm, h200-sxm, "
                   "...) or a JSON file")
      ->capture_default_str();
  add_format_option(*command, args->format, true);
  return [args] {
    const NetworkPrediction p = predict(*args, args->net.load());
    for (const auto& warning : p.warnings) std::cerr << "neuralpower: warning: " << warning << "\n";
    std::cout << prediction_report(p, args->format);
    return 0;
  };
}

}  // namespace np::cli
