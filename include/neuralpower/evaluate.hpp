#pragma once
// Network-level evaluation (paper section 4.2, Tables 4-6, Figures 4-5): predictions of a
// model against whole-network measurements (nets_file.hpp), both the end-to-end values and the
// sums of measured per-layer values:
//
//   T_sum = sum T_n                    (eq. 6, the paper's blackboard T_total)
//   P_sum = sum P_n T_n / sum T_n      (eq. 7, blackboard P_avg)
//   E_sum = sum P_n T_n                (eq. 8, blackboard E_total)
//
// and over the networks RMSPE = 100 sqrt(mean(((predicted - measured) / measured)^2)) and the
// paper's accuracy = 100% - RMSPE (88.24% runtime, 88.34% power, 97.21% energy in the paper).
// Missing measurements stay missing: a network without a measured value is left out of that
// value's RMSPE, and the count of networks used is reported with it.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/model_file.hpp"
#include "neuralpower/nets_file.hpp"
#include "neuralpower/network.hpp"
#include "neuralpower/paleo_baseline.hpp"

namespace np {

// Eqs. 6-8 over the measured layers. Power and energy cover the layers with a measured P_n;
// power_coverage is the share of T_sum they account for (1 when every layer with a runtime has
// its power), and power/energy are missing when no layer has one.
struct LayerSums {
  double runtime_ms = 0;
  std::optional<double> power_w;
  std::optional<double> energy_mj;
  double power_coverage = 0;
};
LayerSums layer_sums(const MeasuredNetwork& measured);

// 100 (predicted - measured) / measured; missing when either is missing or measured is 0.
std::optional<double> percent_error(const std::optional<double>& predicted,
                                    const std::optional<double>& measured);
// RMSPE over the pairs where both values exist (measured != 0); missing when there is none.
struct Rmspe {
  std::optional<double> rmspe;
  int count = 0;
  std::optional<double> accuracy() const {
    return rmspe ? std::optional<double>(100.0 - *rmspe) : std::nullopt;
  }
};
Rmspe rmspe(const std::vector<std::optional<double>>& predicted,
            const std::vector<std::optional<double>>& measured);

struct LayerComparison {
  int id = 0;
  std::string name;
  LayerKind kind = LayerKind::conv;
  double measured_ms = 0;  // T_n
  std::optional<double> predicted_ms;
  std::optional<double> paleo_ms;
  std::optional<double> measured_w;  // P_n
  std::optional<double> predicted_w;
  std::vector<std::string> flags;  // the prediction's flags (zero-cost, extrapolated:...)
};

struct NetworkEvaluation {
  std::string network;
  int64_t batch = 0;
  std::optional<double> paleo_ms;
  double predicted_ms = 0;  // T-hat_total (eq. 3)
  std::optional<double> predicted_w;
  std::optional<double> predicted_mj;
  LayerSums sums;                     // eqs. 6-8
  std::optional<double> measured_ms;  // end to end
  std::optional<double> measured_w;
  std::optional<double> measured_mj;
  std::vector<LayerComparison> layers;
};

// `net` is the measured network reloaded at the measured batch; its layers must carry the
// measured layer names. `gpu` adds the Paleo column.
NetworkEvaluation evaluate_network(const MeasuredNetwork& measured, const Network& net,
                                   const ModelFile& model, const GpuSpec* gpu);

struct EvaluationSummary {
  // Prediction against the end-to-end measurement and against the per-layer sums.
  Rmspe runtime_vs_measured, runtime_vs_sum;
  Rmspe power_vs_measured, power_vs_sum;
  Rmspe energy_vs_measured, energy_vs_sum;
  Rmspe paleo_vs_measured;  // the baseline's runtime, when --gpu was given
};
EvaluationSummary summarize(const std::vector<NetworkEvaluation>& evaluations);

struct Evaluation {
  std::vector<NetworkEvaluation> networks;
  EvaluationSummary summary;
  bool paleo = false;  // a GPU was given: the Paleo columns are filled
};

// Every measured network of the nets files (`profile nets`), each reloaded from its spec at
// its measured batch and evaluated against the model; `gpu` adds the Paleo column. Networks
// whose measurement failed are skipped and said so on `log`, as are nets files measured on
// another platform than the model's. Throws np::Error when no network is left to evaluate.
Evaluation evaluate_measurements(const std::vector<std::string>& nets_files, const ModelFile& model,
                                 const GpuSpec* gpu, std::ostream* log = nullptr);

}  // namespace np
