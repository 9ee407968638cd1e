#include "neuralpower/model_selection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

#include "model/checks.hpp"
#include "model/standardize.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

using model_detail::CoordinateDescent;
using model_detail::GramSums;
using model_detail::PreparedColumns;
using model_detail::PreparedTarget;
using model_detail::RowBounds;
using model_detail::RowRange;
using model_detail::StandardizedProblem;
using model_detail::TargetSums;

constexpr double kInf = std::numeric_limits<double>::infinity();

// NaN and ±inf rank last.
double rank_value(double v) { return std::isfinite(v) ? v : kInf; }

// The candidate design at the largest degree with rows grouped by fold. Columns: the special
// terms, then the monomials in graded order, so that the candidates of degree ≤ K are a
// leading block of columns and every degree shares one Gram matrix.
struct CandidateLayout {
  std::vector<Term> terms;                   // per column
  std::vector<Eigen::Index> degree_columns;  // [K − 1]: number of degree-≤K candidates
  Eigen::MatrixXd x;                         // n × p, rows in fold order
  Eigen::VectorXd y;                         // in fold order
  std::vector<RowRange> folds;
};

void validate(const TrainingData& data, std::span<const TargetTreatment> treatments,
              const SelectionOptions& options) {
  const Eigen::Index n = data.features.rows();
  if (data.special.cols() > 0 && data.special.rows() != n) {
    throw Error("model selection: " + std::to_string(n) + " feature rows but " +
                std::to_string(data.special.rows()) + " special-term rows");
  }
  if (data.target.size() != n) {
    throw Error("model selection: " + std::to_string(n) + " feature rows but " +
                std::to_string(data.target.size()) + " targets");
  }
  if (n < 2) throw Error("model selection: need at least 2 rows, got " + std::to_string(n));
  if (options.max_degree < 1) {
    throw Error("model selection: max_degree must be at least 1, got " +
                std::to_string(options.max_degree));
  }
  if (options.folds < 2) {
    throw Error("model selection: need at least 2 folds, got " + std::to_string(options.folds));
  }
  model_detail::check_lasso_options(options.lasso);
  if (treatments.empty()) throw Error("model selection: no target treatment requested");
  for (std::size_t i = 0; i < treatments.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (treatments[i] == treatments[j]) {
        throw Error("model selection: target treatment '" + std::string(to_string(treatments[i])) +
                    "' requested twice");
      }
    }
  }
  model_detail::check_finite("model selection: feature", data.features);
  model_detail::check_finite("model selection: special term", data.special);
  model_detail::check_finite("model selection: target", data.target);
  for (TargetTreatment treatment : treatments) {
    if (treatment == TargetTreatment::raw) continue;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (data.target(i) > 0.0) continue;
      std::ostringstream message;
      message << "model selection: the " << to_string(treatment)
              << " target treatment needs every target > 0, but row " << i << " has "
              << data.target(i);
      throw Error(message.str());
    }
  }
}

// The requested degree, before the cap by rows: a request beyond max_terms is an error.
void check_term_budget(const TrainingData& data, const SelectionOptions& options) {
  const auto num_features = static_cast<int>(data.features.cols());
  const auto num_special = static_cast<int>(data.special.cols());
  const std::size_t monomials = monomial_count(num_features, options.max_degree, options.max_terms);
  if (monomials + static_cast<std::size_t>(num_special) > options.max_terms) {
    throw Error("model selection: degree " + std::to_string(options.max_degree) + " over " +
                std::to_string(num_features) + " features and " + std::to_string(num_special) +
                " special terms gives " +
                std::to_string(monomials + static_cast<std::size_t>(num_special)) +
                " candidate terms, more than max_terms = " + std::to_string(options.max_terms));
  }
}

