#pragma once
// The report's charts as Vega-Lite specs with their data, built from plain per-layer values:
// share by kind, top layers, per-layer bars in network order (the paper's Figures 4-5),
// predicted against measured, and error against energy per image (the paper's Figure 1).
// A value that is absent (an empty optional) is left out of a chart's data, never drawn as 0;
// tooltips say "not predicted" / "not measured" instead. The builders throw np::Error for no
// layers and for a value that is not a finite number. Every chart sizes itself by its rows
// (one band per layer), so a 200-layer network stays readable, and every mark has a tooltip
// with the layer's name, kind, position and values.
#include <optional>
#include <string>
#include <vector>

#include "report/html/html_page.hpp"

namespace np::html {

struct LayerValues {
  std::string name;
  std::string kind;                 // "conv", "fc", "pool", ...
  int order = 0;                    // position in the network, from 0
  double runtime_ms = 0;            // predicted
  std::optional<double> power_w;    // predicted
  std::optional<double> energy_mj;  // predicted
  std::optional<double> measured_ms;
  std::optional<double> measured_w;
  std::optional<double> measured_mj;
  std::optional<double> baseline_ms;  // an analytical baseline's runtime (Paleo), where given
};

enum class Quantity { runtime, power, energy };

// What the series are called in comparison charts and their legends.
struct SeriesNames {
  std::string predicted = "NeuralPower";
  std::string measured = "measured";
  std::string baseline = "Paleo";
};

// One network of an Energy-Precision Ratio comparison.
struct EprPoint {
  std::string name;
  double error_pct = 0;  // top-1 classification error, percent
  double epi_mj = 0;     // energy per image, mJ
};

struct KindShare {
  std::string kind;
  int layers = 0;    // layers of this kind that have the value
  double total = 0;  // ms (runtime) or mJ (energy), over those layers
  double share = 0;  // of the total over every layer that has the value, 0..1
};

// Runtime or energy (power is not additive: throws np::Error) summed per kind, largest first.
// Layers without the value are skipped: the shares are of what is known.
std::vector<KindShare> kind_shares(const std::vector<LayerValues>& layers, Quantity quantity);
// The `count` layers with the largest value, largest first; layers without it are skipped.
std::vector<LayerValues> top_layers(const std::vector<LayerValues>& layers, Quantity quantity,
                                    size_t count);
// The layers that have the value.
size_t count_with(const std::vector<LayerValues>& layers, Quantity quantity);

// (a) Share of runtime by layer kind as horizontal bars, and of energy beside it when any layer
// has a predicted energy.
Chart kind_share_chart(const std::vector<LayerValues>& layers);
// (b) The top layers by runtime, power or energy, coloured by kind; throws when no layer has the
// value.
Chart top_layers_chart(const std::vector<LayerValues>& layers, Quantity quantity,
                       size_t count = 10);
// (c) Predicted runtime, power and energy of every layer in network order, one row a layer; the
// power and energy panels appear when any layer has the value.
Chart per_layer_chart(const std::vector<LayerValues>& layers);
// (d) Predicted (and baseline) against measured per layer, grouped bars in network order, one
// panel per quantity that has both a prediction and a measurement somewhere.
Chart comparison_chart(const std::vector<LayerValues>& layers, const SeriesNames& names = {});
// (d) The same as a log-log scatter of predicted against measured with the y = x line; only
// layers with both values above zero (a log scale cannot show the others).
Chart comparison_scatter(const std::vector<LayerValues>& layers, const SeriesNames& names = {});
// (e) Top-1 error against energy per image, one labelled point per network, with the networks
// that no other network beats on both (the Pareto front) joined by a line.
Chart epr_chart(const std::vector<EprPoint>& networks);

// Summary tables for the page: share by kind (runtime and, where known, energy) and top layers.
SummaryTable kind_share_table(const std::vector<LayerValues>& layers);
SummaryTable top_layers_table(const std::vector<LayerValues>& layers, Quantity quantity,
                              size_t count = 10);

// "12.3", "0.0456", "1,234": three significant digits, thousands separated.
std::string format_value(double value);

}  // namespace np::html
