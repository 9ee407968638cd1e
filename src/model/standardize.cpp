#include "model/standardize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace np::model_detail {
namespace {

// Below this training variance (in prepared units, where the variance over all rows is 1) the
// subtraction all − held-out has lost too many digits; the column is recomputed from its rows.
constexpr double kRecomputeVariance = 1e-3;

// The training rows are everything outside the held-out block: at most two contiguous pieces.
template <typename Visit>
void for_training_segments(Eigen::Index rows, RowRange held_out, Visit visit) {
  if (held_out.begin > 0) visit(Eigen::Index{0}, held_out.begin);
  const Eigen::Index tail = held_out.begin + held_out.count;
  if (tail < rows) visit(tail, rows - tail);
}

}  // namespace

PreparedColumns prepare_columns(const Eigen::MatrixXd& x, const Eigen::VectorXd& w) {
  PreparedColumns out;
  const Eigen::Index p = x.cols();
  const Eigen::VectorXd v = w / w.sum();
  out.center.resize(p);
  out.scale.resize(p);
  for (Eigen::Index j = 0; j < p; ++j) {
    const auto column = x.col(j);
    if (column.size() == 0 || column.minCoeff() == column.maxCoeff()) {
      // A constant column becomes exactly zero, so no rounding can make it look variable.
      out.center(j) = column.size() == 0 ? 0.0 : column(0);
      out.scale(j) = 1.0;
      continue;
    }
    const double mean = v.dot(column);
    const double variance = v.dot((column.array() - mean).square().matrix());
    out.center(j) = mean;
    out.scale(j) = variance > 0.0 && std::isfinite(variance) ? std::sqrt(variance) : 1.0;
  }
  out.x = (x.rowwise() - out.center.transpose()).array().rowwise() / out.scale.transpose().array();
  out.w = w;
  out.x_weighted = w.cwiseSqrt().asDiagonal() * out.x;
  return out;
}

PreparedTarget prepare_target(const Eigen::VectorXd& y, const Eigen::VectorXd& w) {
  PreparedTarget out;
  out.center = w.dot(y) / w.sum();
  out.y = y.array() - out.center;
  return out;
}

void GramSums::assign(const PreparedColumns& columns, RowRange block) {
  const auto wb = columns.w.segment(block.begin, block.count);
  weight = wb.sum();
  xx.setZero(columns.columns(), columns.columns());
  x.setZero(columns.columns());
  if (columns.columns() == 0 || block.count == 0) return;  // BLAS kernels want data
  x.noalias() = columns.x.middleRows(block.begin, block.count).transpose() * wb;
  xx.selfadjointView<Eigen::Lower>().rankUpdate(
      columns.x_weighted.middleRows(block.begin, block.count).transpose());
}

void GramSums::assign_sum(std::span<const GramSums> blocks) {
  *this = blocks.front();
  for (std::size_t b = 1; b < blocks.size(); ++b) {
    weight += blocks[b].weight;
    x += blocks[b].x;
    xx += blocks[b].xx;
  }
}

void GramSums::assign_difference(const GramSums& all, const GramSums& block) {
  weight = all.weight - block.weight;
  x = all.x - block.x;
  xx = all.xx - block.xx;
}

void TargetSums::assign(const PreparedColumns& columns, const PreparedTarget& target,
                        RowRange block) {
  xy.setZero(columns.columns());
  if (columns.columns() == 0 || block.count == 0) return;
  xy.noalias() = columns.x.middleRows(block.begin, block.count).transpose() *
                 columns.w.segment(block.begin, block.count)
                     .cwiseProduct(target.y.segment(block.begin, block.count));
}

void TargetSums::assign_sum(std::span<const TargetSums> blocks) {
  *this = blocks.front();
  for (std::size_t b = 1; b < blocks.size(); ++b) xy += blocks[b].xy;
}

void TargetSums::assign_difference(const TargetSums& all, const TargetSums& block) {
  xy = all.xy - block.xy;
}

void RowBounds::assign(const PreparedColumns& columns, const PreparedTarget& target,
                       RowRange block) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (block.count == 0) {
    x_min.setConstant(columns.columns(), kInf);
    x_max.setConstant(columns.columns(), -kInf);
    y_min = kInf;
    y_max = -kInf;
    return;
  }
  const auto xb = columns.x.middleRows(block.begin, block.count);
  const auto yb = target.y.segment(block.begin, block.count);
  x_min = xb.colwise().minCoeff().transpose();
  x_max = xb.colwise().maxCoeff().transpose();
  y_min = yb.minCoeff();
  y_max = yb.maxCoeff();
}

