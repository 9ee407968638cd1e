#pragma once
// Layer rows "measured" on a synthetic roofline device, for benchmarks that need a realistic
// dataset and model without a GPU: runtime = max(compute, memory) + overhead with 3 %
// multiplicative noise; power saturating with FLOPs.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "neuralpower/cost.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/load.hpp"

namespace np::bench {

inline std::vector<LayerMeasurement> synthetic_rows(const std::vector<std::string>& networks,
                                                    const std::vector<int64_t>& batches,
                                                    size_t max_rows) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> noise(0.0, 0.03);
  std::vector<LayerMeasurement> rows;
  for (const auto& name : networks) {
    for (int64_t batch : batches) {
      ImportOptions options;
      options.batch = batch;
      const Network net = load_network(name, options);
      for (int id = 0; id < net.size() && rows.size() < max_rows; ++id) {
        if (!is_modelled_kind(net.layer(id).kind)) continue;
        const LayerCost c = layer_cost(net, id);
        LayerMeasurement m;
        m.kind = net.layer(id).kind;
        m.config = name + "/" + net.layer(id).name + "/" + std::to_string(batch);
        m.features = named_features(net, id);
        const double compute = static_cast<double>(c.flops) / 50e12;
        const double memory = static_cast<double>(c.bytes()) / 3e12;
        m.runtime_ms = (std::max(compute, memory) * 1e3 + 0.003) * noise(rng);
        m.power_w =
            (80.0 + 500.0 * (1.0 - std::exp(-static_cast<double>(c.flops) / 5e10))) * noise(rng);
        m.platform.device = "synthetic roofline";
        m.platform.backend = "none";
        rows.push_back(std::move(m));
      }
    }
  }
  return rows;
}

}  // namespace np::bench
