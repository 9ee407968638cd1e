#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "neuralpower/error.hpp"
#include "neuralpower/polynomial.hpp"

namespace {

int total_degree(const np::Exponents& e) {
  int total = 0;
  for (int v : e) total += v;
  return total;
}

TEST(Polynomial, CountsMatchTheBinomialFormula) {
  EXPECT_EQ(np::monomial_count(7, 4), 329u);  // C(11, 4) − 1
  EXPECT_EQ(np::monomial_exponents(7, 4).size(), 329u);
  EXPECT_EQ(np::monomial_count(1, 5), 5u);
  EXPECT_EQ(np::monomial_count(0, 3), 0u);
  EXPECT_EQ(np::monomial_count(10, 4), 1000u);  // C(14, 4) − 1
  EXPECT_EQ(np::monomial_count(5, 0), 0u);
  EXPECT_THROW(np::monomial_count(60, 8), np::Error);
  EXPECT_THROW(np::monomial_count(-1, 2), np::Error);
  EXPECT_THROW(np::monomial_count(3, 3, 10), np::Error);  // 19 > limit 10
}

TEST(Polynomial, GradedLexicographicOrder) {
  const std::vector<np::Exponents> expected{
      {1, 0, 0}, {0, 1, 0}, {0, 0, 1},                                   // degree 1
      {2, 0, 0}, {1, 1, 0}, {1, 0, 1}, {0, 2, 0}, {0, 1, 1}, {0, 0, 2},  // degree 2
  };
  EXPECT_EQ(np::monomial_exponents(3, 2), expected);
}

TEST(Polynomial, EveryMonomialExactlyOnceAndDegreesNonDecreasing) {
  const auto monomials = np::monomial_exponents(5, 4);
  std::set<np::Exponents> seen(monomials.begin(), monomials.end());
  EXPECT_EQ(seen.size(), monomials.size());
  // Brute force over all exponent vectors in [0, 4]^5.
  std::size_t expected = 0;
  for (int code = 0; code < 5 * 5 * 5 * 5 * 5; ++code) {
    np::Exponents e(5);
    int rest = code;
    for (int i = 0; i < 5; ++i, rest /= 5) e[static_cast<std::size_t>(i)] = rest % 5;
    const int degree = total_degree(e);
    if (degree < 1 || degree > 4) continue;
    ++expected;
    EXPECT_TRUE(seen.count(e));
  }
  EXPECT_EQ(expected, monomials.size());
  for (std::size_t t = 1; t < monomials.size(); ++t) {
    const int previous = total_degree(monomials[t - 1]);
    const int current = total_degree(monomials[t]);
    EXPECT_LE(previous, current);
    if (previous == current) {
      EXPECT_GT(monomials[t - 1], monomials[t]);  // lex descending
    }
  }
}

TEST(Polynomial, SpecialTermsFollowTheMonomials) {
  const auto terms = np::polynomial_terms(2, 2, 3);
  ASSERT_EQ(terms.size(), 5u + 3u);
  for (int s = 0; s < 3; ++s) {
    const np::Term& term = terms[5 + static_cast<std::size_t>(s)];
    EXPECT_TRUE(term.is_special());
    EXPECT_EQ(term.special, s);
    EXPECT_EQ(term.degree(), 1);
  }
  EXPECT_EQ(terms[3].to_string(), "x0*x1");
  EXPECT_EQ(terms[4].to_string(), "x1^2");
  EXPECT_EQ(terms[6].to_string(), "special1");
  const std::vector<std::string> names{"batch", "k"};
  const std::vector<std::string> special_names{"flops", "bytes", "params"};
  EXPECT_EQ(terms[2].to_string(names), "batch^2");
  EXPECT_EQ(terms[7].to_string(names, special_names), "params");
}

TEST(Polynomial, DesignMatrixEvaluatesEveryTerm) {
  np::RowMatrix features(3, 3);
  features << 1.5, -2.0, 3.0,  //
      0.5, 4.0, -1.0,          //
      2.0, 0.0, 7.0;
  np::RowMatrix special(3, 2);
  special << 10, 20,  //
      30, 40,         //
      50, 60;
  const auto terms = np::polynomial_terms(3, 3, 2);
  const Eigen::MatrixXd x = np::design_matrix(terms, features, special);
  ASSERT_EQ(x.rows(), 3);
  ASSERT_EQ(x.cols(), 19 + 2);
  for (Eigen::Index r = 0; r < 3; ++r) {
    for (std::size_t t = 0; t < terms.size(); ++t) {
      double expected = 0.0;
      if (terms[t].is_special()) {
        expected = special(r, terms[t].special);
      } else {
        expected = 1.0;
        for (int i = 0; i < 3; ++i) {
          expected *= std::pow(features(r, i), terms[t].exponents[static_cast<std::size_t>(i)]);
        }
      }
      EXPECT_DOUBLE_EQ(x(r, static_cast<Eigen::Index>(t)), expected);
      const std::vector<double> f(features.row(r).data(), features.row(r).data() + 3);
      const std::vector<double> s(special.row(r).data(), special.row(r).data() + 2);
      EXPECT_DOUBLE_EQ(np::evaluate_term(terms[t], f, s), expected);
    }
  }
}

TEST(Polynomial, DesignMatrixRejectsBadInput) {
  const auto terms = np::polynomial_terms(2, 2, 1);
  np::RowMatrix features = np::RowMatrix::Ones(4, 2);
  np::RowMatrix special = np::RowMatrix::Ones(4, 1);
  EXPECT_NO_THROW(np::design_matrix(terms, features, special));
  EXPECT_THROW(np::design_matrix(terms, features, np::RowMatrix::Ones(3, 1)), np::Error);
  EXPECT_THROW(np::design_matrix(terms, features, np::RowMatrix()), np::Error);  // no special
  EXPECT_THROW(np::design_matrix(terms, np::RowMatrix::Ones(4, 3), special), np::Error);
  np::RowMatrix with_nan = features;
  with_nan(2, 1) = std::numeric_limits<double>::quiet_NaN();
  try {
    np::design_matrix(terms, with_nan, special);
    ADD_FAILURE() << "NaN accepted";
  } catch (const np::Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 2"), std::string::npos) << e.what();
  }
  np::RowMatrix huge = features;
  huge(1, 0) = 1e200;
  EXPECT_THROW(np::design_matrix(terms, huge, special), np::Error);  // x0² overflows
  const std::vector<double> two{1.0, 2.0};
  EXPECT_THROW(np::evaluate_term(terms.back(), two, {}), np::Error);
}

}  // namespace
