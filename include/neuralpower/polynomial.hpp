#pragma once
// Polynomial terms of the NeuralPower layer models (paper eqs. 1 and 2): every monomial of total
// degree 1..K over the D features, plus "special terms" (precomputed columns such as FLOPs or
// memory accesses) that enter linearly. The intercept is not a term; the fit adds it.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace np {

// Feature tables arrive one row per observation.
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// exponents[i] is the power of feature i.
using Exponents = std::vector<int>;

// A column of the design matrix: a monomial, or the special column `special`.
struct Term {
  Exponents exponents;  // empty for a special term
  int special = -1;     // index of the special column, -1 for a monomial

  bool is_special() const { return special >= 0; }
  int degree() const;  // total degree; 1 for a special term
  // "x0^2*x3", "special1"; names replace x<i> and special<s> when given.
  std::string to_string(std::span<const std::string> feature_names = {},
                        std::span<const std::string> special_names = {}) const;
  bool operator==(const Term&) const = default;
};

// C(D + K, K) − 1, the number of monomials of degree 1..K over D features. Throws np::Error
// when it exceeds `limit` (a design matrix that size is never what the caller meant).
std::size_t monomial_count(int num_features, int max_degree, std::size_t limit = 1'000'000);

// All monomials of degree 1..max_degree in graded lexicographic order: by total degree, then
// lexicographically descending exponent vectors (x0², x0·x1, x0·x2, x1², ...), the order of
// scikit-learn's PolynomialFeatures. Every degree-≤k monomial precedes every degree-(k+1) one.
std::vector<Exponents> monomial_exponents(int num_features, int max_degree);

// The monomials of degree 1..max_degree followed by the num_special special terms.
std::vector<Term> polynomial_terms(int num_features, int max_degree, int num_special);

// Value of one term for one observation. Throws np::Error when an index is out of range.
double evaluate_term(const Term& term, std::span<const double> features,
                     std::span<const double> special);

// n × terms.size() design matrix (column-major, as the solver reads columns). `special` may have
// zero columns when no term uses it. Throws np::Error on a row-count mismatch, an out-of-range
// term, a non-finite input or a term that overflows to ±inf.
Eigen::MatrixXd design_matrix(std::span<const Term> terms, const RowMatrix& features,
                              const RowMatrix& special);

}  // namespace np
