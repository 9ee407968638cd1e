#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model_test_util.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/lasso_path.hpp"
#include "neuralpower/polynomial.hpp"

namespace {

// A polynomial design (degree 3 over 3 features): strongly correlated columns, the hard case.
struct PolynomialData {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
};

PolynomialData polynomial_data(int rows, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(1.0, 10.0);
  std::normal_distribution<double> noise(0.0, 1.0);
  np::RowMatrix features(rows, 3);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < 3; ++j) features(i, j) = uniform(rng);
  }
  const auto terms = np::polynomial_terms(3, 3, 0);
  PolynomialData data;
  data.x = np::design_matrix(terms, features, np::RowMatrix());
  data.y.resize(rows);
  for (int i = 0; i < rows; ++i) {
    const double a = features(i, 0), b = features(i, 1), c = features(i, 2);
    data.y(i) = 5.0 + 2.0 * a * b - 0.3 * c * c * c + 4.0 * c + 3.0 * noise(rng);
  }
  return data;
}

void expect_kkt_on_path(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                        const Eigen::VectorXd& weights, const np::LassoPath& path,
                        double tolerance) {
  int checked_active = 0;
  for (std::size_t k = 0; k < path.lambdas.size(); ++k) {
    const auto kk = static_cast<Eigen::Index>(k);
    const np_test::KktReport r = np_test::kkt(x, y, weights, path.coefficients.col(kk),
                                              path.intercepts(kk), path.lambdas[k]);
    EXPECT_LE(r.worst_zero, tolerance) << "lambda index " << k;
    EXPECT_LE(r.worst_active, tolerance) << "lambda index " << k;
    EXPECT_LE(r.intercept, tolerance) << "lambda index " << k;
    EXPECT_TRUE(path.converged[k]) << "lambda index " << k;
    checked_active += r.active;
  }
  EXPECT_GT(checked_active, 100);  // the path really has active coefficients to check
}

TEST(Lasso, KktHoldsAtEveryLambdaOnThePath) {
  const PolynomialData data = polynomial_data(300, 1);
  np::LassoOptions options;
  options.tolerance = 1e-10;
  const np::LassoPath path = np::lasso_path(data.x, data.y, {}, options);
  ASSERT_EQ(path.lambdas.size(), 100u);
  // At convergence no sweep moves a coefficient by more than tolerance·sd(y), so no gradient
  // is off by more than (columns)·tolerance·sd(y).
  const double bound = 19 * options.tolerance * np_test::weighted_sd(data.y, {});
  expect_kkt_on_path(data.x, data.y, {}, path, bound);
}

TEST(Lasso, KktHoldsWithObservationWeights) {
  const PolynomialData data = polynomial_data(250, 2);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uniform(0.05, 20.0);
  Eigen::VectorXd weights(data.x.rows());
  for (Eigen::Index i = 0; i < weights.size(); ++i) weights(i) = uniform(rng);
  np::LassoOptions options;
  options.tolerance = 1e-10;
  const np::LassoPath path = np::lasso_path(data.x, data.y, weights, options);
  const double bound = 19 * options.tolerance * np_test::weighted_sd(data.y, weights);
  expect_kkt_on_path(data.x, data.y, weights, path, bound);
}

TEST(Lasso, DefaultToleranceKeepsKktViolationsSmall) {
  const PolynomialData data = polynomial_data(300, 4);
  const np::LassoPath path = np::lasso_path(data.x, data.y);
  const double bound = 19 * np::LassoOptions{}.tolerance * np_test::weighted_sd(data.y, {});
  expect_kkt_on_path(data.x, data.y, {}, path, bound);
}

TEST(Lasso, ScalingAWeightVectorChangesNothing) {
  const PolynomialData data = polynomial_data(120, 5);
  Eigen::VectorXd weights = Eigen::VectorXd::LinSpaced(data.x.rows(), 0.5, 3.0);
  const np::LassoPath a = np::lasso_path(data.x, data.y, weights);
  const np::LassoPath b = np::lasso_path(data.x, data.y, Eigen::VectorXd(weights * 1000.0));
  ASSERT_EQ(a.lambdas.size(), b.lambdas.size());
  EXPECT_NEAR(a.lambdas.front(), b.lambdas.front(), 1e-12 * a.lambdas.front());
  EXPECT_LT((a.coefficients - b.coefficients).cwiseAbs().maxCoeff(), 1e-8);
}

