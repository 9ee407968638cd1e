#pragma once
// The self-contained HTML reports (docs/report.md): one file that works offline, with the
// charts drawn by Vega-Lite inlined into it (src/report/html). `neuralpower report` writes the
// prediction page, `evaluate --html` the evaluation page, `epr --html` the EPR page.
#include <cstddef>
#include <string>
#include <vector>

#include "neuralpower/epr.hpp"
#include "neuralpower/evaluate.hpp"
#include "neuralpower/predict.hpp"

namespace np {

struct ReportPageOptions {
  size_t top = 10;  // layers in the top-layer tables and charts
};

// A network's prediction: the summary (totals, whether complete, flags), share by kind, the top
// layers by runtime and by energy, and every layer's runtime, power and energy in network order
// (the paper's Figures 4-5). Zero-cost layers are left out of the charts, and said so.
std::string prediction_page(const NetworkPrediction& prediction,
                            const ReportPageOptions& options = {});

// Predictions against `profile nets` measurements: the accuracy (Tables 4-6), every network's
// totals, predicted against measured over every layer, and per network the per-layer bars.
std::string evaluation_page(const Evaluation& evaluation, const std::string& model_path);

// Candidates ranked by Energy-Precision Ratio per alpha, and error against energy per image
// (the paper's Figure 1).
std::string epr_page(const std::vector<EprCandidate>& candidates,
                     const std::vector<EprScore>& scores);

}  // namespace np
