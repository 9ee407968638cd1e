#pragma once
// Builds the standardised covariance-form Lasso problem of a set of rows from weighted sums, so
// that a cross-validation fold costs O(p²) instead of a new Gram matrix: the sums of the
// training rows are the sums of all rows minus those of the held-out block. Columns are first
// shifted and scaled globally, which keeps the subtraction from losing digits to large means;
// a column whose training variance still comes out small (the held-out rows carried nearly all
// of its spread) is recomputed exactly from the training rows. The column part (the expensive
// Gram sums) depends only on x and the weights, so targets fitted with the same weights share
// it.
#include <cstddef>
#include <span>

#include <Eigen/Core>

#include "model/coordinate_descent.hpp"
#include "neuralpower/lasso_path.hpp"

namespace np::model_detail {

// Rows in fitting order, each column shifted and scaled once: x' = (x − center)/scale.
// Held-out blocks are contiguous row ranges of these.
struct PreparedColumns {
  Eigen::MatrixXd x;           // n × p
  Eigen::MatrixXd x_weighted;  // x' with row i times sqrt(w_i)
  Eigen::VectorXd w;           // as given; only ratios matter
  Eigen::VectorXd center, scale;

  Eigen::Index rows() const { return x.rows(); }
  Eigen::Index columns() const { return x.cols(); }
};

// y' = y − center, in the same row order.
struct PreparedTarget {
  Eigen::VectorXd y;
  double center = 0.0;
};

// `x` and `w` must be finite with w ≥ 0 and Σw > 0 (checked by the callers).
PreparedColumns prepare_columns(const Eigen::MatrixXd& x, const Eigen::VectorXd& w);
PreparedTarget prepare_target(const Eigen::VectorXd& y, const Eigen::VectorXd& w);

// Rows [begin, begin + count).
struct RowRange {
  Eigen::Index begin = 0;
  Eigen::Index count = 0;
};

// Σw, Σw·x and the lower triangle of Σw·x·xᵀ (upper part unused) over a set of rows.
struct GramSums {
  double weight = 0.0;
  Eigen::VectorXd x;
  Eigen::MatrixXd xx;

  void assign(const PreparedColumns& columns, RowRange block);
  void assign_sum(std::span<const GramSums> blocks);  // disjoint blocks, at least one
  void assign_difference(const GramSums& all, const GramSums& block);
};

// Σw·x·y' over a set of rows.
struct TargetSums {
  Eigen::VectorXd xy;

  void assign(const PreparedColumns& columns, const PreparedTarget& target, RowRange block);
  void assign_sum(std::span<const TargetSums> blocks);
  void assign_difference(const TargetSums& all, const TargetSums& block);
};

// Column and target ranges over a set of rows; unlike sums they cannot be subtracted, so the
// training ranges are combined from those of the other blocks.
struct RowBounds {
  Eigen::VectorXd x_min, x_max;
  double y_min = 0.0, y_max = 0.0;

  void assign(const PreparedColumns& columns, const PreparedTarget& target, RowRange block);
  void assign_union(std::span<const RowBounds> blocks, std::size_t skip);  // all but `skip`
};

// The standardised problem of all rows except `held_out`, from their sums and ranges. `out`
// keeps its allocation between calls with the same number of columns. Means and scales are in
// the prepared units.
void standardize(const PreparedColumns& columns, const PreparedTarget& target, const GramSums& gram,
                 const TargetSums& cross, const RowBounds& bounds, RowRange held_out,
                 StandardizedProblem& out);

// The sub-problem on the first `count` columns (same rows).
void select_leading_columns(const StandardizedProblem& full, Eigen::Index count,
                            StandardizedProblem& out);

// Standardised coefficients (one column per λ) to coefficients on the prepared columns x', with
// intercepts such that ŷ' = intercept + x'ᵀβ' (add the target's center for y).
void to_prepared_units(const StandardizedProblem& problem, const Eigen::MatrixXd& betas,
                       Eigen::MatrixXd& coefficients, Eigen::VectorXd& intercepts);

// Coefficients on x' (of the leading columns) to original units, in place.
void to_original_units(const PreparedColumns& columns, const PreparedTarget& target,
                       Eigen::MatrixXd& coefficients, Eigen::VectorXd& intercepts);

// R² of the solver's current solution on its problem's rows (1 for a constant target).
double explained_fraction(const CoordinateDescent& solver);

// Runs the path from β̃ = 0 over `lambdas`, stopping early at options.saturation (lasso_path.hpp);
// column k of `betas` is the standardised solution at lambdas[k]. Records sweeps and convergence
// per λ when the spans are non-empty. Returns the number of λ that did not converge.
std::size_t run_path(CoordinateDescent& solver, std::span<const double> lambdas,
                     const LassoOptions& options, Eigen::MatrixXd& betas,
                     std::span<std::size_t> passes = {}, std::span<unsigned char> converged = {});

}  // namespace np::model_detail