CandidateLayout make_layout(const TrainingData& data, const SelectionOptions& options) {
  const auto num_features = static_cast<int>(data.features.cols());
  const auto num_special = static_cast<int>(data.special.cols());
  CandidateLayout layout;
  for (int s = 0; s < num_special; ++s) layout.terms.push_back(Term{{}, s});
  for (Exponents& e : monomial_exponents(num_features, options.max_degree)) {
    layout.terms.push_back(Term{std::move(e), -1});
  }
  for (int degree = 1; degree <= options.max_degree; ++degree) {
    layout.degree_columns.push_back(
        num_special + static_cast<Eigen::Index>(monomial_count(num_features, degree)));
  }
  const Eigen::MatrixXd x = design_matrix(layout.terms, data.features, data.special);

  const auto n = static_cast<std::size_t>(data.features.rows());
  const int folds = std::min(options.folds, static_cast<int>(n));
  const std::vector<int> fold = assign_folds(n, folds, options.seed);
  std::vector<Eigen::Index> order;
  order.reserve(n);
  for (int f = 0; f < folds; ++f) {
    const auto begin = static_cast<Eigen::Index>(order.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (fold[i] == f) order.push_back(static_cast<Eigen::Index>(i));
    }
    layout.folds.push_back({begin, static_cast<Eigen::Index>(order.size()) - begin});
  }
  layout.x = x(order, Eigen::all);
  layout.y = data.target(order);
  return layout;
}

// Predictions for the rows of `block` at every λ; coefficients are mostly zero along the path,
// so only the non-zero ones are applied.
void predict_block(const PreparedColumns& columns, const PreparedTarget& target, RowRange block,
                   const Eigen::MatrixXd& coefficients, const Eigen::VectorXd& intercepts,
                   Eigen::MatrixXd& predictions) {
  predictions.resize(block.count, coefficients.cols());
  for (Eigen::Index k = 0; k < coefficients.cols(); ++k) {
    auto column = predictions.col(k);
    column.setConstant(intercepts(k) + target.center);
    for (Eigen::Index j = 0; j < coefficients.rows(); ++j) {
      const double c = coefficients(j, k);
      if (c != 0.0) column.noalias() += c * columns.x.col(j).segment(block.begin, block.count);
    }
  }
}

// Held-out errors of one degree over the λ grid, pooled over folds and per fold.
struct CvErrors {
  Eigen::VectorXd squared;           // Σ (ŷ − y)² per λ
  Eigen::VectorXd squared_relative;  // Σ ((ŷ − y)/y)² over y ≠ 0, per λ
  Eigen::MatrixXd fold_criterion;    // folds × λ: the fold's mean squared (relative) error
  Eigen::VectorXd fold_weight;       // rows counted in each fold's criterion
  double rows = 0.0;
  double relative_rows = 0.0;

  void resize(std::size_t folds, std::size_t lambdas) {
    squared.setZero(static_cast<Eigen::Index>(lambdas));
    squared_relative.setZero(static_cast<Eigen::Index>(lambdas));
    fold_criterion.setZero(static_cast<Eigen::Index>(folds), static_cast<Eigen::Index>(lambdas));
    fold_weight.setZero(static_cast<Eigen::Index>(folds));
  }

  void add_fold(std::size_t fold, const Eigen::MatrixXd& predictions,
                const Eigen::Ref<const Eigen::VectorXd>& y, TargetTreatment treatment) {
    const bool exponentiate = treatment == TargetTreatment::log;
    const bool by_relative = treatment != TargetTreatment::raw;
    double counted_relative = 0.0;
    for (Eigen::Index r = 0; r < y.size(); ++r) counted_relative += y(r) != 0.0 ? 1.0 : 0.0;
    const auto f = static_cast<Eigen::Index>(fold);
    for (Eigen::Index k = 0; k < predictions.cols(); ++k) {
      double sum = 0.0;
      double sum_relative = 0.0;
      for (Eigen::Index r = 0; r < y.size(); ++r) {
        const double estimate = exponentiate ? std::exp(predictions(r, k)) : predictions(r, k);
        const double error = estimate - y(r);
        sum += error * error;
        if (y(r) != 0.0) {
          const double relative = error / y(r);
          sum_relative += relative * relative;
        }
      }
      squared(k) += sum;
      squared_relative(k) += sum_relative;
      fold_criterion(f, k) =
          by_relative ? sum_relative / counted_relative : sum / static_cast<double>(y.size());
    }
    fold_weight(f) = by_relative ? counted_relative : static_cast<double>(y.size());
    rows += static_cast<double>(y.size());
    relative_rows += counted_relative;
  }
};

