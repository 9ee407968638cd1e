#include "neuralpower/evaluate.hpp"

#include <cmath>
#include <ostream>
#include <unordered_map>

#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/predict.hpp"

namespace np {

LayerSums layer_sums(const MeasuredNetwork& measured) {
  EnergySum sum;
  for (const auto& l : measured.layers) sum.add(l.runtime_ms, l.power_w);
  LayerSums s;
  s.runtime_ms = sum.runtime_ms();
  s.power_w = sum.power_w();
  s.energy_mj = sum.energy_mj();
  if (s.power_w && s.runtime_ms > 0) s.power_coverage = sum.powered_runtime_ms() / s.runtime_ms;
  return s;
}

std::optional<double> percent_error(const std::optional<double>& predicted,
                                    const std::optional<double>& measured) {
  if (!predicted || !measured || *measured == 0) return std::nullopt;
  return 100.0 * (*predicted - *measured) / *measured;
}

Rmspe rmspe(const std::vector<std::optional<double>>& predicted,
            const std::vector<std::optional<double>>& measured) {
  if (predicted.size() != measured.size()) {
    throw Error("rmspe: " + std::to_string(predicted.size()) + " predictions for " +
                std::to_string(measured.size()) + " measurements");
  }
  Rmspe r;
  double sum = 0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    if (const auto e = percent_error(predicted[i], measured[i])) {
      sum += *e * *e;
      ++r.count;
    }
  }
  if (r.count > 0) r.rmspe = std::sqrt(sum / r.count);
  return r;
}

NetworkEvaluation evaluate_network(const MeasuredNetwork& measured, const Network& net,
                                   const ModelFile& model, const GpuSpec* gpu) {
  if (measured.failed) {
    throw Error("network '" + measured.network + "' at batch " + std::to_string(measured.batch) +
                " was not measured: " + measured.failure_reason);
  }
  if (net.batch() != measured.batch) {
    throw Error("network '" + measured.network + "' was measured at batch " +
                std::to_string(measured.batch) + ", the network given is at batch " +
                std::to_string(net.batch()));
  }
  NetworkEvaluation e;
  e.network = measured.network;
  e.batch = measured.batch;
  const NetworkPrediction p = predict_network(net, model, "model");
  e.predicted_ms = p.runtime_ms;
  e.predicted_w = p.power_w;
  e.predicted_mj = p.energy_mj;
  e.sums = layer_sums(measured);
  e.measured_ms = measured.runtime_ms;
  e.measured_w = measured.power_w;
  e.measured_mj = measured.energy_mj;

  std::vector<PaleoLayerTime> paleo;
  if (gpu) {
    paleo = paleo_layer_times(net, *gpu);
    e.paleo_ms = paleo_network_ms(net, *gpu);
  }
  std::unordered_map<std::string, const LayerPrediction*> predicted;
  for (const auto& l : p.layers) predicted[l.name] = &l;
  for (const auto& l : measured.layers) {
    const auto id = net.find(l.name);
    const auto it = predicted.find(l.name);
    if (!id || it == predicted.end()) {
      throw Error("measured layer '" + l.name + "' is not a layer of network '" + net.name() +
                  "' (was it measured from another file?)");
    }
    LayerComparison c;
    c.id = *id;
    c.name = l.name;
    c.kind = l.kind;
    c.measured_ms = l.runtime_ms;
    c.measured_w = l.power_w;
    const LayerPrediction& lp = *it->second;
    c.flags = lp.flags;
    if (lp.has_runtime_model()) c.predicted_ms = lp.runtime_ms;
    c.predicted_w = lp.power_w;
    if (gpu) c.paleo_ms = paleo[static_cast<size_t>(*id)].total_ms();
    e.layers.push_back(std::move(c));
  }
  return e;
}

Evaluation evaluate_measurements(const std::vector<std::string>& nets_files, const ModelFile& model,
                                 const GpuSpec* gpu, std::ostream* log) {
  Evaluation result;
  result.paleo = gpu != nullptr;
  for (const auto& path : nets_files) {
    const NetsFile file = read_nets_file(path);
    if (log && !same_platform(file.platform, model.platform)) {
      *log << "warning: " << path << " was measured on " << platform_label(file.platform)
           << ", the model on " << platform_label(model.platform) << "\n";
    }
    for (const auto& measured : file.networks) {
      if (measured.failed) {
        if (log) {
          *log << "skipping " << measured.network << " batch " << measured.batch
               << " (not measured: " << measured.failure_reason << ")\n";
        }
        continue;
      }
      try {
        ImportOptions import;
        import.batch = measured.batch;
        const Network net = load_network(measured.spec, import);
        result.networks.push_back(evaluate_network(measured, net, model, gpu));
      } catch (...) {
        rethrow_with_context(path + ": network '" + measured.network + "'");
      }
    }
  }
  if (result.networks.empty()) throw Error("no measured network to evaluate");
  result.summary = summarize(result.networks);
  return result;
}

EvaluationSummary summarize(const std::vector<NetworkEvaluation>& evaluations) {
  std::vector<std::optional<double>> t_hat, t, t_sum, p_hat, p, p_sum, e_hat, e, e_sum, paleo;
  for (const auto& n : evaluations) {
    t_hat.emplace_back(n.predicted_ms);
    t.push_back(n.measured_ms);
    t_sum.emplace_back(n.sums.runtime_ms);
    p_hat.push_back(n.predicted_w);
    p.push_back(n.measured_w);
    p_sum.push_back(n.sums.power_w);
    e_hat.push_back(n.predicted_mj);
    e.push_back(n.measured_mj);
    e_sum.push_back(n.sums.energy_mj);
    paleo.push_back(n.paleo_ms);
  }
  EvaluationSummary s;
  s.runtime_vs_measured = rmspe(t_hat, t);
  s.runtime_vs_sum = rmspe(t_hat, t_sum);
  s.power_vs_measured = rmspe(p_hat, p);
  s.power_vs_sum = rmspe(p_hat, p_sum);
  s.energy_vs_measured = rmspe(e_hat, e);
  s.energy_vs_sum = rmspe(e_hat, e_sum);
  s.paleo_vs_measured = rmspe(paleo, t);
  return s;
}

}  // namespace np
