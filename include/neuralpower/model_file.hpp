#pragma once
// Trained NeuralPower models: per layer kind, a runtime model and a power model (paper eqs.
// 1-2), with everything needed to judge them (CV errors per degree, rows used, the feature
// ranges seen in training) and the platform they were measured on. Stored as versioned,
// self-describing JSON (docs/model-format.md); loading a file of another version, or one
// missing a key, fails with a message naming the key. Version 2 adds the model form (the
// paper's polynomial or the roofline of roofline.hpp), the runtime bounds and the candidates
// compared by the selection; version-1 files still load, as polynomials without bounds.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralpower/layer.hpp"
#include "neuralpower/model_selection.hpp"
#include "neuralpower/platform.hpp"
#include "neuralpower/roofline.hpp"

namespace np {

inline constexpr int kModelFileVersion = 2;

// polynomial: the paper's eq. 1 (`model`); roofline: roofline.hpp; roofline_corrected: the
// roofline times exp(`model`), a log-treatment Lasso polynomial over log2 inputs fitted to
// log(y / roofline).
enum class ModelForm { polynomial, roofline, roofline_corrected };
std::string_view to_string(ModelForm form);

// One runtime candidate of the selection with both of its errors.
struct CandidateSummary {
  std::string name;          // "polynomial (relative, K=4)", "roofline", ...
  double cv_rmspe = 0;       // K-fold CV RMSPE of single rows, percent
  double network_error = 0;  // leave-one-network-out RMS error of summed layers, percent (NaN
                             // when the rows have fewer than 2 source networks)
  bool chosen = false;
};

struct DegreeSummary {
  int degree = 0;
  double cv_rmse = 0;
  double cv_rmspe = 0;
  std::size_t model_size = 0;
  double lambda = 0;
};

struct TreatmentSummary {
  TargetTreatment treatment = TargetTreatment::raw;
  double cv_rmse = 0;
  double cv_rmspe = 0;
};

struct Range {
  double min = 0;
  double max = 0;
};

// One target (runtime_ms or power_w) of one layer kind.
struct TargetModel {
  PolynomialModel model;
  double lambda = 0;
  double cv_rmse = 0;
  double cv_rmspe = 0;
  std::size_t rows = 0;
  std::vector<DegreeSummary> by_degree;      // the data of the paper's Figure 3
  std::vector<TreatmentSummary> treatments;  // every treatment tried
  std::vector<std::string> feature_names;    // of the model's features (x_T or x_P)
  std::vector<Range> feature_ranges;         // over the training rows, per base feature
  std::vector<Range> special_ranges;
  // The polynomial's variables are log2(max(x, 1)) of the features and special terms instead of
  // x itself ("log-log" with the log treatment: a product of power laws, which extrapolates
  // gently and fits runtimes spanning orders of magnitude without bias towards small layers).
  bool log_inputs = false;
  ModelForm form = ModelForm::polynomial;  // runtime only; power is always a polynomial
  Roofline roofline;                       // when form == roofline
  std::optional<RuntimeBounds> bounds;     // runtime: the clamp of every prediction
  // How the form was chosen: "leave-one-network-out" or "k-fold" (no source networks), empty
  // for a version-1 file.
  std::string selected_by;
  std::vector<CandidateSummary> candidates;
};

struct KindModel {
  LayerKind kind = LayerKind::conv;
  std::vector<std::string> features;  // x_T names
  std::vector<std::string> specials;
  std::optional<TargetModel> runtime;  // milliseconds
  std::optional<TargetModel> power;    // watts
};

struct ModelFile {
  Platform platform;
  std::string created;  // ISO 8601 UTC
  std::string tool_version;
  std::vector<std::string> datasets;
  int max_degree = 0;
  int folds = 0;
  std::map<LayerKind, KindModel> kinds;

  const KindModel* find(LayerKind kind) const {
    const auto it = kinds.find(kind);
    return it == kinds.end() ? nullptr : &it->second;
  }
};

std::string write_model_file(const ModelFile& file);
ModelFile parse_model_file(const std::string& text, const std::string& display_name);
ModelFile read_model_file(const std::string& path);
void save_model_file(const ModelFile& file, const std::string& path);  // atomic replace

}  // namespace np
