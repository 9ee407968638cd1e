#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "neuralpower/error.hpp"
#include "neuralpower/model_selection.hpp"

namespace {

using np::TargetTreatment;

// y = 3 + 2·x1·x2 − 1.5·x3² + noise over 5 features (0-based: x1 = feature 1, ...).
np::TrainingData sparse_polynomial(int rows, double noise_sd, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-2.0, 2.0);
  std::normal_distribution<double> noise(0.0, noise_sd);
  np::TrainingData data;
  data.features.resize(rows, 5);
  data.target.resize(rows);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < 5; ++j) data.features(i, j) = uniform(rng);
    const auto f = data.features.row(i);
    data.target(i) = 3.0 + 2.0 * f(1) * f(2) - 1.5 * f(3) * f(3) + noise(rng);
  }
  return data;
}

// Runtime-like data over four orders of magnitude: y = x0·x1·x2 with 5% multiplicative noise,
// plus the product as a special term (as FLOPs would be).
np::TrainingData multiplicative(int rows, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> log_uniform(0.0, std::log(21.5));
  std::normal_distribution<double> noise(0.0, 0.05);
  np::TrainingData data;
  data.features.resize(rows, 3);
  data.special.resize(rows, 1);
  data.target.resize(rows);
  for (int i = 0; i < rows; ++i) {
    double product = 1.0;
    for (int j = 0; j < 3; ++j) {
      data.features(i, j) = std::exp(log_uniform(rng));
      product *= data.features(i, j);
    }
    data.special(i, 0) = product;
    data.target(i) = std::pow(product, 0.85) * std::exp(noise(rng));
  }
  return data;
}

np::TrainingData pure_noise(int rows, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> noise(10.0, 1.0);
  np::TrainingData data;
  data.features.resize(rows, 4);
  data.target.resize(rows);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < 4; ++j) data.features(i, j) = uniform(rng);
    data.target(i) = noise(rng);
  }
  return data;
}

std::vector<double> row_of(const np::RowMatrix& m, Eigen::Index r) {
  return std::vector<double>(m.row(r).data(), m.row(r).data() + m.cols());
}

const np::Term* find_term(const np::PolynomialModel& model, const np::Exponents& e,
                          double* coefficient) {
  for (std::size_t t = 0; t < model.terms.size(); ++t) {
    if (model.terms[t].exponents == e) {
      *coefficient = model.coefficients[t];
      return &model.terms[t];
    }
  }
  return nullptr;
}

TEST(Folds, DeterministicBalancedAndSeedDependent) {
  const std::vector<int> a = np::assign_folds(103, 10, 42);
  EXPECT_EQ(a, np::assign_folds(103, 10, 42));
  EXPECT_NE(a, np::assign_folds(103, 10, 43));
  std::vector<int> sizes(10, 0);
  for (int f : a) {
    ASSERT_GE(f, 0);
    ASSERT_LT(f, 10);
    ++sizes[static_cast<std::size_t>(f)];
  }
  EXPECT_LE(
      *std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()),
      1);
  // A shuffle, not blocks of consecutive rows.
  int same_as_next = 0;
  for (std::size_t i = 0; i + 1 < a.size(); ++i) same_as_next += a[i] == a[i + 1];
  EXPECT_LT(same_as_next, 40);
  EXPECT_THROW(np::assign_folds(10, 1, 0), np::Error);
  EXPECT_THROW(np::assign_folds(5, 6, 0), np::Error);
}

TEST(ModelSelection, RecoversASparsePolynomial) {
  const np::TrainingData data = sparse_polynomial(500, 0.1, 1);
  const np::ModelSelection selection = np::select_model(data, TargetTreatment::raw);
  const np::TreatmentResult& result = selection.best();
  EXPECT_EQ(result.chosen().degree, 2);
  const np::PolynomialModel& model = selection.model();
  double x1x2 = 0.0;
  double x3x3 = 0.0;
  ASSERT_NE(find_term(model, {0, 1, 1, 0, 0}, &x1x2), nullptr);
  ASSERT_NE(find_term(model, {0, 0, 0, 2, 0}, &x3x3), nullptr);
  EXPECT_NEAR(x1x2, 2.0, 0.05);
  EXPECT_NEAR(x3x3, -1.5, 0.05);
  EXPECT_NEAR(model.intercept, 3.0, 0.1);
  const double largest = std::max(std::abs(x1x2), std::abs(x3x3));
  for (std::size_t t = 0; t < model.terms.size(); ++t) {
    const np::Exponents& e = model.terms[t].exponents;
    if (e == np::Exponents{0, 1, 1, 0, 0} || e == np::Exponents{0, 0, 0, 2, 0}) continue;
    EXPECT_LT(std::abs(model.coefficients[t]), 0.01 * largest) << model.terms[t].to_string();
  }
  // The CV error is near the noise level, and worse for degree 1, which cannot fit.
  EXPECT_LT(result.cv_rmse, 0.12);
  EXPECT_GT(result.degrees[0].cv_rmse, 1.0);
  // predict() is the fitted polynomial.
  for (Eigen::Index r = 0; r < 5; ++r) {
    EXPECT_NEAR(model.predict(row_of(data.features, r)), data.target(r), 0.5);
  }
}

