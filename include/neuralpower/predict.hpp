#pragma once
// Network-level prediction (paper section 3.2): per layer T_n, P_n and E_n = P_n T_n from the
// layer models, and for the network
//   T_total = sum T_n                        (eq. 3)
//   P_avg   = sum P_n T_n / sum T_n           (eq. 4)
//   E_total = sum P_n T_n = T_total P_avg     (eq. 5)
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/model_file.hpp"
#include "neuralpower/network.hpp"

namespace np {

// A predicted runtime is never below this (1 microsecond); such layers are flagged "clamped".
inline constexpr double kMinRuntimeMs = 1e-3;

struct LayerPrediction {
  int id = 0;
  std::string name;
  LayerKind kind = LayerKind::conv;
  double runtime_ms = 0;
  std::optional<double> power_w;    // missing when no power model covers the layer
  std::optional<double> energy_mj;  // W x ms = mJ
  // "zero-cost", "unmodelled", "no-model", "no-power-model", "clamped", "power-clamped",
  // "extrapolated:<feature>"
  std::vector<std::string> flags;
};

struct NetworkPrediction {
  std::string network;
  int64_t batch = 0;
  std::string model;  // description of the model file / baseline
  std::vector<LayerPrediction> layers;
  double runtime_ms = 0;
  std::optional<double> power_w;
  std::optional<double> energy_mj;
  double runtime_without_power_ms = 0;  // runtime of layers that have no power prediction
};

NetworkPrediction predict_network(const Network& net, const ModelFile& model,
                                  const std::string& model_name);

}  // namespace np
