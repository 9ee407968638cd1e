#pragma once
// The solver behind lasso_path and the model selection: coordinate descent with covariance
// updates and Newton steps on the support, on a standardised problem in covariance form (the
// mathematics is in include/neuralpower/lasso.hpp).
#include <cstddef>
#include <vector>

#include <Eigen/Core>

#include "neuralpower/lasso_path.hpp"

namespace np::model_detail {

// The standardised problem in covariance form. Columns with usable[j] == 0 are constant on
// the fitted rows; their row and column of G and their c_j are zero.
struct StandardizedProblem {
  Eigen::MatrixXd gram;               // G, p × p
  Eigen::VectorXd xty;                // c
  std::vector<unsigned char> usable;  // per column
  Eigen::VectorXd mean;               // m_j, in the units of the columns given
  Eigen::VectorXd scale;              // s_j (1 for dropped columns)
  double y_mean = 0.0;                // ȳ
  double y_scale = 0.0;               // weighted standard deviation of y
  bool constant_target = false;       // all fitted y equal: every coefficient is 0
  Eigen::Index rows = 0;              // fitted rows (those with weight, or not)

  Eigen::Index columns() const { return xty.size(); }
};

// The smallest λ at which every coefficient is zero: max over usable j of |c_j| (0 when none).
double lambda_max(const StandardizedProblem& problem);

// Coordinate descent on one StandardizedProblem, keeping β̃ between calls for warm starts. Holds
// a reference to the problem, which must outlive it. Workspaces are sized by reset(), so a
// path over a problem of unchanged size allocates nothing.
//
// Sweeps over the active set A (columns ever non-zero) touch only g_A, kept with a copy of G_AA,
// so an update costs |A| rather than p; the full gradient is brought up to date from the
// coefficient changes before each sweep over all columns.
class CoordinateDescent {
 public:
  explicit CoordinateDescent(const StandardizedProblem& problem);

  // Sets β̃ = 0 (after the problem's contents changed, or to start a new path).
  void reset();
  // Minimises the objective at `lambda` starting from the current β̃. Returns false when
  // max_passes sweeps did not reach the tolerance (β̃ is then the last iterate).
  bool solve(double lambda, const LassoOptions& options);

  const Eigen::VectorXd& beta() const { return beta_; }          // standardised units
  const Eigen::VectorXd& gradient() const { return gradient_; }  // g = c − Gβ̃ after solve()
  std::size_t passes() const { return passes_; }                 // sweeps in the last solve
  const StandardizedProblem& problem() const { return problem_; }

 private:
  double full_sweep(double lambda);
  double active_sweep(double lambda);
  void sync_gradient();
  void activate(Eigen::Index column);
  void newton_step(double lambda);
  void remove_from_factor(Eigen::Index k, Eigen::Index m);

  const StandardizedProblem& problem_;
  Eigen::VectorXd beta_;
  Eigen::VectorXd gradient_;     // exact after sync_gradient()
  Eigen::VectorXd synced_beta_;  // β̃ when gradient_ was last exact
  std::vector<Eigen::Index> usable_;
  std::vector<Eigen::Index> active_;           // in order of entry
  std::vector<Eigen::Index> active_position_;  // per column: index in active_, or −1
  Eigen::MatrixXd active_gram_;                // G_AA, positions as in active_
  Eigen::VectorXd active_gradient_;            // g_A
  std::size_t passes_ = 0;

  // Newton step workspace: positions (in active_) of the support, the columns still in it,
  // the Cholesky factor of G_SS + εI, and vectors over the support.
  std::vector<Eigen::Index> support_;
  std::vector<Eigen::Index> remaining_;
  Eigen::MatrixXd factor_;
  Eigen::VectorXd step_, rhs_, update_, support_gradient_, start_beta_;
};

}  // namespace np::model_detail