void RowBounds::assign_union(std::span<const RowBounds> blocks, std::size_t skip) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const Eigen::Index p = blocks.empty() ? 0 : blocks.front().x_min.size();
  x_min.setConstant(p, kInf);
  x_max.setConstant(p, -kInf);
  y_min = kInf;
  y_max = -kInf;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    if (b == skip) continue;
    x_min = x_min.cwiseMin(blocks[b].x_min);
    x_max = x_max.cwiseMax(blocks[b].x_max);
    y_min = std::min(y_min, blocks[b].y_min);
    y_max = std::max(y_max, blocks[b].y_max);
  }
}

void standardize(const PreparedColumns& columns, const PreparedTarget& target, const GramSums& gram,
                 const TargetSums& cross_sums, const RowBounds& bounds, RowRange held_out,
                 StandardizedProblem& out) {
  const Eigen::Index p = columns.columns();
  const Eigen::Index n = columns.rows();
  out.gram.resize(p, p);
  out.xty.resize(p);
  out.usable.resize(static_cast<std::size_t>(p));
  out.mean.resize(p);
  out.scale.resize(p);
  out.rows = n - held_out.count;

  // The target's statistics straight from the rows: O(n), and exact where it matters most
  // (the convergence threshold and the constant-target test).
  double weight = 0.0;
  double weighted_y = 0.0;
  for_training_segments(n, held_out, [&](Eigen::Index begin, Eigen::Index count) {
    weight += columns.w.segment(begin, count).sum();
    weighted_y += columns.w.segment(begin, count).dot(target.y.segment(begin, count));
  });
  out.y_mean = weight > 0.0 ? weighted_y / weight : 0.0;
  double y_variance = 0.0;
  for_training_segments(n, held_out, [&](Eigen::Index begin, Eigen::Index count) {
    y_variance += columns.w.segment(begin, count)
                      .dot((target.y.segment(begin, count).array() - out.y_mean).square().matrix());
  });
  y_variance = weight > 0.0 ? y_variance / weight : 0.0;
  out.y_scale = std::sqrt(y_variance);
  out.constant_target = !(weight > 0.0) || bounds.y_min >= bounds.y_max || !(y_variance > 0.0);

  if (!(weight > 0.0)) {
    out.gram.setZero();
    out.xty.setZero();
    out.mean.setZero();
    out.scale.setOnes();
    std::fill(out.usable.begin(), out.usable.end(), 0);
    return;
  }

  // Covariances (lower triangle) and covariances with y, in prepared units.
  out.mean = gram.x / weight;
  out.gram.noalias() = gram.xx / weight;
  out.gram.noalias() -= out.mean * out.mean.transpose();
  out.xty = cross_sums.xy / weight - out.mean * out.y_mean;

  Eigen::VectorXd centered;
  Eigen::VectorXd cross(p);
  for (Eigen::Index j = 0; j < p; ++j) {
    const bool varies = bounds.x_min(j) < bounds.x_max(j);
    if (!varies || out.gram(j, j) >= kRecomputeVariance) continue;
    // Exact column j: m_j, then Σ w (x_j − m_j) x_k and Σ w (x_j − m_j) y over training rows.
    double weighted_x = 0.0;
    for_training_segments(n, held_out, [&](Eigen::Index begin, Eigen::Index count) {
      weighted_x += columns.w.segment(begin, count).dot(columns.x.col(j).segment(begin, count));
    });
    const double mean = weighted_x / weight;
    cross.setZero();
    double cross_y = 0.0;
    for_training_segments(n, held_out, [&](Eigen::Index begin, Eigen::Index count) {
      centered =
          columns.w.segment(begin, count)
              .cwiseProduct((columns.x.col(j).segment(begin, count).array() - mean).matrix());
      cross.noalias() += columns.x.middleRows(begin, count).transpose() * centered;
      cross_y += centered.dot(target.y.segment(begin, count));
    });
    cross /= weight;
    out.mean(j) = mean;
    for (Eigen::Index k = 0; k < p; ++k) {
      out.gram(std::max(j, k), std::min(j, k)) = cross(k);
    }
    out.xty(j) = cross_y / weight;
  }

  Eigen::VectorXd inverse_scale(p);
  for (Eigen::Index j = 0; j < p; ++j) {
    const double variance = out.gram(j, j);
    const bool usable = bounds.x_min(j) < bounds.x_max(j) && variance > 0.0;
    out.usable[static_cast<std::size_t>(j)] = usable ? 1 : 0;
    out.scale(j) = usable ? std::sqrt(variance) : 1.0;
    inverse_scale(j) = usable ? 1.0 / out.scale(j) : 0.0;
  }
  for (Eigen::Index k = 0; k < p; ++k) {
    for (Eigen::Index j = k; j < p; ++j) {
      const double value = out.gram(j, k) * inverse_scale(j) * inverse_scale(k);
      out.gram(j, k) = value;
      out.gram(k, j) = value;
    }
    if (out.usable[static_cast<std::size_t>(k)]) out.gram(k, k) = 1.0;
  }
  out.xty = out.xty.cwiseProduct(inverse_scale);
  if (out.constant_target) out.xty.setZero();
}

