#pragma once
// Model selection of the NeuralPower layer models (paper section 4.1.1): for each polynomial
// degree K = 1..K_max, the Lasso path over all degree-≤K monomials plus the special terms, λ
// chosen by K-fold cross-validation, and the degree with the lowest cross-validated error; the
// winner is refitted on all rows.
//
// Cross-validation: rows are assigned to folds by a seeded shuffle (assign_folds). The λ grid of
// each degree comes from all rows; each fold standardises its columns on its training rows
// only and runs the path over that grid. The CV error at λ pools the held-out errors of all
// folds; its standard error is the spread of the per-fold errors (as glmnet's cv.glmnet).
//
// Target treatments:
//   raw       least squares on y, the paper's choice; λ and K minimise the CV MSE (RMSE).
//   relative  weighted Lasso with w_i = 1/y_i² (y > 0): the loss is the squared relative error;
//             λ and K minimise the CV mean squared relative error (RMSPE).
//   log       least squares on log y, predictions exp(·); λ and K minimise the CV RMSPE of
//             exp(prediction) against y.
// RMSPE = 100·sqrt(mean(((ŷ − y)/y)²)) over the rows with y ≠ 0.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "neuralpower/lasso_path.hpp"
#include "neuralpower/polynomial.hpp"
#include "neuralpower/seed.hpp"

namespace np {

enum class TargetTreatment { raw, relative, log };

std::string_view to_string(TargetTreatment treatment);
// "raw", "relative", "log"; throws np::Error on anything else.
TargetTreatment parse_target_treatment(std::string_view name);

enum class LambdaRule {
  min_error,           // λ with the lowest CV error
  one_standard_error,  // largest λ whose CV error is within one standard error of the lowest
};

// A fitted layer model: intercept + Σ coefficient·term, in original units. Only the terms with
// non-zero coefficients are kept.
struct PolynomialModel {
  TargetTreatment treatment = TargetTreatment::raw;
  int degree = 0;                // of the candidate polynomial it was selected from
  std::size_t num_features = 0;  // D
  std::size_t num_special = 0;   // special columns expected by predict
  double intercept = 0.0;
  std::vector<Term> terms;
  std::vector<double> coefficients;  // one per term

  std::size_t size() const { return terms.size(); }  // the paper's "model size"
  // The model's estimate of y for one observation: the polynomial, or exp(polynomial) for the
  // log treatment. Unclamped. Throws np::Error on a wrong number of features or special terms.
  double predict(std::span<const double> features, std::span<const double> special = {}) const;
};

// Observations, one row each.
struct TrainingData {
  RowMatrix features;      // n × D
  RowMatrix special;       // n × S (S may be 0)
  Eigen::VectorXd target;  // n
};

struct SelectionOptions {
  int max_degree = 4;
  int folds = 10;  // fewer when there are fewer rows
  std::uint64_t seed = kDefaultSeed;
  LambdaRule lambda_rule = LambdaRule::min_error;
  LassoOptions lasso;            // num_lambdas, lambda_min_ratio, tolerance, max_passes
  std::size_t max_terms = 5000;  // candidate columns allowed at max_degree
  // Memory for keeping every fold's Gram sums (folds × p² doubles), which halves the Gram
  // work; above it each fold's sums are recomputed when the fold is held out.
  std::size_t fold_gram_budget_bytes = std::size_t{256} << 20;
};

// The cross-validation of one degree (one point of the paper's Figure 3, with its curve).
struct DegreeScore {
  int degree = 0;
  std::size_t candidate_terms = 0;  // monomials + special terms offered to the Lasso
  std::vector<double> lambdas;      // the grid, from all rows
  std::vector<double> cv_error;     // per λ: MSE (raw) or mean squared relative error
  std::vector<double> cv_error_se;  // per λ: standard error of cv_error
  std::size_t lambda_index = 0;     // chosen by the lambda rule
  double lambda = 0.0;
  std::size_t nonzero_terms = 0;  // of the all-rows fit at the chosen λ
  double cv_rmse = 0.0;           // at the chosen λ
  double cv_rmspe = 0.0;          // at the chosen λ, in percent
};

struct TreatmentResult {
  TargetTreatment treatment = TargetTreatment::raw;
  std::vector<DegreeScore> degrees;  // K = 1..max_degree
  std::size_t chosen_degree = 0;     // index into degrees
  PolynomialModel model;             // refitted on all rows at the chosen degree and λ
  double lambda = 0.0;
  double cv_rmse = 0.0;
  double cv_rmspe = 0.0;
  std::size_t unconverged_fits = 0;  // path points that hit max_passes (0 expected)

  const DegreeScore& chosen() const { return degrees[chosen_degree]; }
};

struct ModelSelection {
  std::vector<TreatmentResult> treatments;  // in the order requested
  std::size_t chosen = 0;                   // index of the lowest CV RMSPE
  std::size_t rows = 0;
  std::vector<double> feature_min, feature_max;  // over the training rows, per feature
  std::vector<double> special_min, special_max;  // per special column

  const TreatmentResult& best() const { return treatments[chosen]; }
  const PolynomialModel& model() const { return best().model; }
};

// Fold of each row (0..folds−1): a Fisher–Yates shuffle driven by a 64-bit Mersenne twister
// (both fully specified, so the folds are the same on every platform), then position mod folds.
// Fold sizes differ by at most one. Throws np::Error when folds < 2 or folds > rows.
std::vector<int> assign_folds(std::size_t rows, int folds, std::uint64_t seed);

// The largest degree ≤ options.max_degree whose candidate columns (monomials + special terms)
// do not outnumber the rows, and at least 1: a Lasso over more columns than rows can
// interpolate, so higher degrees only add columns that cross-validation must reject (and that
// once cost minutes: degree 4 over 10 conv features on 5 rows).
int capped_degree(const TrainingData& data, const SelectionOptions& options);

// Runs the selection for each requested treatment, at degrees 1..capped_degree, and keeps the
// one with the lowest CV RMSPE (ties: the first requested). Throws np::Error on inconsistent sizes,
// non-finite values, fewer than 2 rows, an empty or repeated treatment list, or y ≤ 0 with the
// relative or log treatment.
ModelSelection select_model(const TrainingData& data, std::span<const TargetTreatment> treatments,
                            const SelectionOptions& options = {});
ModelSelection select_model(const TrainingData& data, TargetTreatment treatment,
                            const SelectionOptions& options = {});

}  // namespace np
