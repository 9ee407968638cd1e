#include "neuralpower/polynomial.hpp"

#include <cmath>
#include <sstream>

#include "model/checks.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

// Appends, in lexicographically descending order, every exponent vector of total degree
// `remaining` over features first..D−1 (prefix already fixed in `current`).
void append_compositions(int first, int remaining, Exponents& current,
                         std::vector<Exponents>& out) {
  const int last = static_cast<int>(current.size()) - 1;
  if (first == last) {
    current[first] = remaining;
    out.push_back(current);
    current[first] = 0;
    return;
  }
  for (int power = remaining; power >= 0; --power) {
    current[first] = power;
    append_compositions(first + 1, remaining - power, current, out);
  }
  current[first] = 0;
}

double integer_power(double base, int exponent) {
  double result = 1.0;
  for (int i = 0; i < exponent; ++i) result *= base;
  return result;
}

void check_term(const Term& term, std::size_t num_features, std::size_t num_special) {
  if (term.is_special()) {
    if (static_cast<std::size_t>(term.special) >= num_special) {
      throw Error("polynomial term " + term.to_string() + ": only " + std::to_string(num_special) +
                  " special columns given");
    }
    return;
  }
  if (term.exponents.size() != num_features) {
    throw Error("polynomial term " + term.to_string() + " has " +
                std::to_string(term.exponents.size()) + " exponents, expected " +
                std::to_string(num_features));
  }
  for (int e : term.exponents) {
    if (e < 0) throw Error("polynomial term " + term.to_string() + " has a negative exponent");
  }
}

}  // namespace

int Term::degree() const {
  if (is_special()) return 1;
  int total = 0;
  for (int e : exponents) total += e;
  return total;
}

std::string Term::to_string(std::span<const std::string> feature_names,
                            std::span<const std::string> special_names) const {
  std::ostringstream out;
  if (is_special()) {
    if (static_cast<std::size_t>(special) < special_names.size()) {
      out << special_names[special];
    } else {
      out << "special" << special;
    }
    return out.str();
  }
  bool first = true;
  for (std::size_t i = 0; i < exponents.size(); ++i) {
    if (exponents[i] == 0) continue;
    if (!first) out << '*';
    first = false;
    if (i < feature_names.size()) {
      out << feature_names[i];
    } else {
      out << 'x' << i;
    }
    if (exponents[i] > 1) out << '^' << exponents[i];
  }
  if (first) out << '1';
  return out.str();
}

std::size_t monomial_count(int num_features, int max_degree, std::size_t limit) {
  if (num_features < 0 || max_degree < 0) {
    throw Error("polynomial terms: need num_features >= 0 and max_degree >= 0, got " +
                std::to_string(num_features) + " and " + std::to_string(max_degree));
  }
  // C(D + K, K) as the running product C(D + k, k) = C(D + k − 1, k − 1)·(D + k)/k. A pass in
  // floating point rejects huge counts first; the exact pass then never exceeds 64 bits, since
  // every partial product is at most (limit + 1)·(D + K).
  double estimate = 1.0;
  for (int k = 1; k <= max_degree; ++k) estimate = estimate * (num_features + k) / k;
  if (estimate - 1.0 > static_cast<double>(limit) + 0.5) {
    throw Error("polynomial terms: degree " + std::to_string(max_degree) + " over " +
                std::to_string(num_features) + " features gives more than " +
                std::to_string(limit) + " monomials");
  }
  std::size_t count = 1;
  for (int k = 1; k <= max_degree; ++k) {
    count = count * static_cast<std::size_t>(num_features + k) / static_cast<std::size_t>(k);
  }
  return count - 1;
}

std::vector<Exponents> monomial_exponents(int num_features, int max_degree) {
  std::vector<Exponents> result;
  result.reserve(monomial_count(num_features, max_degree));
  if (num_features == 0) return result;
  Exponents current(static_cast<std::size_t>(num_features), 0);
  for (int degree = 1; degree <= max_degree; ++degree) {
    append_compositions(0, degree, current, result);
  }
  return result;
}

std::vector<Term> polynomial_terms(int num_features, int max_degree, int num_special) {
  if (num_special < 0) {
    throw Error("polynomial terms: num_special must be >= 0, got " + std::to_string(num_special));
  }
  std::vector<Term> terms;
  for (Exponents& e : monomial_exponents(num_features, max_degree)) {
    terms.push_back(Term{std::move(e), -1});
  }
  for (int s = 0; s < num_special; ++s) terms.push_back(Term{{}, s});
  return terms;
}

double evaluate_term(const Term& term, std::span<const double> features,
                     std::span<const double> special) {
  check_term(term, features.size(), special.size());
  if (term.is_special()) return special[static_cast<std::size_t>(term.special)];
  double value = 1.0;
  for (std::size_t i = 0; i < features.size(); ++i) {
    value *= integer_power(features[i], term.exponents[i]);
  }
  return value;
}

Eigen::MatrixXd design_matrix(std::span<const Term> terms, const RowMatrix& features,
                              const RowMatrix& special) {
  const Eigen::Index rows = features.rows();
  if (special.rows() != rows && special.cols() > 0) {
    throw Error("design matrix: " + std::to_string(rows) + " feature rows but " +
                std::to_string(special.rows()) + " special-term rows");
  }
  model_detail::check_finite("design matrix: feature", features);
  model_detail::check_finite("design matrix: special term", special);
  const auto num_features = static_cast<std::size_t>(features.cols());
  const auto num_special = static_cast<std::size_t>(special.cols());
  Eigen::MatrixXd x(rows, static_cast<Eigen::Index>(terms.size()));
  for (std::size_t t = 0; t < terms.size(); ++t) {
    const Term& term = terms[t];
    check_term(term, num_features, num_special);
    auto column = x.col(static_cast<Eigen::Index>(t));
    if (term.is_special()) {
      column = special.col(term.special);
      continue;
    }
    column.setOnes();
    for (std::size_t i = 0; i < num_features; ++i) {
      for (int e = 0; e < term.exponents[i]; ++e) {
        column.array() *= features.col(static_cast<Eigen::Index>(i)).array();
      }
    }
    for (Eigen::Index r = 0; r < rows; ++r) {
      if (!std::isfinite(column(r))) {
        std::ostringstream message;
        message << "design matrix: term " << term.to_string() << " overflows at row " << r
                << " (value " << column(r) << ")";
        throw Error(message.str());
      }
    }
  }
  return x;
}

}  // namespace np
