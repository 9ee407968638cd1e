#include "neuralpower/predict.hpp"

#include <algorithm>

#include "neuralpower/features.hpp"

namespace np {
namespace {

// Relative slack before a feature counts as outside the training range: integer features at
// the edge of the range are not extrapolation.
constexpr double kRangeSlack = 1e-9;

void flag_extrapolation(const TargetModel& t, const std::vector<std::string>& names,
                        const LayerFeatures& f, std::vector<std::string>& flags) {
  for (size_t i = 0; i < t.feature_ranges.size() && i < f.features.size(); ++i) {
    const Range& r = t.feature_ranges[i];
    const double v = f.features[i];
    const double slack = kRangeSlack * std::max(1.0, std::abs(r.max));
    if (v < r.min - slack || v > r.max + slack) {
      const std::string flag = "extrapolated:" + names[i];
      if (std::find(flags.begin(), flags.end(), flag) == flags.end()) flags.push_back(flag);
    }
  }
}

}  // namespace

NetworkPrediction predict_network(const Network& net, const ModelFile& model,
                                  const std::string& model_name) {
  NetworkPrediction out;
  out.network = net.name();
  out.batch = net.batch();
  out.model = model_name;
  double energy = 0;
  double powered_runtime = 0;
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    if (layer.kind == LayerKind::input) continue;
    LayerPrediction p;
    p.id = id;
    p.name = layer.name;
    p.kind = layer.kind;
    if (layer.kind == LayerKind::unknown) {
      p.flags.push_back("unmodelled");
    } else if (!is_modelled_kind(layer.kind)) {
      p.flags.push_back("zero-cost");
      p.energy_mj = 0;
    } else if (const KindModel* k = model.find(layer.kind); !k || !k->runtime) {
      p.flags.push_back("no-model");
    } else {
      const LayerFeatures f = layer_features(net, id);
      double t = k->runtime->model.predict(f.features, f.specials);
      if (!(t >= kMinRuntimeMs)) {
        t = kMinRuntimeMs;
        p.flags.push_back("clamped");
      }
      p.runtime_ms = t;
      flag_extrapolation(*k->runtime, k->features, f, p.flags);
      if (k->power) {
        double w = k->power->model.predict(power_features(f.features), f.specials);
        if (!(w > 0)) {
          // A non-positive power is outside what the model can mean; report it as missing.
          p.flags.push_back("power-clamped");
        } else {
          p.power_w = w;
          p.energy_mj = w * t;
          energy += w * t;
          powered_runtime += t;
        }
        flag_extrapolation(*k->power, k->features, f, p.flags);
      } else {
        p.flags.push_back("no-power-model");
      }
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
