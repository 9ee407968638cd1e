#pragma once
// The Lasso regularisation path by cyclic coordinate descent, as in glmnet:
//
//   J. Friedman, T. Hastie, R. Tibshirani, "Regularization Paths for Generalized Linear Models
//   via Coordinate Descent", Journal of Statistical Software 33(1), 2010.
//
// Objective, for observation weights w_i ≥ 0 normalised to Σ w_i = n:
//
//   minimise over (β0, β)   (1/(2n)) Σ_i w_i (y_i − β0 − x_iᵀβ)²  +  λ ‖β‖₁
//
// The intercept β0 is not penalised. Columns are standardised first with the weighted mean m_j
// and the weighted (population) standard deviation s_j: x̃_ij = (x_ij − m_j)/s_j. Columns that
// are constant on the rows being fitted, or have zero weighted variance, are dropped: their
// coefficient is 0. With v_i = w_i/n (Σ v_i = 1), ȳ = Σ v_i y_i and r_i = y_i − ȳ
// − x̃_iᵀβ̃, the problem in covariance form is
//
//   minimise over β̃   ½ β̃ᵀGβ̃ − cᵀβ̃ + λ‖β̃‖₁,
//   G_jk = Σ_i v_i x̃_ij x̃_ik,   c_j = Σ_i v_i x̃_ij (y_i − ȳ),
//
// with G_jj = 1, and β0 = ȳ. The coordinate-wise minimiser (Friedman et al. eq. 5, α = 1) is
//
//   β̃_j ← S(c_j − Σ_{k≠j} G_jk β̃_k, λ) = S(g_j + β̃_j, λ),   S(z, λ) = sign(z)·max(|z| − λ, 0)
//
// where g = c − Gβ̃ is the gradient, x̃_jᵀ(w∘r)/n, kept up to date with one column of G per changed
// coefficient ("covariance updates", Friedman et al. section 2.2). Optimality (KKT) conditions:
//
//   |g_j| ≤ λ where β̃_j = 0,     g_j = λ·sign(β̃_j) where β̃_j ≠ 0.
//
// The path runs from λ_max = max_j |c_j| (the smallest λ with β̃ = 0) down to λ_max·ε on a
// log-spaced grid (ε = 1e-4 when n > p, else 1e-2, as glmnet), each fit warm-started from the
// previous one. Each fit alternates a sweep over all columns with sweeps over the active set
// (columns ever non-zero) until a sweep's largest change is max_j |Δβ̃_j| ≤ tolerance·sd(y), the
// full sweep confirming convergence. (glmnet's criterion, max_j G_jj·Δβ̃_j² ≤ thresh·var(y) with
// thresh = 1e-7, is sqrt(1e-7) ≈ 3e-4 here: loose enough to change which degree wins when
// the target is log y, so the default is the tighter 1e-7 on |Δβ̃_j|.)
//
// Monomials of one set of features are strongly correlated, where plain coordinate descent
// needs thousands of sweeps per λ. So every second active-set sweep is followed by Newton
// steps on the current support S = {j : β̃_j ≠ 0} with its signs s: inside that orthant the
// objective is quadratic, and (G_SS + εI) δ = g_S − λ s_S gives its minimiser (ε = 1e-9 keeps
// the Cholesky factor defined when columns coincide). A step is cut at the first coefficient
// that would change sign; that coefficient is set to zero and leaves S (a rank-one update of
// the factor), and the step is repeated on the smaller support until one is taken in full, as
// a primal active-set method does. Along δ the objective is a convex quadratic in the step
// length with its minimum at or beyond 1, so every step lowers it; the sweeps still decide
// convergence, so the KKT conditions hold as for pure coordinate descent (at every λ up to a
// saturation stop; the λ after it repeat the saturated solution and are marked converged).
//
// A path on a problem that can interpolate its rows (columns + 1 ≥ rows) stops early, as
// glmnet's does, once the fit has saturated: when the fraction of the (weighted) variance of y
// it explains, R² = β̃ᵀ(c + g)/sd(y)², reaches `saturation`. The
// remaining λ keep that solution. Without the stop a path with more columns than rows (a
// polynomial of high degree on a handful of rows) spends up to max_passes sweeps on every λ
// below the interpolating one, where the solution is no longer unique: minutes instead of
// milliseconds, for fits that cross-validation rejects anyway.
//
// Coefficients are returned in the original units of x and y: β_j = β̃_j/s_j,
// β0 = ȳ − Σ_j β_j m_j.
#include <cstddef>
#include <span>
#include <vector>

#include <Eigen/Core>

namespace np {

struct LassoOptions {
  std::size_t num_lambdas = 100;
  double lambda_min_ratio = 0.0;    // ε; ≤ 0 picks glmnet's default from n and p
  double tolerance = 1e-7;          // on the largest coefficient change, relative to sd(y)
  std::size_t max_passes = 100000;  // coordinate sweeps allowed per λ
  double saturation = 1.0 - 1e-6;   // R² at which the path stops (> 1: never)
};

// glmnet's ε: 1e-4 when rows > columns, else 1e-2.
double default_lambda_min_ratio(std::size_t rows, std::size_t columns);

// `count` values from lambda_max down to lambda_max·min_ratio, evenly spaced in log λ. All zero
// when lambda_max is 0 (nothing to fit).
std::vector<double> lambda_grid(double lambda_max, std::size_t count, double min_ratio);

struct LassoPath {
  std::vector<double> lambdas;
  Eigen::MatrixXd coefficients;          // p × L, original units
  Eigen::VectorXd intercepts;            // L, original units
  std::vector<std::size_t> passes;       // sweeps per λ
  std::vector<unsigned char> converged;  // per λ

  std::size_t nonzero(std::size_t lambda_index) const;
};

// Fits the whole path on x (n × p) and y. `weights` empty means all ones; otherwise n finite,
// non-negative values with a positive sum (rescaled to sum n). `lambdas` empty means the
// default grid of options.num_lambdas values; otherwise they are used as given (λ ≥ 0, best in
// decreasing order for warm starts). Throws np::Error on mismatched sizes, non-finite input,
// bad weights or a negative λ.
LassoPath lasso_path(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                     const Eigen::VectorXd& weights = {}, const LassoOptions& options = {},
                     std::span<const double> lambdas = {});

}  // namespace np
