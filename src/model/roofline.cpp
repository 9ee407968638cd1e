#include "neuralpower/roofline.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "neuralpower/error.hpp"

namespace np {
namespace {

void check_rows(std::span<const double> flops, std::span<const double> elements,
                std::span<const double> runtime) {
  if (flops.size() != runtime.size() || elements.size() != runtime.size()) {
    throw Error("roofline: " + std::to_string(runtime.size()) + " runtimes but " +
                std::to_string(flops.size()) + " FLOP and " + std::to_string(elements.size()) +
                " element counts");
  }
  if (runtime.size() < 2) throw Error("roofline: need at least 2 rows");
  bool any_work = false;
  for (std::size_t i = 0; i < runtime.size(); ++i) {
    if (!(runtime[i] > 0.0) || !std::isfinite(runtime[i])) {
      throw Error("roofline: runtime of row " + std::to_string(i) + " is " +
                  std::to_string(runtime[i]) + ", must be > 0");
    }
    if (!(flops[i] >= 0.0) || !(elements[i] >= 0.0) || !std::isfinite(flops[i]) ||
        !std::isfinite(elements[i])) {
      throw Error("roofline: FLOPs or elements of row " + std::to_string(i) +
                  " negative or not finite");
    }
    any_work = any_work || flops[i] > 0.0 || elements[i] > 0.0;
  }
  if (!any_work) throw Error("roofline: no row has FLOPs or elements");
}

Roofline from_theta(const Eigen::Vector3d& theta, bool use_flops, bool use_elements) {
  return {use_flops ? std::exp(theta(0)) : 0.0, use_elements ? std::exp(theta(1)) : 0.0,
          std::exp(theta(2))};
}

// Residuals r_i = log t_i − log y_i and their Jacobian wrt θ.
void residuals(const Roofline& m, std::span<const double> flops, std::span<const double> elements,
               std::span<const double> runtime, Eigen::VectorXd& r, Eigen::MatrixXd* jacobian) {
  const auto n = static_cast<Eigen::Index>(runtime.size());
  r.resize(n);
  if (jacobian) jacobian->setZero(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const double compute = m.ms_per_flop * flops[k];
    const double memory = m.ms_per_element * elements[k];
    const double t = std::max(compute, memory) + m.overhead_ms;
    r(i) = std::log(t) - std::log(runtime[k]);
    if (!jacobian) continue;
    if (compute >= memory) {
      (*jacobian)(i, 0) = compute / t;
    } else {
      (*jacobian)(i, 1) = memory / t;
    }
    (*jacobian)(i, 2) = m.overhead_ms / t;
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto mid = v.begin() + static_cast<long>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// Ratio y/x over rows with x > 0, reduced by `pick`.
template <typename Pick>
double ratio(std::span<const double> x, std::span<const double> y, Pick pick, double none) {
  double out = none;
  bool any = false;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!(x[i] > 0.0)) continue;
    const double q = y[i] / x[i];
    out = any ? pick(out, q) : q;
    any = true;
  }
  return out;
}

struct Solution {
  Eigen::Vector3d theta = Eigen::Vector3d::Zero();
  double loss = std::numeric_limits<double>::infinity();
  std::size_t iterations = 0;
};

Solution levenberg_marquardt(Eigen::Vector3d theta, const Eigen::Vector3d& free,
                             std::span<const double> flops, std::span<const double> elements,
                             std::span<const double> runtime, bool use_flops, bool use_elements) {
  const auto n = static_cast<double>(runtime.size());
  Eigen::VectorXd r;
  Eigen::MatrixXd jacobian;
  residuals(from_theta(theta, use_flops, use_elements), flops, elements, runtime, r, &jacobian);
  double loss = r.squaredNorm() / n;
  double mu = 1e-3;
  std::size_t iteration = 0;
  for (; iteration < 500; ++iteration) {
    const Eigen::MatrixXd j = jacobian * free.asDiagonal();
    const Eigen::Vector3d g = j.transpose() * r;
    if (g.cwiseAbs().maxCoeff() < 1e-13 * n) break;
    const Eigen::Matrix3d h = j.transpose() * j;
    bool improved = false;
    while (mu < 1e12) {
      Eigen::Matrix3d damped = h;
      for (int k = 0; k < 3; ++k) damped(k, k) += mu * std::max(h(k, k), 1e-12) + (1.0 - free(k));
      const Eigen::Vector3d step = -damped.ldlt().solve(g);
      Eigen::Vector3d candidate =
          (theta + step.cwiseProduct(free)).cwiseMax(-700.0).cwiseMin(700.0);
      Eigen::VectorXd trial_r;
      residuals(from_theta(candidate, use_flops, use_elements), flops, elements, runtime, trial_r,
                nullptr);
      const double trial = trial_r.squaredNorm() / n;
      if (std::isfinite(trial) && trial < loss) {
        const bool tiny = loss - trial <= 1e-15 * std::max(loss, 1e-300);
        theta = candidate;
        loss = trial;
        mu = std::max(mu / 3.0, 1e-12);
        improved = !tiny;
        break;
      }
      mu *= 4.0;
    }
    if (!improved) break;
    residuals(from_theta(theta, use_flops, use_elements), flops, elements, runtime, r, &jacobian);
  }
  return {theta, loss, iteration};
}

}  // namespace

double roofline_log_loss(const Roofline& model, std::span<const double> flops,
                         std::span<const double> elements, std::span<const double> runtime,
                         Eigen::Vector3d* gradient) {
  Eigen::VectorXd r;
  Eigen::MatrixXd jacobian;
  residuals(model, flops, elements, runtime, r, gradient ? &jacobian : nullptr);
  const auto n = static_cast<double>(runtime.size());
  if (gradient) *gradient = 2.0 / n * (jacobian.transpose() * r);
  return r.squaredNorm() / n;
}

RooflineFit fit_roofline(std::span<const double> flops, std::span<const double> elements,
                         std::span<const double> runtime) {
  check_rows(flops, elements, runtime);
  const bool use_flops = std::any_of(flops.begin(), flops.end(), [](double f) { return f > 0; });
  const bool use_elements =
      std::any_of(elements.begin(), elements.end(), [](double b) { return b > 0; });
  const Eigen::Vector3d free(use_flops ? 1.0 : 0.0, use_elements ? 1.0 : 0.0, 1.0);
  const double y_min = *std::min_element(runtime.begin(), runtime.end());

  // Starts: the overhead at a fraction of the shortest time, each roof at the median rate of
  // the rows, alone or together.
  std::vector<double> per_flop, per_element;
  for (std::size_t i = 0; i < runtime.size(); ++i) {
    if (flops[i] > 0) per_flop.push_back(runtime[i] / flops[i]);
    if (elements[i] > 0) per_element.push_back(runtime[i] / elements[i]);
  }
  const double a0 = use_flops ? median(per_flop) : 1.0;
  const double b0 = use_elements ? median(per_element) : 1.0;
  Solution best;
  for (double overhead : {0.5, 0.05}) {
    for (const auto& [fa, fb] : {std::pair{1.0, 1.0}, {1.0, 1e-3}, {1e-3, 1.0}, {0.3, 0.3}}) {
      const Eigen::Vector3d theta(std::log(a0 * fa), std::log(b0 * fb), std::log(overhead * y_min));
      const Solution s =
          levenberg_marquardt(theta, free, flops, elements, runtime, use_flops, use_elements);
      if (s.loss < best.loss) best = s;
    }
  }
  RooflineFit fit;
  fit.model = from_theta(best.theta, use_flops, use_elements);
  fit.iterations = best.iterations;
  fit.loss = roofline_log_loss(fit.model, flops, elements, runtime, &fit.gradient);
  fit.gradient = fit.gradient.cwiseProduct(free);
  return fit;
}

double RuntimeBounds::lower(double flops, double elements) const {
  return std::max({min_ms, flops * min_ms_per_flop, elements * min_ms_per_element});
}

double RuntimeBounds::upper(double flops, double elements) const {
  return std::max({max_ms, flops * max_ms_per_flop, elements * max_ms_per_element});
}

double RuntimeBounds::clamp(double runtime_ms, double flops, double elements, bool* clamped) const {
  const double lo = lower(flops, elements);
  const double hi = upper(flops, elements);
  double out = runtime_ms;
  if (!(out >= lo)) out = lo;  // NaN too
  if (out > hi) out = hi;
  if (clamped) *clamped = out != runtime_ms;
  return out;
}

RuntimeBounds runtime_bounds(std::span<const double> flops, std::span<const double> elements,
                             std::span<const double> runtime) {
  check_rows(flops, elements, runtime);
  RuntimeBounds b;
  b.min_ms = *std::min_element(runtime.begin(), runtime.end());
  b.max_ms = *std::max_element(runtime.begin(), runtime.end());
  const auto lo = [](double x, double y) { return std::min(x, y); };
  const auto hi = [](double x, double y) { return std::max(x, y); };
  b.min_ms_per_flop = ratio(flops, runtime, lo, 0.0);
  b.max_ms_per_flop = ratio(flops, runtime, hi, 0.0);
  b.min_ms_per_element = ratio(elements, runtime, lo, 0.0);
  b.max_ms_per_element = ratio(elements, runtime, hi, 0.0);
  return b;
}

}  // namespace np