TEST(Lasso, GridStartsAtLambdaMaxAndIsLogSpaced) {
  const Eigen::MatrixXd x = np_test::correlated_columns(200, 6, 7);
  const Eigen::VectorXd y = x.col(0) * 0.5 - x.col(2) * 0.01 + Eigen::VectorXd::Ones(200);
  const np::LassoPath path = np::lasso_path(x, y);
  ASSERT_EQ(path.lambdas.size(), 100u);
  EXPECT_EQ(path.nonzero(0), 0u);  // λ_max: nothing enters
  EXPECT_GT(path.nonzero(1), 0u);  // just below it, something does
  EXPECT_NEAR(path.lambdas.back() / path.lambdas.front(), 1e-4, 1e-12);  // n > p
  for (std::size_t k = 1; k + 1 < path.lambdas.size(); ++k) {
    EXPECT_NEAR(path.lambdas[k] * path.lambdas[k], path.lambdas[k - 1] * path.lambdas[k + 1],
                1e-9 * path.lambdas[k] * path.lambdas[k]);
  }
  // At λ_max the intercept is the mean of y.
  EXPECT_NEAR(path.intercepts(0), y.mean(), 1e-12 * std::abs(y.mean()));
}

TEST(Lasso, LambdaMaxIsTheLargestCorrelation) {
  const Eigen::MatrixXd x = np_test::correlated_columns(150, 5, 8);
  Eigen::VectorXd y = x.col(1) * 0.2 + x.col(4) * 0.001;
  const np::LassoPath path = np::lasso_path(x, y);
  double expected = 0.0;
  const Eigen::VectorXd centred_y = y.array() - y.mean();
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const Eigen::VectorXd c = x.col(j).array() - x.col(j).mean();
    const double sd = std::sqrt(c.squaredNorm() / 150.0);
    expected = std::max(expected, std::abs(c.dot(centred_y)) / (150.0 * sd));
  }
  EXPECT_NEAR(path.lambdas.front(), expected, 1e-10 * expected);
}

TEST(Lasso, FewerRowsThanColumns) {
  const Eigen::MatrixXd x = np_test::correlated_columns(20, 50, 9);
  Eigen::VectorXd y = 3.0 * x.col(0) / x.col(0).norm() * 20 - x.col(7) / x.col(7).norm() * 10;
  np::LassoOptions options;
  options.tolerance = 1e-10;
  const np::LassoPath path = np::lasso_path(x, y, {}, options);
  EXPECT_NEAR(path.lambdas.back() / path.lambdas.front(), 1e-2, 1e-12);  // n ≤ p
  expect_kkt_on_path(x, y, {}, path, 50 * options.tolerance * np_test::weighted_sd(y, {}));
  // No more than n − 1 non-zero coefficients at any λ (a Lasso solution property, for the
  // solution coordinate descent finds on data in general position).
  for (std::size_t k = 0; k < path.lambdas.size(); ++k) EXPECT_LE(path.nonzero(k), 19u);
}

