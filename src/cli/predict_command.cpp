#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/paleo_baseline.hpp"
#include "neuralpower/predict.hpp"
#include "neuralpower/table.hpp"

namespace np::cli {
namespace {

struct PredictArguments {
  NetworkArguments net;
  std::string model;
  std::string baseline;
  std::string gpu = "h100-sxm";
  OutputFormat format = OutputFormat::table;
};

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string percent(double part, double whole) {
  return whole > 0 ? fixed(100.0 * part / whole, 1) + "%" : "-";
}

std::string optional_fixed(const std::optional<double>& v, int decimals) {
  return v ? fixed(*v, decimals) : "-";
}

std::string render(const NetworkPrediction& p, OutputFormat format) {
  if (format == OutputFormat::json) {
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const auto& l : p.layers) {
      layers.push_back({{"name", l.name},
                        {"kind", to_string(l.kind)},
                        {"runtime_ms", l.runtime_ms},
                        {"power_w", l.power_w ? nlohmann::ordered_json(*l.power_w) : nullptr},
                        {"energy_mj", l.energy_mj ? nlohmann::ordered_json(*l.energy_mj) : nullptr},
                        {"flags", l.flags}});
    }
    nlohmann::ordered_json doc{
        {"network", p.network},
        {"batch", p.batch},
        {"model", p.model},
        {"layers", layers},
        {"total",
         {{"runtime_ms", p.runtime_ms},
          {"power_w", p.power_w ? nlohmann::ordered_json(*p.power_w) : nullptr},
          {"energy_mj", p.energy_mj ? nlohmann::ordered_json(*p.energy_mj) : nullptr},
          {"runtime_without_power_ms", p.runtime_without_power_ms}}}};
    return doc.dump(2) + "\n";
  }
  const double energy = p.energy_mj.value_or(0);
  Table table({{"layer"},
               {"kind"},
               {"runtime (ms)", Align::right},
               {"share", Align::right},
               {"power (W)", Align::right},
               {"energy (mJ)", Align::right},
               {"share", Align::right},
               {"flags"}});
  for (const auto& l : p.layers) {
    if (format == OutputFormat::table && l.runtime_ms == 0 && l.flags.size() == 1 &&
        l.flags[0] == "zero-cost") {
      continue;  // views and no-ops clutter the table; csv/json keep them
    }
    table.add_row({l.name, std::string(to_string(l.kind)), fixed(l.runtime_ms, 4),
                   percent(l.runtime_ms, p.runtime_ms), optional_fixed(l.power_w, 1),
                   optional_fixed(l.energy_mj, 3),
                   l.energy_mj ? percent(*l.energy_mj, energy) : "-", join(l.flags, " ")});
  }
  table.add_separator();
  table.add_row({"total", "", fixed(p.runtime_ms, 4), "100%", optional_fixed(p.power_w, 1),
                 optional_fixed(p.energy_mj, 3), p.energy_mj ? "100%" : "-", ""});
  if (format == OutputFormat::csv) return table.to_csv();
  std::string text = format == OutputFormat::markdown ? table.to_markdown() : table.to_text();
  std::string header =
      "network " + p.network + ", batch " + std::to_string(p.batch) + ", model " + p.model + "\n\n";
  std::string footer;
  if (!p.power_w) {
    footer += "no power prediction (runtime only)\n";
  } else if (p.runtime_without_power_ms > 0) {
    footer += "power and energy cover the layers with a power prediction; " +
              fixed(p.runtime_without_power_ms, 4) + " ms of runtime has none\n";
  }
  footer += "T = sum T_n; P = sum P_n T_n / sum T_n; E = sum P_n T_n (paper eqs. 3-5)\n";
  return (format == OutputFormat::markdown ? "" : header) + text +
         (format == OutputFormat::markdown ? "" : footer);
}

NetworkPrediction paleo_prediction(const Network& net, const GpuSpec& gpu) {
  NetworkPrediction p;
  p.network = net.name();
  p.batch = net.batch();
  p.model = "paleo baseline on " + gpu.name;
  const auto times = paleo_layer_times(net, gpu);
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    if (layer.kind == LayerKind::input) continue;
    LayerPrediction l;
    l.id = id;
    l.name = layer.name;
    l.kind = layer.kind;
    l.runtime_ms = times[static_cast<size_t>(id)].total_ms();
    if (l.runtime_ms == 0) l.flags.push_back("zero-cost");
    p.runtime_ms += l.runtime_ms;
    p.runtime_without_power_ms += l.runtime_ms;
    p.layers.push_back(std::move(l));
  }
  return p;
}

std::string default_model_path() {
  if (const char* env = std::getenv("NEURALPOWER_MODEL"); env && *env) return env;
  return std::string(NP_DATA_DIR) + "/models/h100-sxm-fp32.json";
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
  command->add_option("--gpu", args->gpu,
                      "GPU spec for --baseline paleo: a shipped id (titan-x, h100-sxm, h200-sxm, "
                      "...) or a JSON file");
  add_format_option(*command, args->format, true);
  return [args] {
    const Network net = args->net.load();
    NetworkPrediction prediction;
    if (args->baseline == "paleo") {
      prediction = paleo_prediction(net, find_gpu_spec(args->gpu));
    } else {
      const std::string path = args->model.empty() ? default_model_path() : args->model;
      if (args->model.empty() && !std::filesystem::exists(path)) {
        throw Error("no --model given and no shipped model at " + path);
      }
      const ModelFile model = read_model_file(path);
      prediction = predict_network(net, model,
                                   std::filesystem::path(path).filename().string() + " (" +
                                       model.platform.device + ", " + model.platform.dtype + ")");
    }
    std::cout << render(prediction, args->format);
    return 0;
  };
}

}  // namespace np::cli
