#pragma once
// Made-up networks for the page tests: deterministic values with a spread like a real network's
// (a few heavy convolutions, many cheap layers), and gaps where a value is missing.
#include <cmath>
#include <string>
#include <vector>

#include "report/html/charts.hpp"

namespace np::test {

struct SyntheticOptions {
  int layers = 200;
  int power_missing_every = 7;     // every n-th layer has no predicted power (0: none missing)
  int measured_missing_every = 0;  // every n-th layer has no measurement (0: all measured)
  bool baseline = false;           // a Paleo-like runtime for the conv and fc layers
};

// A layer with a predicted runtime and nothing else.
inline html::LayerValues layer(std::string name, std::string kind, int order, double runtime_ms) {
  html::LayerValues values;
  values.name = std::move(name);
  values.kind = std::move(kind);
  values.order = order;
  values.runtime_ms = runtime_ms;
  return values;
}

inline std::vector<html::LayerValues> synthetic_layers(const SyntheticOptions& options = {}) {
  static const char* kinds[] = {"conv", "bn", "act", "conv", "bn", "act", "add", "pool", "fc"};
  std::vector<html::LayerValues> layers;
  for (int i = 0; i < options.layers; ++i) {
    html::LayerValues layer;
    layer.order = i;
    layer.kind = kinds[i % 9];
    layer.name = "block" + std::to_string(i / 9 + 1) + "." + layer.kind + std::to_string(i % 9);
    const double wave = 1.5 + std::sin(0.37 * i);  // 0.5 .. 2.5
    const double weight = layer.kind == "conv" ? 3.0 : layer.kind == "fc" ? 2.0 : 0.15;
    layer.runtime_ms = weight * wave;
    const bool no_power = options.power_missing_every > 0 && i % options.power_missing_every == 3;
    if (!no_power) {
      layer.power_w = 90 + 60 * std::cos(0.21 * i) + (layer.kind == "conv" ? 70 : 0);
      layer.energy_mj = layer.runtime_ms * *layer.power_w;
    }
    const bool measured =
        options.measured_missing_every == 0 || i % options.measured_missing_every != 1;
    if (measured) {
      layer.measured_ms = layer.runtime_ms * (1 + 0.15 * std::sin(1.7 * i));
      layer.measured_w = 100 + 50 * std::cos(0.23 * i) + (layer.kind == "conv" ? 65 : 0);
      layer.measured_mj = *layer.measured_ms * *layer.measured_w;
    }
    if (options.baseline && (layer.kind == "conv" || layer.kind == "fc")) {
      layer.baseline_ms = layer.runtime_ms * (0.6 + 0.5 * std::cos(0.9 * i) * std::cos(0.9 * i));
    }
    layers.push_back(layer);
  }
  return layers;
}

// The paper's Table 7 networks with made-up errors and energies, and one Pareto-dominated one.
inline std::vector<html::EprPoint> synthetic_epr() {
  return {{"AlexNet", 42.9, 210.0},   {"VGG-16", 28.4, 1650.0},   {"GoogLeNet", 31.2, 380.0},
          {"ResNet-50", 23.9, 820.0}, {"SqueezeNet", 41.8, 95.0}, {"NIN", 40.6, 260.0},
          {"MobileNet", 29.4, 140.0}};
}

}  // namespace np::test
