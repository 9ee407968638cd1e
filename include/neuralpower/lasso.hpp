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
//   minimise over β̃   ½ β̃ᵀGβ̃ − cᵀβ̃ + λ‖β̃‖₁,   G_jk = Σ_i v_i x̃_ij x̃_ik,   c_j = Σ_i v_i x̃_ij (y_i − ȳ)
//
// with G_jj = 1, and β0 = ȳ. The coordinate-wise minimiser (paper eq. 5 with α = 1) is
//
//   β̃_j ← S(c_j − Σ_{k≠j} G_jk β̃_k, λ) = S(g_j + β̃_j, λ),   S(z, λ) = sign(z)·max(|z| − λ, 0)
//
// where g = c − Gβ̃ is the gradient, x̃_jᵀ(w∘r)/n, kept up to date with one column of G per changed
// coefficient ("covariance updates", paper section 2.2). Optimality (KKT) conditions:
//
//   |g_j| ≤ λ where β̃_j = 0,     g_j = λ·sign(β̃_j) where β̃_j ≠ 0.
//
// The path runs from λ_max = max_j |c_j| (the smallest λ with β̃ = 0) down to λ_max·ε on a
// log-spaced grid (ε = 1e-4 when n > p, else 1e-2, as glmnet), each fit warm-started from the
// previous one. Each fit alternates a sweep over all columns with sweeps over the active set
// (columns ever non-zero) until the largest coefficient change in a sweep is below
// tolerance·sd(y), the full sweep confirming convergence. Coefficients are returned in the
// original units of x and y: β_j = β̃_j/s_j, β0 = ȳ − Σ_j β_j m_j.
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
};

// The standardised problem in covariance form (see above). Columns with usable[j] == 0 are
// constant on the fitted rows; their row and column of G and their c_j are zero.
struct StandardizedProblem {
  Eigen::MatrixXd gram;               // G, p × p
  Eigen::VectorXd xty;                // c
  std::vector<unsigned char> usable;  // per column
  Eigen::VectorXd mean;               // m_j, in the units of the columns given
  Eigen::VectorXd scale;              // s_j (1 for dropped columns)
  double y_mean = 0.0;                // ȳ
  double y_scale = 0.0;               // weighted standard deviation of y
  bool constant_target = false;       // all fitted y equal: every coefficient is 0

  Eigen::Index columns() const { return xty.size(); }
};

// The smallest λ at which every coefficient is zero: max over usable j of |c_j| (0 when none).
double lambda_max(const StandardizedProblem& problem);

// glmnet's ε: 1e-4 when rows > columns, else 1e-2.
double default_lambda_min_ratio(std::size_t rows, std::size_t columns);

// `count` values from lambda_max down to lambda_max·min_ratio, evenly spaced in log λ. All zero
// when lambda_max is 0 (nothing to fit).
std::vector<double> lambda_grid(double lambda_max, std::size_t count, double min_ratio);

// Coordinate descent on one StandardizedProblem, keeping β̃ between calls for warm starts. Holds
// a reference to the problem, which must outlive it; no allocation after construction.
class CoordinateDescent {
 public:
  explicit CoordinateDescent(const StandardizedProblem& problem);

  // Sets β̃ = 0 (after the problem's contents changed, or to start a new path).
  void reset();
  // Minimises the objective at `lambda` starting from the current β̃. Returns false when
  // max_passes sweeps did not reach the tolerance (β̃ is then the last iterate).
  bool solve(double lambda, const LassoOptions& options);

  const Eigen::VectorXd& beta() const { return beta_; }  // standardised units
  const Eigen::VectorXd& gradient() const { return gradient_; }  // g = c − Gβ̃
  std::size_t passes() const { return passes_; }  // sweeps in the last solve

 private:
  double sweep(std::span<const Eigen::Index> columns, double lambda);

  const StandardizedProblem& problem_;
  Eigen::VectorXd beta_;
  Eigen::VectorXd gradient_;
  std::vector<Eigen::Index> usable_;
  std::vector<Eigen::Index> active_;
  std::vector<unsigned char> is_active_;
  std::size_t passes_ = 0;
};

struct LassoPath {
  std::vector<double> lambdas;
  Eigen::MatrixXd coefficients;       // p × L, original units
  Eigen::VectorXd intercepts;         // L, original units
  std::vector<std::size_t> passes;    // sweeps per λ
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
