#pragma once
// Training: dataset rows -> per-kind runtime and power models (paper section 4.1).
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/dataset.hpp"
#include "neuralpower/layer.hpp"
#include "neuralpower/model_file.hpp"
#include "neuralpower/model_selection.hpp"

namespace np {

struct TrainOptions {
  std::vector<LayerKind> kinds;                    // empty: every modelled kind with enough rows
  int max_degree = SelectionOptions{}.max_degree;  // runtime models
  int power_max_degree = 2;  // power models over [x, log2 x]: the paper's degree 2 (Table 3);
                             // degree 4 over 20 conv features would be 10,625 candidate terms
  int folds = SelectionOptions{}.folds;
  std::vector<TargetTreatment> treatments{TargetTreatment::raw, TargetTreatment::relative,
                                          TargetTreatment::log};
  // Also fit runtime as log y = polynomial(log2 x) ("log-log") and keep it when its CV RMSPE is
  // lower than the best of `treatments`.
  bool try_log_log = true;
  std::size_t min_rows = 10;  // a kind with fewer rows gets no model (reported)
  std::uint64_t seed = kDefaultSeed;
};

struct TrainReport {
  std::vector<std::string> notes;  // kinds skipped and why, targets without data
};

// All rows must come from one platform (device, backend, dtype); mixing is an error.
ModelFile train_models(const std::vector<LayerMeasurement>& rows,
                       const std::vector<std::string>& dataset_names, const TrainOptions& options,
                       TrainReport& report);

}  // namespace np
