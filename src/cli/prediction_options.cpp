#include "cli/prediction_options.hpp"

#include <filesystem>
#include <iostream>

#include "neuralpower/error.hpp"
#include "neuralpower/text_file.hpp"

namespace np::cli {

void PredictionSource::add_to(CLI::App& command) {
  command.add_option(
      "--model", model,
      "model file (default: the shipped H100 fp32 model, models/h100-sxm-fp32.json)");
  command.add_option("--baseline", baseline, "analytical baseline instead of a model")
      ->check(CLI::IsMember({"paleo"}));
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
  return predict_network(net, file, model_label(path, file));
}

void write_page(const std::string& path, const std::string& page, const std::string& what) {
  replace_file(path, page);
  std::cerr << "neuralpower: wrote " << what << " to " << path << " (" << (page.size() + 512) / 1024
            << " KiB, works offline)\n";
}

}  // namespace np::cli