TEST(ModelSelection, PureNoiseGivesANearlyEmptyModel) {
  const np::TrainingData data = pure_noise(400, 2);
  np::SelectionOptions options;
  options.max_degree = 3;
  const np::ModelSelection chosen_by_min = np::select_model(data, TargetTreatment::raw, options);
  EXPECT_LE(chosen_by_min.model().size(), 3u);
  // Whatever it kept predicts held-out rows no better than the mean does (sd of y is 1).
  EXPECT_GT(chosen_by_min.best().cv_rmse, 0.97);
  options.lambda_rule = np::LambdaRule::one_standard_error;
  const np::ModelSelection chosen_by_1se = np::select_model(data, TargetTreatment::raw, options);
  EXPECT_EQ(chosen_by_1se.model().size(), 0u);
  EXPECT_NEAR(chosen_by_1se.model().intercept, data.target.mean(), 1e-9);
}

TEST(ModelSelection, RelativeTreatmentCutsRelativeErrorOnWideRanges) {
  const np::TrainingData data = multiplicative(600, 3);
  const double range = data.target.maxCoeff() / data.target.minCoeff();
  ASSERT_GT(range, 1000.0);
  np::SelectionOptions options;
  options.max_degree = 3;
  const std::vector<TargetTreatment> treatments{TargetTreatment::raw, TargetTreatment::relative};
  const np::ModelSelection selection = np::select_model(data, treatments, options);
  ASSERT_EQ(selection.treatments.size(), 2u);
  const double raw = selection.treatments[0].cv_rmspe;
  const double relative = selection.treatments[1].cv_rmspe;
  EXPECT_LT(relative, 0.5 * raw) << "raw " << raw << "% relative " << relative << "%";
  EXPECT_EQ(selection.chosen, 1u);
  EXPECT_EQ(selection.model().treatment, TargetTreatment::relative);
  // Raw least squares fits large targets best: its CV RMSE is not worse.
  EXPECT_LE(selection.treatments[0].cv_rmse, selection.treatments[1].cv_rmse * 1.001);
}

TEST(ModelSelection, LogTreatmentPredictsTheExponential) {
  const np::TrainingData data = multiplicative(300, 4);
  np::SelectionOptions options;
  options.max_degree = 2;
  const np::ModelSelection selection = np::select_model(data, TargetTreatment::log, options);
  const np::PolynomialModel& model = selection.model();
  EXPECT_EQ(model.treatment, TargetTreatment::log);
  for (Eigen::Index r = 0; r < 3; ++r) {
    const std::vector<double> f = row_of(data.features, r);
    const std::vector<double> s = row_of(data.special, r);
    double polynomial = model.intercept;
    for (std::size_t t = 0; t < model.terms.size(); ++t) {
      polynomial += model.coefficients[t] * np::evaluate_term(model.terms[t], f, s);
    }
    EXPECT_DOUBLE_EQ(model.predict(f, s), std::exp(polynomial));
  }
  EXPECT_LT(selection.best().cv_rmspe, 100.0);
}