// Per-degree working state, reused across folds.
struct DegreeState {
  StandardizedProblem problem;
  Eigen::MatrixXd betas, coefficients, predictions;
  Eigen::VectorXd intercepts;
  Eigen::MatrixXd all_rows_coefficients;  // original units, p_K × L
  Eigen::VectorXd all_rows_intercepts;
  CvErrors errors;
};

void score_degree(const CvErrors& errors, TargetTreatment treatment, LambdaRule rule,
                  DegreeScore& score) {
  const Eigen::Index lambdas = errors.squared.size();
  const double folds = static_cast<double>(errors.fold_weight.size());
  const double total_weight = errors.fold_weight.sum();
  score.cv_error.assign(static_cast<std::size_t>(lambdas), 0.0);
  score.cv_error_se.assign(static_cast<std::size_t>(lambdas), 0.0);
  for (Eigen::Index k = 0; k < lambdas; ++k) {
    const double mean = treatment == TargetTreatment::raw
                            ? errors.squared(k) / errors.rows
                            : errors.squared_relative(k) / errors.relative_rows;
    double spread = 0.0;
    for (Eigen::Index f = 0; f < errors.fold_weight.size(); ++f) {
      const double d = errors.fold_criterion(f, k) - mean;
      spread += errors.fold_weight(f) * d * d;
    }
    score.cv_error[static_cast<std::size_t>(k)] = mean;
    score.cv_error_se[static_cast<std::size_t>(k)] =
        folds > 1.0 ? std::sqrt(spread / total_weight / (folds - 1.0)) : 0.0;
  }
  std::size_t best = 0;
  for (std::size_t k = 1; k < score.cv_error.size(); ++k) {
    if (rank_value(score.cv_error[k]) < rank_value(score.cv_error[best])) best = k;
  }
  std::size_t chosen = best;
  if (rule == LambdaRule::one_standard_error && std::isfinite(score.cv_error[best])) {
    const double bound = score.cv_error[best] + rank_value(score.cv_error_se[best]);
    for (std::size_t k = 0; k < best; ++k) {
      if (rank_value(score.cv_error[k]) <= bound) {
        chosen = k;
        break;
      }
    }
  }
  score.lambda_index = chosen;
  score.lambda = score.lambdas[chosen];
  const auto c = static_cast<Eigen::Index>(chosen);
  score.cv_rmse = std::sqrt(errors.squared(c) / errors.rows);
  score.cv_rmspe = errors.relative_rows > 0.0
                       ? 100.0 * std::sqrt(errors.squared_relative(c) / errors.relative_rows)
                       : std::numeric_limits<double>::quiet_NaN();
}

bool fits_with_unit_weights(TargetTreatment treatment) {
  return treatment != TargetTreatment::relative;
}

// The candidate columns prepared for one set of observation weights, with their Gram sums:
// the expensive part, shared by the treatments that use the same weights (raw and log).
struct WeightedDesign {
  PreparedColumns columns;
  std::vector<GramSums> fold_sums;  // empty when over the memory budget
  GramSums all_sums;
};

WeightedDesign weighted_design(const CandidateLayout& layout, TargetTreatment treatment,
                               std::size_t fold_gram_budget_bytes) {
  const Eigen::Index n = layout.x.rows();
  Eigen::VectorXd weights = Eigen::VectorXd::Ones(n);
  if (!fits_with_unit_weights(treatment)) {
    weights = layout.y.array().square().inverse();
    weights *= static_cast<double>(n) / weights.sum();
  }
  WeightedDesign design;
  design.columns = model_detail::prepare_columns(layout.x, weights);
  // The sums of every fold, kept when they fit the memory budget, give those of all rows for
  // the cost of one pass; otherwise each fold's are recomputed when it is held out.
  const auto p = static_cast<double>(design.columns.columns());
  const std::size_t folds = layout.folds.size();
  if (static_cast<double>(folds) * p * p * sizeof(double) <=
      static_cast<double>(fold_gram_budget_bytes)) {
    design.fold_sums.resize(folds);
    for (std::size_t f = 0; f < folds; ++f) {
      design.fold_sums[f].assign(design.columns, layout.folds[f]);
    }
    design.all_sums.assign_sum(design.fold_sums);
  } else {
    design.all_sums.assign(design.columns, {0, n});
  }
  return design;
}

