#pragma once
// Shared by the model tests: seeded data generators and an independent KKT check of a Lasso
// solution (its own standardisation, straight from the definitions in lasso.hpp).
#include <algorithm>
#include <cmath>
#include <random>

#include <Eigen/Core>

namespace np_test {

// n × p matrix of correlated columns: a shared factor plus noise, then scaled and shifted so
// that columns have very different units (as layer features do).
inline Eigen::MatrixXd correlated_columns(int rows, int cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::MatrixXd x(rows, cols);
  for (int i = 0; i < rows; ++i) {
    const double shared = normal(rng);
    for (int j = 0; j < cols; ++j) x(i, j) = 0.8 * shared + normal(rng);
  }
  for (int j = 0; j < cols; ++j) {
    x.col(j) = x.col(j) * std::pow(10.0, j % 4) + Eigen::VectorXd::Constant(rows, 3.0 * j);
  }
  return x;
}

// Largest violation of the Lasso optimality conditions at `lambda` for coefficients in original
// units, measured on columns standardised with the weighted mean and population sd:
//   g_j = x̃_jᵀ(w∘r)/n,  |g_j| ≤ λ where β_j = 0,  g_j = λ·sign(β_j) where β_j ≠ 0,
// and Σ w r = 0 for the unpenalised intercept. Constant columns are skipped. `weights` empty
// means ones.
struct KktReport {
  double worst_zero = 0.0;    // max over β_j = 0 of |g_j| − λ (≤ 0 when satisfied)
  double worst_active = 0.0;  // max over β_j ≠ 0 of |g_j − λ·sign(β_j)|
  double intercept = 0.0;     // |Σ w r| / n
  int active = 0;
};

inline KktReport kkt(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, Eigen::VectorXd weights,
                     const Eigen::VectorXd& beta, double intercept, double lambda) {
  const auto n = static_cast<double>(x.rows());
  if (weights.size() == 0) weights = Eigen::VectorXd::Ones(x.rows());
  weights *= n / weights.sum();
  const Eigen::VectorXd residual = y - x * beta - Eigen::VectorXd::Constant(x.rows(), intercept);
  KktReport report;
  report.worst_zero = -lambda;
  report.intercept = std::abs(weights.dot(residual)) / n;
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const double mean = weights.dot(x.col(j)) / n;
    const Eigen::VectorXd centred = x.col(j).array() - mean;
    const double sd = std::sqrt(weights.dot(centred.cwiseProduct(centred)) / n);
    if (sd == 0.0) continue;
    const double g = weights.cwiseProduct(centred).dot(residual) / (n * sd);
    if (beta(j) == 0.0) {
      report.worst_zero = std::max(report.worst_zero, std::abs(g) - lambda);
    } else {
      ++report.active;
      const double target = beta(j) > 0.0 ? lambda : -lambda;
      report.worst_active = std::max(report.worst_active, std::abs(g - target));
    }
  }
  return report;
}

inline double weighted_sd(const Eigen::VectorXd& y, Eigen::VectorXd weights) {
  if (weights.size() == 0) weights = Eigen::VectorXd::Ones(y.size());
  weights /= weights.sum();
  const double mean = weights.dot(y);
  return std::sqrt(weights.dot((y.array() - mean).square().matrix()));
}

}  // namespace np_test