// Recomputes the CV curve of one degree with lasso_path on each fold's training rows (which
// standardises on exactly those rows) and compares it with the selection's.
void expect_cv_matches_manual(const np::TrainingData& data, TargetTreatment treatment) {
  np::SelectionOptions options;
  options.max_degree = 2;
  options.folds = 5;
  options.lasso.num_lambdas = 30;
  options.lasso.tolerance = 1e-11;
  const np::ModelSelection selection = np::select_model(data, treatment, options);
  const np::DegreeScore& score = selection.best().degrees[1];

  const auto n = static_cast<Eigen::Index>(data.target.size());
  const auto terms = np::polynomial_terms(static_cast<int>(data.features.cols()), 2,
                                          static_cast<int>(data.special.cols()));
  const Eigen::MatrixXd x = np::design_matrix(terms, data.features, data.special);
  const std::vector<int> fold = np::assign_folds(static_cast<std::size_t>(n), 5, options.seed);
  std::vector<double> squared(score.lambdas.size(), 0.0);
  for (int f = 0; f < 5; ++f) {
    std::vector<Eigen::Index> train, test;
    for (Eigen::Index i = 0; i < n; ++i)
      (fold[static_cast<std::size_t>(i)] == f ? test : train).push_back(i);
    const Eigen::VectorXd y_train = data.target(train);
    Eigen::VectorXd fit_target = y_train;
    Eigen::VectorXd weights;
    if (treatment == TargetTreatment::log) fit_target = y_train.array().log();
    if (treatment == TargetTreatment::relative) weights = y_train.array().square().inverse();
    const np::LassoPath path =
        np::lasso_path(x(train, Eigen::all), fit_target, weights, options.lasso, score.lambdas);
    for (std::size_t k = 0; k < score.lambdas.size(); ++k) {
      const auto kk = static_cast<Eigen::Index>(k);
      for (Eigen::Index i : test) {
        double estimate = path.intercepts(kk) + x.row(i).dot(path.coefficients.col(kk));
        if (treatment == TargetTreatment::log) estimate = std::exp(estimate);
        const double error = estimate - data.target(i);
        squared[k] += treatment == TargetTreatment::raw
                          ? error * error
                          : (error / data.target(i)) * (error / data.target(i));
      }
    }
  }
  for (std::size_t k = 0; k < score.lambdas.size(); ++k) {
    const double manual = squared[k] / static_cast<double>(n);
    EXPECT_NEAR(score.cv_error[k], manual, 1e-6 * manual) << "lambda index " << k;
  }
}

TEST(ModelSelection, CrossValidationMatchesFoldByFoldFits) {
  expect_cv_matches_manual(sparse_polynomial(150, 0.3, 5), TargetTreatment::raw);
}

TEST(ModelSelection, WeightedCrossValidationMatchesFoldByFoldFits) {
  expect_cv_matches_manual(multiplicative(150, 6), TargetTreatment::relative);
  expect_cv_matches_manual(multiplicative(150, 7), TargetTreatment::log);
}

TEST(ModelSelection, RecomputedFoldSumsGiveTheSameSelection) {
  const np::TrainingData data = multiplicative(200, 18);
  np::SelectionOptions options;
  options.max_degree = 3;
  const std::vector<TargetTreatment> treatments{TargetTreatment::raw, TargetTreatment::relative};
  const np::ModelSelection kept = np::select_model(data, treatments, options);
  options.fold_gram_budget_bytes = 0;
  const np::ModelSelection recomputed = np::select_model(data, treatments, options);
  for (std::size_t t = 0; t < 2; ++t) {
    for (std::size_t d = 0; d < 3; ++d) {
      const np::DegreeScore& a = kept.treatments[t].degrees[d];
      const np::DegreeScore& b = recomputed.treatments[t].degrees[d];
      EXPECT_EQ(a.lambda_index, b.lambda_index);
      for (std::size_t k = 0; k < a.cv_error.size(); ++k) {
        EXPECT_NEAR(a.cv_error[k], b.cv_error[k], 1e-9 * a.cv_error[k]);
      }
    }
  }
}

TEST(ModelSelection, ChoosesTheDegreeAndLambdaWithTheLowestCvError) {
  const np::TrainingData data = sparse_polynomial(200, 0.5, 8);
  for (np::LambdaRule rule : {np::LambdaRule::min_error, np::LambdaRule::one_standard_error}) {
    np::SelectionOptions options;
    options.max_degree = 3;
    options.lambda_rule = rule;
    const np::ModelSelection selection = np::select_model(data, TargetTreatment::raw, options);
    const np::TreatmentResult& result = selection.best();
    ASSERT_EQ(result.degrees.size(), 3u);
    for (const np::DegreeScore& score : result.degrees) {
      ASSERT_EQ(score.cv_error.size(), 100u);
      const double lowest = *std::min_element(score.cv_error.begin(), score.cv_error.end());
      const double at_choice = score.cv_error[score.lambda_index];
      if (rule == np::LambdaRule::min_error) {
        EXPECT_EQ(at_choice, lowest);
      } else {
        const std::size_t best = static_cast<std::size_t>(
            std::min_element(score.cv_error.begin(), score.cv_error.end()) -
            score.cv_error.begin());
        EXPECT_LE(score.lambda_index, best);  // a larger λ, or the same
        EXPECT_LE(at_choice, lowest + score.cv_error_se[best]);
      }
      EXPECT_NEAR(score.cv_rmse * score.cv_rmse, at_choice, 1e-9 * at_choice);
      EXPECT_GT(score.candidate_terms, 0u);
      EXPECT_LE(score.nonzero_terms, score.candidate_terms);
      EXPECT_GE(at_choice, result.chosen().cv_error[result.chosen().lambda_index]);
    }
    EXPECT_EQ(result.model.size(), result.chosen().nonzero_terms);
    EXPECT_EQ(result.lambda, result.chosen().lambda);
  }
}

