#include <cmath>

#include "neuralpower/error.hpp"
#include "neuralpower/model_selection.hpp"

namespace np {

std::string_view to_string(TargetTreatment treatment) {
  switch (treatment) {
    case TargetTreatment::raw:
      return "raw";
    case TargetTreatment::relative:
      return "relative";
    case TargetTreatment::log:
      return "log";
  }
  return "unknown";
}

TargetTreatment parse_target_treatment(std::string_view name) {
  for (TargetTreatment t :
       {TargetTreatment::raw, TargetTreatment::relative, TargetTreatment::log}) {
    if (name == to_string(t)) return t;
  }
  throw Error("unknown target treatment '" + std::string(name) +
              "', expected raw, relative or log");
}

double PolynomialModel::predict(std::span<const double> features,
                                std::span<const double> special) const {
  if (features.size() != num_features || special.size() != num_special) {
    throw Error("polynomial model: expected " + std::to_string(num_features) + " features and " +
                std::to_string(num_special) + " special terms, got " +
                std::to_string(features.size()) + " and " + std::to_string(special.size()));
  }
  double value = intercept;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    value += coefficients[t] * evaluate_term(terms[t], features, special);
  }
  return treatment == TargetTreatment::log ? std::exp(value) : value;
}

}  // namespace np
