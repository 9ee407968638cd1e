#pragma once
// `neuralpower predict`: a network's prediction, the summary first, then one row per layer.
#include <cstddef>
#include <string>

#include "neuralpower/predict.hpp"
#include "neuralpower/table.hpp"

namespace np {

// The order of the rows: the network's, or the largest runtime or energy first.
enum class LayerSort { order, runtime, energy };

struct PredictionReportOptions {
  size_t top = 0;  // only the layers with the largest runtime (energy with sort energy); 0: all
  LayerSort sort = LayerSort::order;
};

// table and markdown: the network, batch and model, the totals (saying when they are
// incomplete), the rows, and a legend of the flags with their counts (each row carries one-letter
// markers; a flag every row has is said once, not marked); zero-cost rows are left out of the
// table. csv: one row per layer, numbers only (empty where missing, shares as fractions).
// json: the stable machine interface (docs/cli.md), every layer in network order whatever
// `options` say. Throws np::Error for LayerSort::energy when no layer has an energy.
std::string prediction_report(const NetworkPrediction& prediction, OutputFormat format,
                              const PredictionReportOptions& options = {});

}  // namespace np
