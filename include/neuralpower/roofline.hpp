#pragma once
// The roofline-shaped runtime model of a layer kind and the physical bounds of its predictions.
//
// Roofline (Williams, Waterman, Patterson, "Roofline: an insightful visual performance model
// for multicore architectures", CACM 52(4), 2009): a kernel runs at the lower of the compute
// roof and the memory roof, so its time is the larger of the two, plus a fixed overhead:
//
//   t(F, B) = max(a·F, b·B) + c,    a, b, c > 0,
//
// with F the layer's FLOPs and B the elements it moves (inputs, outputs and weights: the
// kind's memory special terms, in elements so that one model serves the platform's data type).
// 1/a is the attained FLOP rate, 1/b the attained element rate, F/B the arithmetic intensity
// and a/b the ridge point. It replaces the paper's polynomial (eq. 1) as the runtime form; the
// paper's polynomial stays a candidate (model_selection.hpp).
//
// Fit: nonlinear least squares in log space over θ = (log a, log b, log c), which keeps the
// parameters positive and weighs every row by its relative error (runtimes span orders of
// magnitude):
//
//   L(θ) = (1/n) Σ_i (log t(F_i, B_i) − log y_i)²,
//
// minimised by Levenberg–Marquardt on the exact max (the max is differentiable except where
// a·F_i = b·B_i, a set of measure zero), from several starts. At the optimum ∇L(θ) = 0 for the
// parameters that are free: a kind without FLOPs (F = 0 on every row) fits t = b·B + c and a
// kind without memory terms t = a·F + c.
//
// Bounds (applied to every runtime model of a kind, roofline or polynomial): a prediction is
// kept within what the training rows make physically plausible,
//
//   lower(F, B) = max(y_min, F·min_i(y_i/F_i), B·min_i(y_i/B_i))   never faster than the fastest
//                                                                 FLOP and element rates seen,
//                                                                 nor below the shortest time
//   upper(F, B) = max(y_max, F·max_i(y_i/F_i), B·max_i(y_i/B_i))   never slower than the slowest
//                                                                 rates seen, nor above the
//                                                                 longest time, whichever is more
//
// (the ratios over the rows with F_i > 0, resp. B_i > 0); lower ≤ upper always holds.
#include <cstddef>
#include <span>

#include <Eigen/Core>

namespace np {

struct Roofline {
  double ms_per_flop = 0.0;     // a (0 when the kind has no FLOPs)
  double ms_per_element = 0.0;  // b (0 when the kind has no memory terms)
  double overhead_ms = 0.0;     // c

  double predict(double flops, double elements) const {
    const double compute = ms_per_flop * flops;
    const double memory = ms_per_element * elements;
    return (compute > memory ? compute : memory) + overhead_ms;
  }
};

struct RooflineFit {
  Roofline model;
  double loss = 0.0;         // L(θ) at the optimum
  Eigen::Vector3d gradient;  // ∇L wrt (log a, log b, log c); 0 for a fixed parameter
  std::size_t iterations = 0;
};

// Fits the roofline to rows (F_i, B_i, y_i), y_i > 0, F_i ≥ 0, B_i ≥ 0. Throws np::Error on
// sizes that differ, fewer than 2 rows, non-finite values, y ≤ 0, or F = B = 0 on every row.
RooflineFit fit_roofline(std::span<const double> flops, std::span<const double> elements,
                         std::span<const double> runtime);

// L(θ) and ∇L of a given model on rows (for tests and diagnostics).
double roofline_log_loss(const Roofline& model, std::span<const double> flops,
                         std::span<const double> elements, std::span<const double> runtime,
                         Eigen::Vector3d* gradient = nullptr);

struct RuntimeBounds {
  double min_ms = 0.0, max_ms = 0.0;
  double min_ms_per_flop = 0.0, max_ms_per_flop = 0.0;        // 0 when no row has F > 0
  double min_ms_per_element = 0.0, max_ms_per_element = 0.0;  // 0 when no row has B > 0

  double lower(double flops, double elements) const;
  double upper(double flops, double elements) const;
  // The prediction within [lower, upper]; *clamped says whether it moved (NaN goes to lower).
  double clamp(double runtime_ms, double flops, double elements, bool* clamped) const;
};

// The bounds implied by training rows (same preconditions as fit_roofline).
RuntimeBounds runtime_bounds(std::span<const double> flops, std::span<const double> elements,
                             std::span<const double> runtime);

}  // namespace np
