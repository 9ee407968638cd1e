#include "cli/prediction_options.hpp"

#include <filesystem>
#include <iostream>

#include "cli/validators.hpp"
#include "neuralpower/backend_registry.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/text_file.hpp"

namespace np::cli {
namespace {

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
  if (here.empty() || here == "*") return;  // "*": NEURALPOWER_CPU_MODEL says do not compare
  const std::string theirs = without_thread_count(model.platform.device);
  if (theirs == here) return;
  p.warnings.push_back("model '" + path + "' was measured on '" + theirs + "' (" +
                       model.platform.backend + "), this machine's CPU is '" + here +
                       "': the prediction is for that CPU");
}

}  // namespace

void PredictionSource::add_to(CLI::App& command) {
  command.add_option(
      "--model", model,
      "model file (default: the shipped H100 fp32 model, models/h100-sxm-fp32.json)");
  command.add_option("--baseline", baseline, "analytical baseline instead of a model")
      ->check(one_of({"paleo"}));
  command
      .add_option("--gpu", gpu,
                  "GPU spec for --baseline paleo: a shipped id (titan-x, h100-sxm, h200-sxm, "
                  "...) or a JSON file")
      ->capture_default_str();
}

NetworkPrediction PredictionSource::predict(const Network& net) const {
  if (baseline == "paleo") return paleo_prediction(net, find_gpu_spec(gpu));
  const std::string path = model.empty() ? default_model_path() : model;
  if (model.empty() && !std::filesystem::exists(path)) {
    throw Error("no --model given and no shipped model at " + path);
  }
  const ModelFile file = read_model_file(path);
  NetworkPrediction p = predict_network(net, file, model_label(path, file));
  warn_about_platform(file, path, p);
  return p;
}

void write_page(const std::string& path, const std::string& page, const std::string& what) {
  replace_file(path, page);
  std::cerr << "neuralpower: wrote " << what << " to " << path << " (" << (page.size() + 512) / 1024
            << " KiB, works offline)\n";
}

}  // namespace np::cli