void select_leading_columns(const StandardizedProblem& full, Eigen::Index count,
                            StandardizedProblem& out) {
  out.gram = full.gram.topLeftCorner(count, count);
  out.xty = full.xty.head(count);
  out.mean = full.mean.head(count);
  out.scale = full.scale.head(count);
  out.usable.assign(full.usable.begin(), full.usable.begin() + count);
  out.y_mean = full.y_mean;
  out.y_scale = full.y_scale;
  out.constant_target = full.constant_target;
  out.rows = full.rows;
}

void to_prepared_units(const StandardizedProblem& problem, const Eigen::MatrixXd& betas,
                       Eigen::MatrixXd& coefficients, Eigen::VectorXd& intercepts) {
  coefficients = betas.array().colwise() / problem.scale.array();
  intercepts.resize(betas.cols());
  intercepts.setConstant(problem.y_mean);
  if (coefficients.rows() > 0) intercepts.noalias() -= coefficients.transpose() * problem.mean;
}

void to_original_units(const PreparedColumns& columns, const PreparedTarget& target,
                       Eigen::MatrixXd& coefficients, Eigen::VectorXd& intercepts) {
  const Eigen::Index count = coefficients.rows();
  coefficients.array().colwise() /= columns.scale.head(count).array();
  intercepts.array() += target.center;
  if (count > 0) intercepts.noalias() -= coefficients.transpose() * columns.center.head(count);
}

double explained_fraction(const CoordinateDescent& solver) {
  const StandardizedProblem& problem = solver.problem();
  const double variance = problem.y_scale * problem.y_scale;
  if (problem.constant_target || !(variance > 0.0)) return 1.0;
  // RSS/n = var(y) − 2cᵀβ̃ + β̃ᵀGβ̃ = var(y) − β̃ᵀ(c + g) with g = c − Gβ̃.
  return solver.beta().dot(problem.xty + solver.gradient()) / variance;
}

std::size_t run_path(CoordinateDescent& solver, std::span<const double> lambdas,
                     const LassoOptions& options, Eigen::MatrixXd& betas,
                     std::span<std::size_t> passes, std::span<unsigned char> converged) {
  solver.reset();
  betas.resize(solver.beta().size(), static_cast<Eigen::Index>(lambdas.size()));
  std::size_t failures = 0;
  // Only a problem that can interpolate (columns + 1 ≥ rows) stops early: below it the
  // solution is unique and the path is cheap, and the λ grid keeps its meaning.
  const bool may_stop = solver.problem().columns() + 1 >= solver.problem().rows;
  bool saturated = false;
  for (std::size_t k = 0; k < lambdas.size(); ++k) {
    const auto column = static_cast<Eigen::Index>(k);
    if (saturated) {
      betas.col(column) = betas.col(column - 1);
      if (k < passes.size()) passes[k] = 0;
      if (k < converged.size()) converged[k] = 1;
      continue;
    }
    const bool ok = solver.solve(lambdas[k], options);
    if (!ok) ++failures;
    betas.col(column) = solver.beta();
    if (k < passes.size()) passes[k] = solver.passes();
    if (k < converged.size()) converged[k] = ok ? 1 : 0;
    saturated = may_stop && explained_fraction(solver) >= options.saturation;
  }
  return failures;
}

}  // namespace np::model_detail
