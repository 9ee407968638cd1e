// Our Lasso against scikit-learn's on the same standardised data (fixture written by
// make_sklearn_fixture.py, which explains why λ = alpha matches the two objectives).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "neuralpower/lasso_path.hpp"

namespace {

nlohmann::json load_fixture() {
  std::ifstream in(std::string(NP_SOURCE_DIR) + "/tests/model/fixtures/sklearn_lasso.json");
  EXPECT_TRUE(in.good()) << "missing fixture; run tests/model/make_sklearn_fixture.py";
  return nlohmann::json::parse(in);
}

Eigen::VectorXd vector_of(const nlohmann::json& values) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i) v(static_cast<Eigen::Index>(i)) = values[i];
  return v;
}

TEST(SklearnAgreement, CoefficientsAndInterceptsMatchTo1e6) {
  const nlohmann::json fixture = load_fixture();
  ASSERT_EQ(fixture["cases"].size(), 2u);
  for (const nlohmann::json& c : fixture["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto rows = static_cast<Eigen::Index>(c["x"].size());
    const auto cols = static_cast<Eigen::Index>(c["x"][0].size());
    Eigen::MatrixXd x(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i) {
      for (Eigen::Index j = 0; j < cols; ++j) x(i, j) = c["x"][i][j];
    }
    const Eigen::VectorXd y = vector_of(c["y"]);
    const Eigen::VectorXd weights = vector_of(c["weights"]);
    const std::vector<double> alphas = c["alphas"];
    np::LassoOptions options;
    options.tolerance = 1e-12;
    const np::LassoPath path = np::lasso_path(x, y, weights, options, alphas);
    int nonzero = 0;
    for (std::size_t k = 0; k < alphas.size(); ++k) {
      const Eigen::VectorXd expected = vector_of(c["coef"][k]);
      const auto kk = static_cast<Eigen::Index>(k);
      for (Eigen::Index j = 0; j < cols; ++j) {
        EXPECT_NEAR(path.coefficients(j, kk), expected(j), 1e-6)
            << "alpha " << alphas[k] << " coefficient " << j;
        nonzero += expected(j) != 0.0;
      }
      EXPECT_NEAR(path.intercepts(kk), c["intercept"][k].get<double>(), 1e-6);
      // The same coefficients are exactly zero in both.
      EXPECT_EQ(path.nonzero(k), static_cast<std::size_t>((expected.array() != 0.0).count()));
    }
    EXPECT_GT(nonzero, 10);
  }
}

}  // namespace
