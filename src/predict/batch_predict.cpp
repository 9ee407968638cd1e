#include "neuralpower/batch_predict.hpp"

#include <algorithm>
#include <string>

#include "neuralpower/error.hpp"
#include "neuralpower/predict.hpp"

namespace np {

NetworkTotals network_totals(const Network& net, const std::vector<LayerEstimate>& estimates) {
  if (estimates.size() != static_cast<size_t>(net.size())) {
    throw Error("network_totals: " + std::to_string(estimates.size()) + " estimates for " +
                std::to_string(net.size()) + " layers");
  }
  NetworkTotals totals;
  totals.batch = net.batch();
  EnergySum sum;
  for (int id = 0; id < net.size(); ++id) {
    if (net.layer(id).kind == LayerKind::input) continue;
    const LayerEstimate& e = estimates[static_cast<size_t>(id)];
    ++totals.layers;
    if (e.flags & (LayerEstimate::kNoModel | LayerEstimate::kUnmodelled)) {
      ++totals.layers_without_model;
    }
    sum.add(e.runtime_ms, e.has_power ? std::optional<double>(e.power_w) : std::nullopt);
  }
  totals.runtime_ms = sum.runtime_ms();
  totals.power_w = sum.power_w();
  totals.energy_mj = sum.energy_mj();
  totals.runtime_without_power_ms = sum.runtime_without_power_ms();
  return totals;
}

std::vector<NetworkTotals> predict_many(const std::vector<const Network*>& networks,
                                        const std::vector<int64_t>& batches,
                                        const CompiledModel& model) {
  for (const int64_t batch : batches) {
    if (batch <= 0) throw Error("batch must be positive, got " + std::to_string(batch));
  }
  std::vector<NetworkTotals> out;
  out.reserve(networks.size() * std::max<size_t>(1, batches.size()));
  std::vector<LayerEstimate> estimates;
  for (size_t i = 0; i < networks.size(); ++i) {
    const Network* net = networks[i];
    if (!net) throw Error("predict_many: network " + std::to_string(i) + " is null");
    if (batches.empty()) {
      model.estimate(*net, estimates);
      out.push_back(network_totals(*net, estimates));
      continue;
    }
    std::optional<Network> rebatched;  // one copy a network, re-inferred for each other batch
    for (const int64_t batch : batches) {
      const Network* current = net;
      if (batch != net->batch()) {
        if (!rebatched) rebatched.emplace(*net);
        try {
          rebatched->set_batch(batch);
        } catch (...) {
          rethrow_with_context("network '" + net->name() + "' at batch " + std::to_string(batch));
        }
        current = &*rebatched;
      }
      model.estimate(*current, estimates);
      out.push_back(network_totals(*current, estimates));
    }
  }
  return out;
}

}  // namespace np
