#pragma once
// Adaptive sampling, as nn-Meter does it (docs/profiling.md, "Adaptive sampling"): after a
// first part of the budget, quick per-kind models are fitted to the rows measured so far, their
// held-out error is computed row by row, and the next configurations are the unmeasured
// candidates nearest the rows with the highest error (the mean error of a candidate's nearest
// measured rows), in kinds given more of the round the worse their model does.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "neuralpower/dataset.hpp"
#include "neuralpower/layer.hpp"

namespace np {

struct AdaptiveOptions {
  double share = 0;      // of the run (its budget or its configuration count); 0: off
  int round = 24;        // configurations chosen per round
  int folds = 5;         // held-out folds of the quick models
  size_t min_rows = 10;  // fewer rows of a kind: no quick model, its error counts as 100%
};

// A configuration as the quick models see it: log_feature() of its kind's features and
// special terms, in feature_spec order (missing ones as 0).
std::vector<double> quick_features(LayerKind kind, const std::map<std::string, double>& features);

struct QuickModelError {
  LayerKind kind = LayerKind::conv;
  size_t rows = 0;
  double rmspe_pct = 100;  // held-out; 100 when the kind has too few rows for a model
};

// Held-out relative error (%) of each row under a quick model of its kind: a ridge regression
// of log runtime on the quick features and their squares, fitted on the other folds. NaN for
// rows of kinds with fewer than min_rows rows. `per_kind`, when given, gets each kind's RMSPE.
std::vector<double> quick_model_errors(const std::vector<LayerMeasurement>& rows,
                                       const AdaptiveOptions& options,
                                       std::vector<QuickModelError>* per_kind = nullptr);

struct AdaptiveCandidate {
  LayerKind kind = LayerKind::conv;
  std::vector<double> x;  // quick_features
};

// The next `count` candidates (indices into `candidates`, none twice): the round is shared
// among the kinds that have candidates in proportion to their held-out RMSPE; within a kind,
// the candidates whose nearest measured rows have the highest held-out log error,
// spread apart (none within 5% of the kind's feature ranges of another while others remain);
// a kind without a quick model takes its candidates in their order.
std::vector<size_t> choose_adaptive(const std::vector<LayerMeasurement>& measured,
                                    const std::vector<AdaptiveCandidate>& candidates, size_t count,
                                    const AdaptiveOptions& options,
                                    std::vector<QuickModelError>* per_kind = nullptr);

}  // namespace np