TEST(Lasso, ConstantColumnGetsZeroAndTheRestIsUnaffected) {
  Eigen::MatrixXd x = np_test::correlated_columns(100, 4, 10);
  const Eigen::VectorXd y = x.col(0) * 2.0 - x.col(3) * 0.001 + Eigen::VectorXd::Constant(100, 1);
  Eigen::MatrixXd with_constant(100, 5);
  with_constant << x.leftCols(2), Eigen::VectorXd::Constant(100, 7.5), x.rightCols(2);
  const np::LassoPath plain = np::lasso_path(x, y);
  const np::LassoPath padded = np::lasso_path(with_constant, y);
  EXPECT_TRUE((padded.coefficients.row(2).array() == 0.0).all());
  Eigen::MatrixXd without(4, padded.coefficients.cols());
  without << padded.coefficients.topRows(2), padded.coefficients.bottomRows(2);
  EXPECT_LT((without - plain.coefficients).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LT((padded.intercepts - plain.intercepts).cwiseAbs().maxCoeff(), 1e-8);
}

TEST(Lasso, DuplicateColumnsStillConverge) {
  Eigen::MatrixXd x = np_test::correlated_columns(80, 3, 11);
  Eigen::MatrixXd doubled(80, 4);
  doubled << x, x.col(1);
  const Eigen::VectorXd y = x.col(1) * 3.0 + x.col(0);
  np::LassoOptions options;
  options.tolerance = 1e-10;
  const np::LassoPath path = np::lasso_path(doubled, y, {}, options);
  expect_kkt_on_path(doubled, y, {}, path, 4 * options.tolerance * np_test::weighted_sd(y, {}));
}

TEST(Lasso, AllEqualTargetsGiveTheInterceptOnly) {
  const Eigen::MatrixXd x = np_test::correlated_columns(50, 4, 12);
  const Eigen::VectorXd y = Eigen::VectorXd::Constant(50, 0.1);
  const np::LassoPath path = np::lasso_path(x, y);
  ASSERT_EQ(path.lambdas.size(), 100u);
  EXPECT_TRUE((path.coefficients.array() == 0.0).all());
  EXPECT_TRUE((path.intercepts.array() == 0.1).all());
}

TEST(Lasso, NoColumnsGivesTheWeightedMean) {
  const Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(6, 1.0, 6.0);
  const Eigen::VectorXd weights = Eigen::VectorXd::LinSpaced(6, 1.0, 2.0);
  const np::LassoPath path = np::lasso_path(Eigen::MatrixXd(6, 0), y, weights);
  EXPECT_EQ(path.coefficients.rows(), 0);
  EXPECT_NEAR(path.intercepts(0), weights.dot(y) / weights.sum(), 1e-12);
}

TEST(Lasso, GivenLambdasAreUsedAsGiven) {
  const Eigen::MatrixXd x = np_test::correlated_columns(60, 3, 13);
  const Eigen::VectorXd y = x.col(2) * 0.01;
  const std::vector<double> lambdas{0.5, 0.05, 0.0};
  const np::LassoPath path = np::lasso_path(x, y, {}, {}, lambdas);
  EXPECT_EQ(path.lambdas, lambdas);
  EXPECT_EQ(path.coefficients.cols(), 3);
  // λ = 0 is least squares: y is exactly linear in x, so the fit is exact.
  const Eigen::VectorXd fit =
      x * path.coefficients.col(2) + Eigen::VectorXd::Constant(60, path.intercepts(2));
  EXPECT_LT((fit - y).cwiseAbs().maxCoeff(), 1e-8 * y.cwiseAbs().maxCoeff());
}

TEST(Lasso, RejectsBadInput) {
  Eigen::MatrixXd x = np_test::correlated_columns(10, 2, 14);
  Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(10, 0, 1);
  EXPECT_THROW(np::lasso_path(x, Eigen::VectorXd::Ones(9)), np::Error);
  Eigen::MatrixXd bad = x;
  bad(3, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(np::lasso_path(bad, y), np::Error);
  Eigen::VectorXd bad_y = y;
  bad_y(0) = std::numeric_limits<double>::infinity();
  EXPECT_THROW(np::lasso_path(x, bad_y), np::Error);
  Eigen::VectorXd weights = Eigen::VectorXd::Ones(10);
  weights(4) = -1.0;
  EXPECT_THROW(np::lasso_path(x, y, weights), np::Error);
  EXPECT_THROW(np::lasso_path(x, y, Eigen::VectorXd::Zero(10)), np::Error);
  EXPECT_THROW(np::lasso_path(x, y, Eigen::VectorXd::Ones(3)), np::Error);
  const std::vector<double> negative{0.1, -0.1};
  EXPECT_THROW(np::lasso_path(x, y, {}, {}, negative), np::Error);
  np::LassoOptions options;
  options.num_lambdas = 0;
  EXPECT_THROW(np::lasso_path(x, y, {}, options), np::Error);
  EXPECT_THROW(np::lasso_path(Eigen::MatrixXd(0, 2), Eigen::VectorXd()), np::Error);
  try {
    np::lasso_path(bad, y);
  } catch (const np::Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 3"), std::string::npos) << e.what();
  }
}

TEST(Lasso, MaxPassesGuardReportsNonConvergence) {
  const PolynomialData data = polynomial_data(200, 15);
  np::LassoOptions options;
  options.max_passes = 1;
  const np::LassoPath path = np::lasso_path(data.x, data.y, {}, options);
  std::size_t failed = 0;
  for (unsigned char ok : path.converged) failed += ok ? 0 : 1;
  EXPECT_GT(failed, 0u);
  for (std::size_t passes : path.passes) EXPECT_LE(passes, 1u);
}

}  // namespace

namespace {

// More columns than rows, with noise: the fit interpolates well above the smallest λ.
TEST(Lasso, InterpolatingPathStopsAtSaturation) {
  const PolynomialData data = polynomial_data(12, 21);  // 20 columns, 12 rows
  np::LassoOptions options;
  options.lambda_min_ratio = 1e-7;  // deep enough to interpolate
  np::LassoOptions never = options;
  never.saturation = 2.0;
  never.max_passes = 2000;
  const np::LassoPath full = np::lasso_path(data.x, data.y, {}, never);
  const np::LassoPath stopped = np::lasso_path(data.x, data.y, {}, options);
  ASSERT_EQ(stopped.lambdas.size(), full.lambdas.size());
  std::size_t stop = stopped.lambdas.size();
  for (std::size_t k = 1; k < stopped.passes.size(); ++k) {
    if (stopped.passes[k] == 0) {
      stop = k;
      break;
    }
  }
  ASSERT_LT(stop, stopped.lambdas.size()) << "the path never saturated";
  // Up to the stop it is the same path, with KKT as before; after it, the saturated solution.
  for (std::size_t k = 0; k < stop; ++k) {
    const auto kk = static_cast<Eigen::Index>(k);
    EXPECT_LT((stopped.coefficients.col(kk) - full.coefficients.col(kk)).cwiseAbs().maxCoeff(),
              1e-6 * (1.0 + full.coefficients.col(kk).cwiseAbs().maxCoeff()));
  }
  const auto last = static_cast<Eigen::Index>(stop - 1);
  for (std::size_t k = stop; k < stopped.lambdas.size(); ++k) {
    EXPECT_TRUE(stopped.converged[k]);
    EXPECT_EQ(stopped.coefficients.col(static_cast<Eigen::Index>(k)),
              stopped.coefficients.col(last));
  }
  // The saturated fit explains the variance to the threshold.
  const Eigen::VectorXd fitted =
      (data.x * stopped.coefficients.col(last)).array() + stopped.intercepts(last);
  const double rss = (fitted - data.y).squaredNorm();
  const double tss = (data.y.array() - data.y.mean()).matrix().squaredNorm();
  EXPECT_LE(rss / tss, 1.0 - np::LassoOptions{}.saturation + 1e-9);
  std::size_t passes_stopped = 0, passes_full = 0;
  for (std::size_t p : stopped.passes) passes_stopped += p;
  for (std::size_t p : full.passes) passes_full += p;
  EXPECT_LT(passes_stopped, passes_full);
}

// A problem with more rows than columns never stops early, even when it fits exactly.
TEST(Lasso, UniqueProblemsRunTheWholePath) {
  const Eigen::MatrixXd x = np_test::correlated_columns(40, 3, 22);
  const Eigen::VectorXd y = 2.0 * x.col(0) - x.col(2);
  const np::LassoPath path = np::lasso_path(x, y);
  for (std::size_t k = 1; k < path.passes.size(); ++k) EXPECT_GT(path.passes[k], 0u) << k;
}

}  // namespace
