#pragma once
// Feature vectors of a layer for the runtime and power models (paper section 3.1, eqs. 1-2).
//
// Runtime: T(x_T) = sum_j c_j prod_i x_i^{q_ij} + sum_s c'_s F_s(x_T), a polynomial of degree
// <= K over the kind's features x_T plus "special terms" F_s (FLOPs and memory accesses).
// Power: the same over x_P = [x_T, log2 x_T] (the log terms let power saturate towards the
// board limit as the load grows), with the same special terms.
//
// Every kind that costs time has its own model; zero-cost kinds (input, reshape, flatten,
// dropout, identity, cast) have none. Features are plain numbers from the layer's shapes and
// attributes, named so that datasets, model files and reports can show them.
#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "neuralpower/network.hpp"

namespace np {

struct FeatureSpec {
  LayerKind kind;
  std::vector<std::string> features;  // x_T, in order
  std::vector<std::string> specials;  // F_s, in order
};

// Kinds with a runtime/power model, in a fixed order.
const std::vector<LayerKind>& modelled_kinds();
bool is_modelled_kind(LayerKind kind);
// Throws np::Error for a kind without a model.
const FeatureSpec& feature_spec(LayerKind kind);

// Every feature and special-term name of every kind, each once, in a fixed order: the feature
// columns of the dataset CSV.
const std::vector<std::string>& all_feature_names();

// A few doubles kept inline: features are computed per layer on the prediction hot path, where a
// heap allocation would cost more than the polynomial.
class FeatureValues {
 public:
  // Room for the power model's x_P = [x_T, log2 x_T] of the widest kind (conv: 2 x 10).
  static constexpr size_t kCapacity = 32;
  FeatureValues& operator=(std::initializer_list<double> values);
  void push_back(double value);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  double operator[](size_t i) const { return values_[i]; }
  const double* data() const { return values_.data(); }
  const double* begin() const { return values_.data(); }
  const double* end() const { return values_.data() + size_; }
  operator std::span<const double>() const { return {values_.data(), size_}; }

 private:
  std::array<double, kCapacity> values_{};
  size_t size_ = 0;
};

struct LayerFeatures {
  FeatureValues features;  // x_T
  FeatureValues specials;  // F_s
};

// Features of layer `id` of a network with shapes inferred. Throws for unmodelled kinds.
LayerFeatures layer_features(const Network& net, int id);

// The same as name -> value (features and special terms together): a dataset row's features.
std::map<std::string, double> named_features(const Network& net, int id);

// log2(max(x, 1)): the log terms of the power model's features, and the inputs of log-log
// runtime models. Training and prediction must compute it alike, so both call this.
inline double log_feature(double x) { return std::log2(std::max(x, 1.0)); }

// The roofline's inputs from a kind's special terms (roofline.hpp): its FLOPs (the "flops"
// term, 0 when it has none) and the elements it moves (the sum of its other terms: inputs,
// outputs, weights).
struct WorkAndTraffic {
  double flops = 0;
  double elements = 0;
};
WorkAndTraffic work_and_traffic(LayerKind kind, std::span<const double> specials);

// x_P = [x, log_feature(x)]: the power model's features.
std::vector<double> power_features(std::span<const double> runtime_features);
FeatureValues power_feature_values(std::span<const double> runtime_features);

}  // namespace np
