#include "model/coordinate_descent.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Cholesky>

namespace np {

double default_lambda_min_ratio(std::size_t rows, std::size_t columns) {
  return rows > columns ? 1e-4 : 1e-2;
}

std::vector<double> lambda_grid(double lambda_max, std::size_t count, double min_ratio) {
  std::vector<double> grid(count, 0.0);
  if (!(lambda_max > 0.0) || count == 0) return grid;
  grid[0] = lambda_max;
  const double log_ratio = std::log(min_ratio);
  for (std::size_t k = 1; k < count; ++k) {
    grid[k] =
        lambda_max * std::exp(log_ratio * static_cast<double>(k) / static_cast<double>(count - 1));
  }
  return grid;
}

namespace model_detail {
namespace {

// Keeps the support's Cholesky factorisation defined when columns coincide (G_SS singular).
constexpr double kNewtonRidge = 1e-9;
// Beyond this support size the O(|S|³) factorisation costs more than the sweeps it saves.
constexpr Eigen::Index kMaxNewtonSupport = 400;
// Newton steps follow every this many active-set sweeps that did not converge.
constexpr int kSweepsPerNewtonStep = 2;

double soft_threshold(double z, double lambda) {
  if (z > lambda) return z - lambda;
  if (z < -lambda) return z + lambda;
  return 0.0;
}

}  // namespace

double lambda_max(const StandardizedProblem& problem) {
  if (problem.constant_target) return 0.0;
  double result = 0.0;
  for (Eigen::Index j = 0; j < problem.columns(); ++j) {
    if (problem.usable[static_cast<std::size_t>(j)]) {
      result = std::max(result, std::abs(problem.xty(j)));
    }
  }
  return result;
}

CoordinateDescent::CoordinateDescent(const StandardizedProblem& problem) : problem_(problem) {
  reset();
}

void CoordinateDescent::reset() {
  const Eigen::Index p = problem_.columns();
  const auto columns = static_cast<std::size_t>(p);
  beta_.setZero(p);
  synced_beta_.setZero(p);
  gradient_ = problem_.xty;
  usable_.reserve(columns);
  usable_.clear();
  for (Eigen::Index j = 0; j < p; ++j) {
    if (problem_.usable[static_cast<std::size_t>(j)]) usable_.push_back(j);
  }
  active_.reserve(columns);
  active_.clear();
  active_position_.assign(columns, -1);
  if (active_gram_.rows() != p) {
    active_gram_.resize(p, p);
    active_gradient_.resize(p);
  }
  const Eigen::Index newton_size = std::min(p, kMaxNewtonSupport);
  if (factor_.rows() != newton_size) {
    factor_.resize(newton_size, newton_size);
    for (Eigen::VectorXd* v : {&step_, &rhs_, &update_, &support_gradient_, &start_beta_}) {
      v->resize(newton_size);
    }
  }
  support_.reserve(columns);
  remaining_.reserve(columns);
  passes_ = 0;
}

void CoordinateDescent::activate(Eigen::Index column) {
  const auto position = static_cast<Eigen::Index>(active_.size());
  active_.push_back(column);
  active_position_[static_cast<std::size_t>(column)] = position;
  for (Eigen::Index b = 0; b <= position; ++b) {
    const double value = problem_.gram(active_[static_cast<std::size_t>(b)], column);
    active_gram_(b, position) = value;
    active_gram_(position, b) = value;
  }
}

void CoordinateDescent::sync_gradient() {
  for (const Eigen::Index j : active_) {
    const double delta = beta_(j) - synced_beta_(j);
    if (delta == 0.0) continue;
    gradient_.noalias() -= delta * problem_.gram.col(j);
    synced_beta_(j) = beta_(j);
  }
}

double CoordinateDescent::full_sweep(double lambda) {
  sync_gradient();
  double largest_change = 0.0;
  for (const Eigen::Index j : usable_) {
    const double old = beta_(j);
    const double updated = soft_threshold(gradient_(j) + old, lambda);
    if (updated == old) continue;
    const double delta = updated - old;
    beta_(j) = updated;
    synced_beta_(j) = updated;
    gradient_.noalias() -= delta * problem_.gram.col(j);
    largest_change = std::max(largest_change, std::abs(delta));
    if (active_position_[static_cast<std::size_t>(j)] < 0) activate(j);
  }
  for (std::size_t a = 0; a < active_.size(); ++a) {
    active_gradient_(static_cast<Eigen::Index>(a)) = gradient_(active_[a]);
  }
  return largest_change;
}

double CoordinateDescent::active_sweep(double lambda) {
  const auto m = static_cast<Eigen::Index>(active_.size());
  auto gradient = active_gradient_.head(m);
  double largest_change = 0.0;
  for (Eigen::Index a = 0; a < m; ++a) {
    const Eigen::Index j = active_[static_cast<std::size_t>(a)];
    const double old = beta_(j);
    const double updated = soft_threshold(gradient(a) + old, lambda);
    if (updated == old) continue;
    const double delta = updated - old;
    beta_(j) = updated;
    gradient.noalias() -= delta * active_gram_.col(a).head(m);
    largest_change = std::max(largest_change, std::abs(delta));
  }
  return largest_change;
}

void CoordinateDescent::remove_from_factor(Eigen::Index k, Eigen::Index m) {
  // With L = [L11 0 0; l21ᵀ l22 0; L31 l32 L33], deleting row and column k leaves
  // [L11 0; L31 L33'] with L33' L33'ᵀ = L33 L33ᵀ + l32 l32ᵀ: a rank-one update, always stable.
  auto factor = factor_.topLeftCorner(m, m);
  const Eigen::Index tail = m - k - 1;
  auto update = update_.head(tail);
  update = factor.col(k).segment(k + 1, tail);
  for (Eigen::Index c = 0; c < k; ++c) {
    for (Eigen::Index r = k + 1; r < m; ++r) factor(r - 1, c) = factor(r, c);
  }
  for (Eigen::Index c = k + 1; c < m; ++c) {
    for (Eigen::Index r = c; r < m; ++r) factor(r - 1, c - 1) = factor(r, c);
  }
  auto trailing = factor_.block(k, k, tail, tail);
  for (Eigen::Index i = 0; i < tail; ++i) {
    const double diagonal = trailing(i, i);
    const double updated = std::sqrt(diagonal * diagonal + update(i) * update(i));
    const double cosine = updated / diagonal;
    const double sine = update(i) / diagonal;
    trailing(i, i) = updated;
    for (Eigen::Index r = i + 1; r < tail; ++r) {
      trailing(r, i) = (trailing(r, i) + sine * update(r)) / cosine;
      update(r) = cosine * update(r) - sine * trailing(r, i);
    }
  }
}

void CoordinateDescent::newton_step(double lambda) {
  support_.clear();
  for (std::size_t a = 0; a < active_.size(); ++a) {
    if (beta_(active_[a]) != 0.0) support_.push_back(static_cast<Eigen::Index>(a));
  }
  const auto size = static_cast<Eigen::Index>(support_.size());
  if (size == 0 || size > factor_.rows()) return;
  for (Eigen::Index s = 0; s < size; ++s) {
    const Eigen::Index a = support_[static_cast<std::size_t>(s)];
    for (Eigen::Index t = s; t < size; ++t) {
      factor_(t, s) = active_gram_(support_[static_cast<std::size_t>(t)], a);
    }
    factor_(s, s) += kNewtonRidge;
    support_gradient_(s) = active_gradient_(a);
    start_beta_(s) = beta_(active_[static_cast<std::size_t>(a)]);
  }
  auto system = factor_.topLeftCorner(size, size);
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> cholesky(system);
  if (cholesky.info() != Eigen::Success) return;

  // Each round tracks the gradient on the shrinking support only, in O(|S|²):
  // G_SS·δ = (LLᵀ − εI)·δ = r − εδ. The active gradient is brought up to date at the end.
  remaining_.clear();
  for (const Eigen::Index a : support_) remaining_.push_back(active_[static_cast<std::size_t>(a)]);
  const auto coefficient = [&](Eigen::Index s) -> double& {
    return beta_(remaining_[static_cast<std::size_t>(s)]);
  };
  Eigen::Index m = size;
  while (m > 0) {
    const auto factor = factor_.topLeftCorner(m, m);
    auto rhs = rhs_.head(m);
    auto step = step_.head(m);
    for (Eigen::Index s = 0; s < m; ++s) {
      rhs(s) = support_gradient_(s) - (coefficient(s) > 0.0 ? lambda : -lambda);
    }
    step = rhs;
    factor.triangularView<Eigen::Lower>().solveInPlace(step);
    factor.triangularView<Eigen::Lower>().transpose().solveInPlace(step);

    // Longest step t ≤ 1 that keeps every sign; the coefficient that reaches zero first stops
    // it and leaves the support.
    double t = 1.0;
    Eigen::Index blocking = -1;
    for (Eigen::Index s = 0; s < m; ++s) {
      const double b = coefficient(s);
      const double moved = b + step(s);
      if (moved == 0.0 || (moved > 0.0) != (b > 0.0)) {
        const double reach = -b / step(s);
        if (reach < t) {
          t = reach;
          blocking = s;
        }
      }
    }
    for (Eigen::Index s = 0; s < m; ++s) {
      coefficient(s) = s == blocking ? 0.0 : coefficient(s) + t * step(s);
    }
    support_gradient_.head(m) -= t * (rhs - kNewtonRidge * step);
    if (blocking < 0) break;
    remove_from_factor(blocking, m);
    for (Eigen::Index s = blocking; s + 1 < m; ++s) {
      support_gradient_(s) = support_gradient_(s + 1);
    }
    remaining_.erase(remaining_.begin() + blocking);
    --m;
  }
  const auto active = static_cast<Eigen::Index>(active_.size());
  for (Eigen::Index s = 0; s < size; ++s) {
    const Eigen::Index a = support_[static_cast<std::size_t>(s)];
    const double delta = beta_(active_[static_cast<std::size_t>(a)]) - start_beta_(s);
    if (delta != 0.0) active_gradient_.head(active) -= delta * active_gram_.col(a).head(active);
  }
}

bool CoordinateDescent::solve(double lambda, const LassoOptions& options) {
  passes_ = 0;
  if (problem_.constant_target || usable_.empty()) return true;
  const double threshold = options.tolerance * problem_.y_scale;
  while (true) {
    // A sweep over every column decides convergence: only it can see a column about to enter.
    const double change = full_sweep(lambda);
    ++passes_;
    if (change <= threshold) return true;
    int sweeps_since_newton = 0;
    while (true) {
      if (passes_ >= options.max_passes) {
        sync_gradient();
        return false;
      }
      const double active_change = active_sweep(lambda);
      ++passes_;
      if (active_change <= threshold) break;
      if (++sweeps_since_newton == kSweepsPerNewtonStep) {
        newton_step(lambda);
        sweeps_since_newton = 0;
      }
    }
    if (passes_ >= options.max_passes) {
      sync_gradient();
      return false;
    }
  }
}

}  // namespace model_detail
}  // namespace np
