#pragma once
// `neuralpower predict`: a network's prediction per layer and in total.
#include <string>

#include "neuralpower/predict.hpp"
#include "neuralpower/table.hpp"

namespace np {

// json: the stable machine interface (docs/cli.md); table, csv and markdown: one row per layer
// and a totals row (the table leaves out zero-cost views, csv and markdown keep them).
std::string prediction_report(const NetworkPrediction& prediction, OutputFormat format);

}  // namespace np