TreatmentResult select_treatment(const CandidateLayout& layout, const WeightedDesign& design,
                                 TargetTreatment treatment, const SelectionOptions& options) {
  const Eigen::Index n = layout.x.rows();
  const std::size_t folds = layout.folds.size();
  const std::size_t lambdas = options.lasso.num_lambdas;
  const auto degrees = static_cast<std::size_t>(options.max_degree);
  const PreparedColumns& columns = design.columns;

  const PreparedTarget target = model_detail::prepare_target(
      treatment == TargetTreatment::log ? Eigen::VectorXd(layout.y.array().log()) : layout.y,
      columns.w);
  std::vector<TargetSums> fold_cross(folds);
  std::vector<RowBounds> fold_bounds(folds);
  for (std::size_t f = 0; f < folds; ++f) {
    fold_cross[f].assign(columns, target, layout.folds[f]);
    fold_bounds[f].assign(columns, target, layout.folds[f]);
  }
  TargetSums all_cross;
  all_cross.assign_sum(fold_cross);
  RowBounds all_bounds;
  all_bounds.assign(columns, target, {0, n});

  TreatmentResult result;
  result.treatment = treatment;
  result.degrees.resize(degrees);
  std::vector<DegreeState> state(degrees);
  std::vector<CoordinateDescent> solvers;
  solvers.reserve(degrees);
  for (DegreeState& s : state) solvers.emplace_back(s.problem);

  // All rows: the λ grid of each degree and the fits the chosen model comes from.
  StandardizedProblem full;
  model_detail::standardize(columns, target, design.all_sums, all_cross, all_bounds, {0, 0}, full);
  for (std::size_t d = 0; d < degrees; ++d) {
    DegreeState& s = state[d];
    DegreeScore& score = result.degrees[d];
    const Eigen::Index count = layout.degree_columns[d];
    score.degree = static_cast<int>(d) + 1;
    score.candidate_terms = static_cast<std::size_t>(count);
    model_detail::select_leading_columns(full, count, s.problem);
    const double ratio = options.lasso.lambda_min_ratio > 0.0
                             ? options.lasso.lambda_min_ratio
                             : default_lambda_min_ratio(static_cast<std::size_t>(n),
                                                        static_cast<std::size_t>(count));
    score.lambdas = lambda_grid(model_detail::lambda_max(s.problem), lambdas, ratio);
    result.unconverged_fits +=
        model_detail::run_path(solvers[d], score.lambdas, options.lasso, s.betas);
    model_detail::to_prepared_units(s.problem, s.betas, s.all_rows_coefficients,
                                    s.all_rows_intercepts);
    model_detail::to_original_units(columns, target, s.all_rows_coefficients,
                                    s.all_rows_intercepts);
    s.errors.resize(folds, lambdas);
  }

  const bool keep_fold_sums = !design.fold_sums.empty();
  GramSums block_sums;
  GramSums training_sums;
  TargetSums training_cross;
  RowBounds training_bounds;
  StandardizedProblem fold_problem;
  for (std::size_t f = 0; f < folds; ++f) {
    const RowRange held_out = layout.folds[f];
    if (!keep_fold_sums) block_sums.assign(columns, held_out);
    training_sums.assign_difference(design.all_sums,
                                    keep_fold_sums ? design.fold_sums[f] : block_sums);
    training_cross.assign_difference(all_cross, fold_cross[f]);
    training_bounds.assign_union(fold_bounds, f);
    model_detail::standardize(columns, target, training_sums, training_cross, training_bounds,
                              held_out, fold_problem);
    for (std::size_t d = 0; d < degrees; ++d) {
      DegreeState& s = state[d];
      model_detail::select_leading_columns(fold_problem, layout.degree_columns[d], s.problem);
      result.unconverged_fits +=
          model_detail::run_path(solvers[d], result.degrees[d].lambdas, options.lasso, s.betas);
      model_detail::to_prepared_units(s.problem, s.betas, s.coefficients, s.intercepts);
      predict_block(columns, target, held_out, s.coefficients, s.intercepts, s.predictions);
      s.errors.add_fold(f, s.predictions, layout.y.segment(held_out.begin, held_out.count),
                        treatment);
    }
  }

  for (std::size_t d = 0; d < degrees; ++d) {
    DegreeScore& score = result.degrees[d];
    score_degree(state[d].errors, treatment, options.lambda_rule, score);
    score.nonzero_terms = static_cast<std::size_t>(
        (state[d]
             .all_rows_coefficients.col(static_cast<Eigen::Index>(score.lambda_index))
             .array() != 0.0)
            .count());
    const DegreeScore& best = result.degrees[result.chosen_degree];
    if (rank_value(score.cv_error[score.lambda_index]) <
        rank_value(best.cv_error[best.lambda_index])) {
      result.chosen_degree = d;
    }
  }

  const DegreeScore& chosen = result.chosen();
  const DegreeState& s = state[result.chosen_degree];
  const auto k = static_cast<Eigen::Index>(chosen.lambda_index);
  PolynomialModel& model = result.model;
  model.treatment = treatment;
  model.degree = chosen.degree;
  model.intercept = s.all_rows_intercepts(k);
  for (Eigen::Index c = 0; c < s.all_rows_coefficients.rows(); ++c) {
    const double coefficient = s.all_rows_coefficients(c, k);
    if (coefficient == 0.0) continue;
    model.terms.push_back(layout.terms[static_cast<std::size_t>(c)]);
    model.coefficients.push_back(coefficient);
  }
  result.lambda = chosen.lambda;
  result.cv_rmse = chosen.cv_rmse;
  result.cv_rmspe = chosen.cv_rmspe;
  return result;
}

}  // namespace

