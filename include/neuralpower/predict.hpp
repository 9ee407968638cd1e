#pragma once
// Network-level prediction (paper section 3.2): per layer T_n, P_n and E_n = P_n T_n from the
// layer models, and for the network
//   T_total = sum T_n                        (eq. 3)
//   P_avg   = sum P_n T_n / sum T_n           (eq. 4)
//   E_total = sum P_n T_n = T_total P_avg     (eq. 5)
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/compiled_model.hpp"
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
  uint32_t estimate_flags = 0;      // LayerEstimate::Flag bits
  // "zero-cost", "unmodelled", "no-model", "no-power-model", "clamped", "power-clamped",
  // "extrapolated:<feature>"
  std::vector<std::string> flags;
  // A model (not a default of zero) gave the runtime.
  bool has_runtime_model() const {
    return (estimate_flags & (LayerEstimate::kNoModel | LayerEstimate::kUnmodelled)) == 0;
  }
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
  // Layers that cost time but have no runtime model (their kind untrained, or unknown): counted
  // as 0 ms. Their number, of `costed_layers`, and their share of the network's FLOPs.
  int layers_without_model = 0;
  int costed_layers = 0;
  double flops_share_without_model = 0;        // 0..1; 0 when the network has no FLOPs
  std::vector<LayerKind> kinds_without_model;  // each once, in network order
  // The source graph's nodes no layer stands for (a detector's post-processing), as
  // UnmodelledNodes::summary() words them; empty for most networks. Their time is not counted.
  std::string unmodelled_nodes;
  // What makes the prediction doubtful as a whole (a network in fp16 priced by an fp32 model),
  // one plain sentence each: printed on stderr and kept in the JSON.
  std::vector<std::string> warnings;
};

NetworkPrediction predict_network(const Network& net, const ModelFile& model,
                                  const std::string& model_name);

// Eqs. 3-5 over per-layer values, for predictions and measurements alike: T = sum T_n; over
// the layers that have a power, E = sum P_n T_n and P = E / their runtime.
class EnergySum {
 public:
  void add(double runtime_ms, const std::optional<double>& power_w);
  double runtime_ms() const { return runtime_ms_; }
  double powered_runtime_ms() const { return powered_ms_; }
  double runtime_without_power_ms() const { return unpowered_ms_; }
  // Missing when no layer with a runtime has a power.
  std::optional<double> power_w() const;
  std::optional<double> energy_mj() const;

 private:
  double runtime_ms_ = 0, powered_ms_ = 0, unpowered_ms_ = 0, energy_mj_ = 0;
};

// The model file predict reads without --model: $NEURALPOWER_MODEL, else the shipped H100
// fp32 model.
std::string default_model_path();
// How reports name a model file: "cpu.json (AMD EPYC (1 thread), fp32)".
std::string model_label(const std::string& path, const ModelFile& model);

}  // namespace np
