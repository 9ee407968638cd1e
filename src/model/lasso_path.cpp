#include <cmath>
#include <sstream>

#include "model/checks.hpp"
#include "model/standardize.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/lasso_path.hpp"

namespace np {
namespace model_detail {

void check_lasso_options(const LassoOptions& options) {
  if (options.num_lambdas == 0) throw Error("lasso: num_lambdas must be at least 1, got 0");
  if (!(options.lambda_min_ratio <= 1.0)) {
    std::ostringstream message;
    message << "lasso: lambda_min_ratio must be in (0, 1] (or <= 0 for the default), got "
            << options.lambda_min_ratio;
    throw Error(message.str());
  }
  if (!(options.tolerance >= 0.0) || !std::isfinite(options.tolerance)) {
    std::ostringstream message;
    message << "lasso: tolerance must be finite and >= 0, got " << options.tolerance;
    throw Error(message.str());
  }
  if (options.max_passes == 0) throw Error("lasso: max_passes must be at least 1, got 0");
}

}  // namespace model_detail

namespace {

// Observation weights rescaled to sum n; all ones when none are given.
Eigen::VectorXd normalised_weights(const Eigen::VectorXd& weights, Eigen::Index rows) {
  if (weights.size() == 0) return Eigen::VectorXd::Ones(rows);
  if (weights.size() != rows) {
    throw Error("lasso: " + std::to_string(weights.size()) + " weights for " +
                std::to_string(rows) + " rows");
  }
  model_detail::check_finite("lasso: weight", weights);
  for (Eigen::Index i = 0; i < rows; ++i) {
    if (weights(i) < 0.0) {
      std::ostringstream message;
      message << "lasso: weight of row " << i << " is negative (" << weights(i) << ")";
      throw Error(message.str());
    }
  }
  const double sum = weights.sum();
  if (!(sum > 0.0)) throw Error("lasso: the weights sum to 0");
  return weights * (static_cast<double>(rows) / sum);
}

}  // namespace

std::size_t LassoPath::nonzero(std::size_t lambda_index) const {
  const auto column = coefficients.col(static_cast<Eigen::Index>(lambda_index));
  return static_cast<std::size_t>((column.array() != 0.0).count());
}

LassoPath lasso_path(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                     const Eigen::VectorXd& weights, const LassoOptions& options,
                     std::span<const double> lambdas) {
  model_detail::check_lasso_options(options);
  const Eigen::Index n = x.rows();
  const Eigen::Index p = x.cols();
  if (n == 0) throw Error("lasso: no rows to fit");
  if (y.size() != n) {
    throw Error("lasso: " + std::to_string(n) + " rows of x but " + std::to_string(y.size()) +
                " targets");
  }
  model_detail::check_finite("lasso: x", x);
  model_detail::check_finite("lasso: y", y);
  for (std::size_t k = 0; k < lambdas.size(); ++k) {
    if (!(lambdas[k] >= 0.0) || !std::isfinite(lambdas[k])) {
      std::ostringstream message;
      message << "lasso: lambda " << k << " must be finite and >= 0, got " << lambdas[k];
      throw Error(message.str());
    }
  }
  const Eigen::VectorXd w = normalised_weights(weights, n);

  const model_detail::PreparedColumns columns = model_detail::prepare_columns(x, w);
  const model_detail::PreparedTarget target = model_detail::prepare_target(y, w);
  const model_detail::RowRange all_rows{0, n};
  model_detail::GramSums gram;
  gram.assign(columns, all_rows);
  model_detail::TargetSums cross;
  cross.assign(columns, target, all_rows);
  model_detail::RowBounds bounds;
  bounds.assign(columns, target, all_rows);
  model_detail::StandardizedProblem problem;
  model_detail::standardize(columns, target, gram, cross, bounds, {0, 0}, problem);

  LassoPath path;
  if (lambdas.empty()) {
    const double ratio =
        options.lambda_min_ratio > 0.0
            ? options.lambda_min_ratio
            : default_lambda_min_ratio(static_cast<std::size_t>(n), static_cast<std::size_t>(p));
    path.lambdas = lambda_grid(model_detail::lambda_max(problem), options.num_lambdas, ratio);
  } else {
    path.lambdas.assign(lambdas.begin(), lambdas.end());
  }
  path.passes.resize(path.lambdas.size());
  path.converged.resize(path.lambdas.size());

  model_detail::CoordinateDescent solver(problem);
  Eigen::MatrixXd betas;
  model_detail::run_path(solver, path.lambdas, options, betas, path.passes, path.converged);
  model_detail::to_prepared_units(problem, betas, path.coefficients, path.intercepts);
  model_detail::to_original_units(columns, target, path.coefficients, path.intercepts);
  return path;
}

}  // namespace np
