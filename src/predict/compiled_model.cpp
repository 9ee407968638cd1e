#include "neuralpower/compiled_model.hpp"

#include <algorithm>
#include <cmath>

#include "neuralpower/error.hpp"
#include "neuralpower/predict.hpp"

namespace np {
namespace {

constexpr double kRangeSlack = 1e-9;

// A model that overflows on a layer (a coefficient of 1e300, a layer far outside the training
// range) must fail naming the layer, not print inf or nan totals.
[[noreturn]] void not_finite(const Layer& layer, const char* target, double value) {
  throw Error("layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) + "): the " +
              target + " model gives " + (std::isnan(value) ? "nan" : "inf") +
              ", not a number (a coefficient too large for this layer's features?)");
}

uint32_t extrapolated_mask(const std::vector<Range>& ranges, std::span<const double> x) {
  uint32_t mask = 0;
  for (size_t i = 0; i < ranges.size() && i < x.size() && i < 32; ++i) {
    const double slack = kRangeSlack * std::max(1.0, std::abs(ranges[i].max));
    if (x[i] < ranges[i].min - slack || x[i] > ranges[i].max + slack) mask |= 1u << i;
  }
  return mask;
}

FeatureValues log_features(const FeatureValues& x) {
  FeatureValues out;
  for (double v : x) out.push_back(log_feature(v));
  return out;
}

}  // namespace

CompiledPolynomial::CompiledPolynomial(const PolynomialModel& model)
    : intercept_(model.intercept),
      exp_output_(model.treatment == TargetTreatment::log),
      num_features_(model.num_features),
      num_special_(model.num_special) {
  term_start_.push_back(0);
  for (size_t t = 0; t < model.terms.size(); ++t) {
    const Term& term = model.terms[t];
    if (term.is_special()) {
      factor_column_.push_back(static_cast<uint16_t>(num_features_ + term.special));
      factor_exponent_.push_back(1);
    } else {
      for (size_t i = 0; i < term.exponents.size(); ++i) {
        if (term.exponents[i] == 0) continue;
        factor_column_.push_back(static_cast<uint16_t>(i));
        factor_exponent_.push_back(static_cast<uint8_t>(term.exponents[i]));
        max_exponent_ = std::max(max_exponent_, term.exponents[i]);
      }
    }
    term_start_.push_back(static_cast<uint32_t>(factor_column_.size()));
    coefficient_.push_back(model.coefficients[t]);
  }
  if (max_exponent_ > 8) throw Error("model term of degree " + std::to_string(max_exponent_));
}

double CompiledPolynomial::evaluate(std::span<const double> features,
                                    std::span<const double> special) const {
  if (features.size() != num_features_ || special.size() < num_special_) {
    throw Error("compiled model: expected " + std::to_string(num_features_) + " features, got " +
                std::to_string(features.size()));
  }
  // powers[c * 8 + e - 1] = column c to the power e
  std::array<double, 40 * 8> powers;
  const size_t columns = num_features_ + num_special_;
  if (columns > 40) throw Error("compiled model: too many columns");
  for (size_t c = 0; c < columns; ++c) {
    const double v = c < num_features_ ? features[c] : special[c - num_features_];
    double p = v;
    for (int e = 0; e < max_exponent_; ++e) {
      powers[c * 8 + static_cast<size_t>(e)] = p;
      p *= v;
    }
  }
  double sum = intercept_;
  for (size_t t = 0; t + 1 < term_start_.size(); ++t) {
    double product = coefficient_[t];
    for (uint32_t f = term_start_[t]; f < term_start_[t + 1]; ++f) {
      product *= powers[factor_column_[f] * 8u + factor_exponent_[f] - 1u];
    }
    sum += product;
  }
  return exp_output_ ? std::exp(sum) : sum;
}

CompiledModel::CompiledModel(const ModelFile& file) {
  for (const auto& [kind, k] : file.kinds) {
    Kind compiled;
    if (k.runtime) {
      compiled.runtime = Target{CompiledPolynomial(k.runtime->model),
                                k.runtime->feature_ranges,
                                k.runtime->log_inputs,
                                k.runtime->form,
                                k.runtime->roofline,
                                k.runtime->bounds};
    }
    if (k.power) {
      compiled.power = Target{CompiledPolynomial(k.power->model),
                              k.power->feature_ranges,
                              k.power->log_inputs,
                              ModelForm::polynomial,
                              Roofline{},
                              std::nullopt};
    }
    kinds_.at(static_cast<size_t>(kind)) = std::move(compiled);
  }
}

void CompiledModel::estimate(const Network& net, std::vector<LayerEstimate>& out) const {
  out.assign(static_cast<size_t>(net.size()), LayerEstimate{});
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    LayerEstimate& e = out[static_cast<size_t>(id)];
    if (layer.kind == LayerKind::input) continue;
    if (layer.kind == LayerKind::unknown) {
      e.flags |= LayerEstimate::kUnmodelled;
      continue;
    }
    if (!is_modelled_kind(layer.kind)) {
      e.flags |= LayerEstimate::kZeroCost;
      continue;
    }
    const auto& kind = kinds_[static_cast<size_t>(layer.kind)];
    if (!kind || !kind->runtime) {
      e.flags |= LayerEstimate::kNoModel;
      continue;
    }
    const LayerFeatures f = layer_features(net, id);
    const Target& runtime = *kind->runtime;
    const WorkAndTraffic work = work_and_traffic(layer.kind, f.specials);
    double t = 0;
    if (runtime.form == ModelForm::roofline) {
      t = runtime.roofline.predict(work.flops, work.elements);
    } else {
      t = runtime.log_inputs
              ? runtime.polynomial.evaluate(log_features(f.features), log_features(f.specials))
              : runtime.polynomial.evaluate(f.features, f.specials);
      if (runtime.form == ModelForm::roofline_corrected) {
        t *= runtime.roofline.predict(work.flops, work.elements);
      }
    }
    if (!std::isfinite(t)) not_finite(layer, "runtime", t);
    if (runtime.bounds) {
      bool clamped = false;
      t = runtime.bounds->clamp(t, work.flops, work.elements, &clamped);
      if (clamped) e.flags |= LayerEstimate::kClamped;
    }
    if (!(t >= kMinRuntimeMs)) {
      t = kMinRuntimeMs;
      e.flags |= LayerEstimate::kClamped;
    }
    e.runtime_ms = t;
    e.extrapolated = extrapolated_mask(kind->runtime->feature_ranges, f.features);
    if (!kind->power) {
      e.flags |= LayerEstimate::kNoPowerModel;
      continue;
    }
    const FeatureValues x = power_feature_values(f.features);
    const double w = kind->power->polynomial.evaluate(x, f.specials);
    if (!std::isfinite(w)) not_finite(layer, "power", w);
    if (w > 0) {
      e.power_w = w;
      e.has_power = true;
    } else {
      e.flags |= LayerEstimate::kPowerClamped;
    }
    e.extrapolated |= extrapolated_mask(kind->power->feature_ranges, f.features);
  }
}

}  // namespace np
