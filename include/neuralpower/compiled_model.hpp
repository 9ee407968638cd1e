#pragma once
// A model file turned into flat arrays for the prediction hot path: per kind and target the
// non-zero terms as (column, exponent) factors over a per-layer table of powers, so that one
// layer costs a few hundred multiplies and no allocation.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "neuralpower/features.hpp"
#include "neuralpower/model_file.hpp"

namespace np {

class CompiledPolynomial {
 public:
  explicit CompiledPolynomial(const PolynomialModel& model);
  // features: the model's features (x_T or x_P); special: the kind's special terms.
  double evaluate(std::span<const double> features, std::span<const double> special) const;

 private:
  double intercept_ = 0;
  bool exp_output_ = false;
  int max_exponent_ = 1;
  size_t num_features_ = 0;
  size_t num_special_ = 0;
  std::vector<uint32_t> term_start_;     // term t's factors: [term_start_[t], term_start_[t + 1])
  std::vector<uint16_t> factor_column_;  // < num_features_: a feature; else a special term
  std::vector<uint8_t> factor_exponent_;
  std::vector<double> coefficient_;
};

// Per-layer estimate without strings: what predict_network turns into its report.
struct LayerEstimate {
  enum Flag : uint32_t {
    kZeroCost = 1u << 0,
    kUnmodelled = 1u << 1,
    kNoModel = 1u << 2,
    kNoPowerModel = 1u << 3,
    kClamped = 1u << 4,
    kPowerClamped = 1u << 5,
  };
  double runtime_ms = 0;
  double power_w = 0;  // valid when has_power
  bool has_power = false;
  uint32_t flags = 0;
  uint32_t extrapolated = 0;  // bit i: base feature i outside the training range
};

class CompiledModel {
 public:
  explicit CompiledModel(const ModelFile& file);
  // Estimates every layer of `net` (shapes inferred) into `out` (resized to net.size()).
  void estimate(const Network& net, std::vector<LayerEstimate>& out) const;

 private:
  struct Target {
    CompiledPolynomial polynomial;
    std::vector<Range> feature_ranges;
    bool log_inputs = false;
    ModelForm form = ModelForm::polynomial;
    Roofline roofline;
    std::optional<RuntimeBounds> bounds;
  };
  struct Kind {
    std::optional<Target> runtime;
    std::optional<Target> power;
  };
  std::array<std::optional<Kind>, 32> kinds_;  // by LayerKind value
};

}  // namespace np
