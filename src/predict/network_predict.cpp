#include <algorithm>

#include "neuralpower/compiled_model.hpp"
#include "neuralpower/predict.hpp"

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
  compiled.estimate(net, estimates);

  NetworkPrediction out;
  out.network = net.name();
  out.batch = net.batch();
  out.model = model_name;
  double energy = 0;
  double powered_runtime = 0;
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    if (layer.kind == LayerKind::input) continue;
    const LayerEstimate& e = estimates[static_cast<size_t>(id)];
    LayerPrediction p;
    p.id = id;
    p.name = layer.name;
    p.kind = layer.kind;
    p.runtime_ms = e.runtime_ms;
    const KindModel* k = model.find(layer.kind);
    p.flags = flag_names(e, k ? k->features : std::vector<std::string>{});
    if (e.flags & LayerEstimate::kZeroCost) p.energy_mj = 0;
    if (e.has_power) {
      p.power_w = e.power_w;
      p.energy_mj = e.power_w * e.runtime_ms;
      energy += *p.energy_mj;
      powered_runtime += e.runtime_ms;
    }
    out.runtime_ms += p.runtime_ms;
    if (!p.power_w) out.runtime_without_power_ms += p.runtime_ms;
    out.layers.push_back(std::move(p));
  }
  if (powered_runtime > 0) {
    out.power_w = energy / powered_runtime;
    out.energy_mj = energy;
  }
  return out;
}

}  // namespace np
