#include "neuralpower/predict.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "neuralpower/cost.hpp"
#include "neuralpower/data_dir.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

std::vector<std::string> flag_names(const LayerEstimate& e, const std::vector<std::string>& names) {
  std::vector<std::string> flags;
  const std::pair<uint32_t, const char*> table[] = {
      {LayerEstimate::kZeroCost, "zero-cost"}, {LayerEstimate::kUnmodelled, "unmodelled"},
      {LayerEstimate::kNoModel, "no-model"},   {LayerEstimate::kNoPowerModel, "no-power-model"},
      {LayerEstimate::kClamped, "clamped"},    {LayerEstimate::kPowerClamped, "power-clamped"}};
  for (const auto& [bit, name] : table) {
    if (e.flags & bit) flags.emplace_back(name);
  }
  for (size_t i = 0; i < names.size() && i < 32; ++i) {
    if (e.extrapolated & (1u << i)) flags.push_back("extrapolated:" + names[i]);
  }
  return flags;
}

}  // namespace

NetworkPrediction predict_network(const Network& net, const ModelFile& model,
                                  const std::string& model_name) {
  const CompiledModel compiled(model);
  std::vector<LayerEstimate> estimates;
  try {
    compiled.estimate(net, estimates);
  } catch (...) {
    rethrow_with_context("predicting with " + model_name);
  }

  NetworkPrediction out;
  out.network = net.name();
  out.batch = net.batch();
  out.model = model_name;
  out.unmodelled_nodes = net.unmodelled_nodes().summary();
  std::optional<DataType> model_dtype;
  try {
    model_dtype = data_type_from_string(model.platform.dtype);
  } catch (const Error&) {
  }
  const std::string theirs = model.platform.dtype.empty() ? "unknown" : model.platform.dtype;
  if (model_dtype != net.dtype()) {
    out.warnings.push_back("the network is " + std::string(to_string(net.dtype())) +
                           ", the model was trained on " + theirs +
                           " measurements: the prediction prices it as " + theirs);
  }
  std::map<DataType, int> own_dtypes;  // layers computing in another type than the model's
  for (int id = 0; id < net.size(); ++id) {
    const auto& own = net.layer(id).dtype;
    if (own && *own != model_dtype) ++own_dtypes[*own];
  }
  if (!own_dtypes.empty()) {
    std::string counts;
    for (const auto& [dtype, count] : own_dtypes) {
      counts += (counts.empty() ? "" : " and ") + std::to_string(count) + " " +
                std::string(to_string(dtype));
    }
    out.warnings.push_back(counts +
                           " layers (a quantized network's) are priced by a model "
                           "trained on " +
                           theirs + " measurements, as " + theirs);
  }
  EnergySum sum;
  double all_flops = 0, missing_flops = 0;
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    if (layer.kind == LayerKind::input) continue;
    const LayerEstimate& e = estimates[static_cast<size_t>(id)];
    LayerPrediction p;
    p.id = id;
    p.name = layer.name;
    p.kind = layer.kind;
    p.runtime_ms = e.runtime_ms;
    p.estimate_flags = e.flags;
    const KindModel* k = model.find(layer.kind);
    p.flags = flag_names(e, k ? k->features : std::vector<std::string>{});
    if (e.flags & LayerEstimate::kZeroCost) p.energy_mj = 0;
    if (e.has_power) {
      p.power_w = e.power_w;
      p.energy_mj = e.power_w * e.runtime_ms;
    }
    if (!(e.flags & LayerEstimate::kZeroCost)) {
      ++out.costed_layers;
      const double flops =
          is_modelled_kind(layer.kind) ? static_cast<double>(layer_cost(net, id).flops) : 0.0;
      all_flops += flops;
      if (!p.has_runtime_model()) {
        ++out.layers_without_model;
        missing_flops += flops;
        if (std::find(out.kinds_without_model.begin(), out.kinds_without_model.end(), layer.kind) ==
            out.kinds_without_model.end()) {
          out.kinds_without_model.push_back(layer.kind);
        }
      }
    }
    sum.add(p.runtime_ms, p.power_w);
    out.layers.push_back(std::move(p));
  }
  out.flops_share_without_model = all_flops > 0 ? missing_flops / all_flops : 0.0;
  out.runtime_ms = sum.runtime_ms();
  out.runtime_without_power_ms = sum.runtime_without_power_ms();
  out.power_w = sum.power_w();
  out.energy_mj = sum.energy_mj();
  if (!std::isfinite(out.runtime_ms) || (out.energy_mj && !std::isfinite(*out.energy_mj))) {
    throw Error("model '" + model_name + "': the network's total runtime or energy overflows (" +
                std::to_string(out.runtime_ms) + " ms): the model's coefficients are too large");
  }
  return out;
}

void EnergySum::add(double runtime_ms, const std::optional<double>& power_w) {
  runtime_ms_ += runtime_ms;
  if (power_w) {
    energy_mj_ += *power_w * runtime_ms;  // W x ms = mJ
    powered_ms_ += runtime_ms;
  } else {
    unpowered_ms_ += runtime_ms;
  }
}

std::optional<double> EnergySum::power_w() const {
  if (powered_ms_ <= 0) return std::nullopt;
  return energy_mj_ / powered_ms_;
}

std::optional<double> EnergySum::energy_mj() const {
  if (powered_ms_ <= 0) return std::nullopt;
  return energy_mj_;
}

std::string default_model_path() {
  return env_or("NEURALPOWER_MODEL", shipped_path("models/h100-sxm-fp32.json"));
}

std::string model_label(const std::string& path, const ModelFile& model) {
  return std::filesystem::path(path).filename().string() + " (" + model.platform.device + ", " +
         model.platform.dtype + ")";
}

}  // namespace np
