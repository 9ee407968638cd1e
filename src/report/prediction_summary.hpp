#pragma once
// What every rendering of a prediction says before its rows (the predict table, markdown, the
// HTML report): the totals, whether they are complete, and each flag once with its count and
// meaning, so that no row repeats a word.
#include <map>
#include <string>
#include <vector>

#include "neuralpower/predict.hpp"

namespace np {

struct FlagCount {
  std::string flag;                     // "no-power-model", "extrapolated" (every feature together)
  char marker = ' ';                    // what a row shows: 'p', 'x', ...
  int layers = 0;                       // layers with the flag
  std::string meaning;                  // one clause
  std::map<std::string, int> features;  // extrapolated: layers per feature
};

struct PredictionSummary {
  int layers = 0;         // every layer but the inputs
  int zero_cost = 0;      // views and no-ops
  int without_model = 0;  // no runtime model for the kind, or unmodelled: counted as 0 ms
  std::map<std::string, int> without_model_kinds;
  int with_power = 0;
  std::vector<FlagCount> flags;  // the flags that occur, in a fixed order
};

PredictionSummary summarize_prediction(const NetworkPrediction& prediction);

// The markers of one layer's flags ("p x"), leaving out those in `omitted`.
std::string flag_markers(const LayerPrediction& layer, const std::string& omitted = "");

// The totals as labelled lines: runtime (and whether it is complete), power, energy.
struct SummaryLine {
  std::string label;
  std::string text;
};
std::vector<SummaryLine> summary_lines(const NetworkPrediction& prediction,
                                       const PredictionSummary& summary);

// "3 of 175 layers (lrn 2, softmax 1) have no runtime model ...", or empty when every layer has.
std::string incomplete_runtime_note(const PredictionSummary& summary);

}  // namespace np