int capped_degree(const TrainingData& data, const SelectionOptions& options) {
  const auto features = static_cast<int>(data.features.cols());
  const auto special = static_cast<std::size_t>(data.special.cols());
  const auto rows = static_cast<std::size_t>(data.features.rows());
  int degree = 1;
  while (degree < options.max_degree &&
         monomial_count(features, degree + 1, options.max_terms) + special <= rows) {
    ++degree;
  }
  return degree;
}

ModelSelection select_model(const TrainingData& data, std::span<const TargetTreatment> treatments,
                            const SelectionOptions& requested) {
  validate(data, treatments, requested);
  check_term_budget(data, requested);
  SelectionOptions options = requested;
  options.max_degree = capped_degree(data, requested);
  const CandidateLayout layout = make_layout(data, options);

  ModelSelection selection;
  selection.rows = static_cast<std::size_t>(data.features.rows());
  selection.treatments.resize(treatments.size());
  // Treatments with the same weights share one design; each design is dropped after its use.
  for (const bool unit_weights : {true, false}) {
    std::optional<WeightedDesign> design;
    for (std::size_t t = 0; t < treatments.size(); ++t) {
      if (fits_with_unit_weights(treatments[t]) != unit_weights) continue;
      if (!design) {
        design = weighted_design(layout, treatments[t], options.fold_gram_budget_bytes);
      }
      selection.treatments[t] = select_treatment(layout, *design, treatments[t], options);
      PolynomialModel& model = selection.treatments[t].model;
      model.num_features = static_cast<std::size_t>(data.features.cols());
      model.num_special = static_cast<std::size_t>(data.special.cols());
    }
  }
  for (std::size_t t = 1; t < selection.treatments.size(); ++t) {
    if (rank_value(selection.treatments[t].cv_rmspe) <
        rank_value(selection.treatments[selection.chosen].cv_rmspe)) {
      selection.chosen = t;
    }
  }
  for (Eigen::Index j = 0; j < data.features.cols(); ++j) {
    selection.feature_min.push_back(data.features.col(j).minCoeff());
    selection.feature_max.push_back(data.features.col(j).maxCoeff());
  }
  for (Eigen::Index j = 0; j < data.special.cols(); ++j) {
    selection.special_min.push_back(data.special.col(j).minCoeff());
    selection.special_max.push_back(data.special.col(j).maxCoeff());
  }
  return selection;
}

ModelSelection select_model(const TrainingData& data, TargetTreatment treatment,
                            const SelectionOptions& options) {
  return select_model(data, std::span<const TargetTreatment>(&treatment, 1), options);
}

}  // namespace np