TEST(ModelSelection, RecordsTrainingRangesAndRows) {
  const np::TrainingData data = multiplicative(80, 9);
  np::SelectionOptions options;
  options.max_degree = 1;
  const np::ModelSelection selection = np::select_model(data, TargetTreatment::raw, options);
  EXPECT_EQ(selection.rows, 80u);
  ASSERT_EQ(selection.feature_min.size(), 3u);
  ASSERT_EQ(selection.special_max.size(), 1u);
  for (Eigen::Index j = 0; j < 3; ++j) {
    EXPECT_EQ(selection.feature_min[static_cast<std::size_t>(j)], data.features.col(j).minCoeff());
    EXPECT_EQ(selection.feature_max[static_cast<std::size_t>(j)], data.features.col(j).maxCoeff());
  }
  EXPECT_EQ(selection.special_min[0], data.special.col(0).minCoeff());
  EXPECT_EQ(selection.model().num_special, 1u);
}

TEST(ModelSelection, AllEqualTargetsGiveAConstantModel) {
  np::TrainingData data = pure_noise(40, 10);
  data.target.setConstant(2.5);
  for (TargetTreatment t :
       {TargetTreatment::raw, TargetTreatment::relative, TargetTreatment::log}) {
    const np::ModelSelection selection = np::select_model(data, t);
    EXPECT_EQ(selection.model().size(), 0u);
    EXPECT_NEAR(selection.model().predict(row_of(data.features, 0)), 2.5, 1e-12);
    EXPECT_NEAR(selection.best().cv_rmse, 0.0, 1e-12);
  }
}

TEST(ModelSelection, ConstantFeatureAndFewerRowsThanTerms) {
  np::TrainingData data = sparse_polynomial(30, 0.1, 11);
  data.features.col(4).setConstant(1.0);
  np::SelectionOptions options;
  options.max_degree = 3;  // 55 candidates for 30 rows
  const np::ModelSelection selection = np::select_model(data, TargetTreatment::raw, options);
  EXPECT_EQ(selection.best().unconverged_fits, 0u);
  for (std::size_t t = 0; t < selection.model().size(); ++t) {
    const np::Term& term = selection.model().terms[t];
    // Terms that differ only by a power of the constant feature are the same column; at
    // most one of each such group is kept, and x4 alone (a constant) never is.
    EXPECT_FALSE(term.exponents == np::Exponents({0, 0, 0, 0, 1}));
  }
  for (Eigen::Index r = 0; r < 30; ++r) {
    EXPECT_TRUE(std::isfinite(selection.model().predict(row_of(data.features, r))));
  }
  // Fewer rows than folds: one row per fold.
  np::TrainingData tiny = sparse_polynomial(4, 0.1, 12);
  EXPECT_NO_THROW(np::select_model(tiny, TargetTreatment::raw));
}

TEST(ModelSelection, SpecialTermsAloneOrNothingAtAll) {
  const np::TrainingData wide = multiplicative(100, 19);
  np::TrainingData special_only;
  special_only.features.resize(100, 0);
  special_only.special = wide.special;
  special_only.target = 3.0 * wide.special.col(0) + Eigen::VectorXd::Constant(100, 2.0);
  const np::ModelSelection fitted = np::select_model(special_only, TargetTreatment::raw);
  ASSERT_EQ(fitted.model().size(), 1u);
  EXPECT_TRUE(fitted.model().terms[0].is_special());
  EXPECT_NEAR(fitted.model().coefficients[0], 3.0, 1e-3);
  EXPECT_DOUBLE_EQ(fitted.model().predict({}, std::vector<double>{10.0}),
                   fitted.model().intercept + 10.0 * fitted.model().coefficients[0]);

  np::TrainingData nothing;
  nothing.features.resize(100, 0);
  nothing.target = wide.target;
  const np::ModelSelection mean_only = np::select_model(nothing, TargetTreatment::relative);
  EXPECT_EQ(mean_only.model().size(), 0u);
  EXPECT_TRUE(std::isfinite(mean_only.model().predict({})));
}

TEST(ModelSelection, RejectsBadInput) {
  np::TrainingData data = multiplicative(20, 13);
  data.target(7) = 0.0;
  for (TargetTreatment t : {TargetTreatment::relative, TargetTreatment::log}) {
    try {
      np::select_model(data, t);
      ADD_FAILURE() << "y = 0 accepted";
    } catch (const np::Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("target > 0"), std::string::npos) << message;
      EXPECT_NE(message.find("row 7"), std::string::npos) << message;
    }
  }
  EXPECT_NO_THROW(np::select_model(data, TargetTreatment::raw));
  data.target(7) = -1.0;
  EXPECT_THROW(np::select_model(data, TargetTreatment::log), np::Error);

  np::TrainingData nan_feature = multiplicative(20, 14);
  nan_feature.features(3, 2) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(np::select_model(nan_feature, TargetTreatment::raw), np::Error);
  np::TrainingData nan_target = multiplicative(20, 14);
  nan_target.target(0) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(np::select_model(nan_target, TargetTreatment::raw), np::Error);
  np::TrainingData inf_special = multiplicative(20, 14);
  inf_special.special(5, 0) = std::numeric_limits<double>::infinity();
  EXPECT_THROW(np::select_model(inf_special, TargetTreatment::raw), np::Error);

  np::TrainingData mismatched = multiplicative(20, 15);
  mismatched.target.conservativeResize(19);
  EXPECT_THROW(np::select_model(mismatched, TargetTreatment::raw), np::Error);
  EXPECT_THROW(np::select_model(multiplicative(1, 16), TargetTreatment::raw), np::Error);

  const np::TrainingData good = multiplicative(20, 17);
  EXPECT_THROW(np::select_model(good, std::vector<TargetTreatment>{}), np::Error);
  EXPECT_THROW(np::select_model(
                   good, std::vector<TargetTreatment>{TargetTreatment::raw, TargetTreatment::raw}),
               np::Error);
  np::SelectionOptions options;
  options.max_degree = 0;
  EXPECT_THROW(np::select_model(good, TargetTreatment::raw, options), np::Error);
  options.max_degree = 40;  // far too many candidate terms
  EXPECT_THROW(np::select_model(good, TargetTreatment::raw, options), np::Error);
  options = {};
  options.folds = 1;
  EXPECT_THROW(np::select_model(good, TargetTreatment::raw, options), np::Error);

  const np::ModelSelection selection = np::select_model(good, TargetTreatment::raw);
  EXPECT_THROW(selection.model().predict(std::vector<double>{1.0, 2.0}), np::Error);
  EXPECT_THROW(np::parse_target_treatment("logarithmic"), np::Error);
  EXPECT_EQ(np::parse_target_treatment("relative"), TargetTreatment::relative);
}

}  // namespace

namespace {

// Five rows over ten features (the conv case that once took 565 s at degree 4): only degree 1
// is offered, whose 10 columns already outnumber the rows.
TEST(ModelSelection, DegreeIsCappedByTheRows) {
  np::TrainingData data;
  data.features.resize(5, 10);
  data.target.resize(5);
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> uniform(1.0, 50.0);
  for (Eigen::Index i = 0; i < 5; ++i) {
    for (Eigen::Index j = 0; j < 10; ++j) data.features(i, j) = uniform(rng);
    data.target(i) = data.features(i, 0) * data.features(i, 1);
  }
  np::SelectionOptions options;
  options.max_degree = 4;
  options.folds = 3;
  EXPECT_EQ(np::capped_degree(data, options), 1);
  const np::ModelSelection s =
      np::select_model(data,
                       std::vector<TargetTreatment>{TargetTreatment::raw, TargetTreatment::relative,
                                                    TargetTreatment::log},
                       options);
  for (const auto& t : s.treatments) EXPECT_EQ(t.degrees.size(), 1u);
  EXPECT_EQ(s.best().unconverged_fits, 0u);

  // With enough rows every requested degree is offered: 3 features, degree 3 = 19 columns.
  const np::TrainingData many = multiplicative(200, 32);
  options.max_degree = 3;
  EXPECT_EQ(np::capped_degree(many, options), 3);
  const np::TrainingData few = multiplicative(12, 33);  // degree 2: 9 + 1 columns ≤ 12
  EXPECT_EQ(np::capped_degree(few, options), 2);
}

}  // namespace
