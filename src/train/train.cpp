#include "neuralpower/train.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <utility>

#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/roofline.hpp"
#include "neuralpower/utc_time.hpp"
#include "neuralpower/version.hpp"

namespace np {
namespace {

double feature_of(const LayerMeasurement& m, const std::string& name) {
  const auto it = m.features.find(name);
  if (it == m.features.end()) {
    throw Error("a " + std::string(to_string(m.kind)) + " row (config " + m.config +
                ") has no value for feature '" + name + "'");
  }
  return it->second;
}

std::vector<std::string> power_feature_names(const std::vector<std::string>& base) {
  std::vector<std::string> names = base;
  for (const auto& n : base) names.push_back("log2_" + n);
  return names;
}

TargetModel summarise(const ModelSelection& selection, std::vector<std::string> feature_names) {
  const TreatmentResult& best = selection.best();
  TargetModel t;
  t.model = best.model;
  t.lambda = best.lambda;
  t.cv_rmse = best.cv_rmse;
  t.cv_rmspe = best.cv_rmspe;
  t.rows = selection.rows;
  t.feature_names = std::move(feature_names);
  for (const auto& d : best.degrees) {
    t.by_degree.push_back({d.degree, d.cv_rmse, d.cv_rmspe, d.nonzero_terms, d.lambda});
  }
  for (const auto& tr : selection.treatments) {
    t.treatments.push_back({tr.treatment, tr.cv_rmse, tr.cv_rmspe});
  }
  return t;
}

void set_ranges(TargetModel& t, const RowMatrix& base_features, const RowMatrix& special) {
  for (Eigen::Index c = 0; c < base_features.cols(); ++c) {
    t.feature_ranges.push_back({base_features.col(c).minCoeff(), base_features.col(c).maxCoeff()});
  }
  for (Eigen::Index c = 0; c < special.cols(); ++c) {
    t.special_ranges.push_back({special.col(c).minCoeff(), special.col(c).maxCoeff()});
  }
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The runtime rows of one kind in the form the candidates need.
struct KindRows {
  TrainingData data;                    // x_T, specials, runtime
  std::vector<double> flops, elements;  // the roofline's inputs per row
  std::vector<std::string> network;     // source network per row ("" for random rows)
};

double polynomial_estimate(const PolynomialModel& model, bool log_inputs, const TrainingData& data,
                           Eigen::Index r) {
  std::vector<double> x(data.features.row(r).data(),
                        data.features.row(r).data() + data.features.cols());
  std::vector<double> sp(data.special.row(r).data(),
                         data.special.row(r).data() + data.special.cols());
  if (log_inputs) {
    for (double& v : x) v = log_feature(v);
    for (double& v : sp) v = log_feature(v);
  }
  return model.predict(x, sp);
}

TrainingData subset(const TrainingData& data, const std::vector<Eigen::Index>& rows) {
  TrainingData out;
  out.features = data.features(rows, Eigen::all);
  out.special = data.special(rows, Eigen::all);
  out.target = data.target(rows);
  return out;
}

template <typename T>
std::vector<T> pick(const std::vector<T>& v, const std::vector<Eigen::Index>& rows) {
  std::vector<T> out;
  for (Eigen::Index r : rows) out.push_back(v[static_cast<size_t>(r)]);
  return out;
}

// A candidate form: fits on a subset of rows and predicts rows of the kind.
struct Candidate {
  std::string name;
  // Fits on `train` rows, returns the predictions for `test` rows.
  std::function<std::vector<double>(const std::vector<Eigen::Index>& train,
                                    const std::vector<Eigen::Index>& test)>
      fit_predict;
};

// Held-out predictions of every row, fold by fold (K-fold CV of single rows).
std::vector<double> kfold_predictions(const Candidate& c, size_t n, int folds, std::uint64_t seed) {
  const int k = std::min<int>(folds, static_cast<int>(n));
  const std::vector<int> fold = assign_folds(n, k, seed);
  std::vector<double> predicted(n, kNaN);
  for (int f = 0; f < k; ++f) {
    std::vector<Eigen::Index> train, test;
    for (size_t i = 0; i < n; ++i) {
      (fold[i] == f ? test : train).push_back(static_cast<Eigen::Index>(i));
    }
    const std::vector<double> p = c.fit_predict(train, test);
    for (size_t i = 0; i < test.size(); ++i) predicted[static_cast<size_t>(test[i])] = p[i];
  }
  return predicted;
}

double rmspe(const std::vector<double>& predicted, const Eigen::VectorXd& y) {
  double sum = 0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    const double e =
        (predicted[i] - y(static_cast<Eigen::Index>(i))) / y(static_cast<Eigen::Index>(i));
    sum += std::isfinite(e) ? e * e : 1e6;
  }
  return 100.0 * std::sqrt(sum / static_cast<double>(predicted.size()));
}

// Leave-one-network-out: for each source network, fit on every other row (random rows always
// stay in) and compare the summed predictions of its rows with their summed times. Returns the
// RMS over networks of the relative error, percent; NaN with fewer than 2 networks.
// NaN (no network error: the caller falls back to K-fold) when fewer than two networks name
// rows, or when holding one out leaves fewer rows than a model needs (`min_train_rows`).
double network_error(const Candidate& c, const KindRows& rows, size_t min_train_rows) {
  std::set<std::string> networks;
  for (const auto& n : rows.network) {
    if (!n.empty()) networks.insert(n);
  }
  if (networks.size() < 2) return kNaN;
  std::vector<std::pair<std::vector<Eigen::Index>, std::vector<Eigen::Index>>> splits;
  for (const auto& held : networks) {
    std::vector<Eigen::Index> train, test;
    for (size_t i = 0; i < rows.network.size(); ++i) {
      (rows.network[i] == held ? test : train).push_back(static_cast<Eigen::Index>(i));
    }
    if (train.size() < min_train_rows) return kNaN;
    splits.emplace_back(std::move(train), std::move(test));
  }
  double sum = 0;
  for (const auto& [train, test] : splits) {
    const std::vector<double> p = c.fit_predict(train, test);
    double predicted = 0, measured = 0;
    for (size_t i = 0; i < test.size(); ++i) {
      predicted += p[i];
      measured += rows.data.target(test[i]);
    }
    const double e = (predicted - measured) / measured;
    sum += std::isfinite(e) ? e * e : 1e6;
  }
  return 100.0 * std::sqrt(sum / static_cast<double>(networks.size()));
}

std::string polynomial_name(const TargetModel& t) {
  return "polynomial (" +
         (t.log_inputs ? std::string("log-log") : std::string(to_string(t.model.treatment))) +
         ", K=" + std::to_string(t.model.degree) + ")";
}

// The runtime candidates of a kind: the selected polynomial (refitted with its treatment and
// degree on each training subset), the roofline, and the roofline with a Lasso correction. The form
// with the lower leave-one-network- out error of summed layers is kept; without source networks,
// the lower K-fold CV RMSPE.
void choose_runtime_form(LayerKind kind, const std::vector<const LayerMeasurement*>& of_kind,
                         const TrainingData& data, const TrainOptions& options,
                         const SelectionOptions& selection, TargetModel& runtime) {
  KindRows rows;
  rows.data = data;
  for (Eigen::Index r = 0; r < data.special.rows(); ++r) {
    const WorkAndTraffic w =
        work_and_traffic(kind, std::span<const double>(data.special.row(r).data(),
                                                       static_cast<size_t>(data.special.cols())));
    rows.flops.push_back(w.flops);
    rows.elements.push_back(w.elements);
    rows.network.push_back(of_kind[static_cast<size_t>(r)]->source_network);
  }
  const std::vector<double> y(data.target.data(), data.target.data() + data.target.size());
  const bool has_work =
      std::any_of(rows.flops.begin(), rows.flops.end(), [](double f) { return f > 0; }) ||
      std::any_of(rows.elements.begin(), rows.elements.end(), [](double b) { return b > 0; });
  if (!has_work) return;
  runtime.bounds = runtime_bounds(rows.flops, rows.elements, y);

  const bool log_inputs = runtime.log_inputs;
  const TargetTreatment treatment = runtime.model.treatment;
  SelectionOptions refit = selection;
  refit.max_degree = runtime.model.degree;
  const Candidate polynomial{polynomial_name(runtime), [&](const std::vector<Eigen::Index>& train,
                                                           const std::vector<Eigen::Index>& test) {
                               TrainingData fit = subset(data, train);
                               if (log_inputs) {
                                 fit.features = fit.features.unaryExpr(&log_feature);
                                 fit.special = fit.special.unaryExpr(&log_feature);
                               }
                               const ModelSelection s = select_model(fit, treatment, refit);
                               std::vector<double> out;
                               for (Eigen::Index r : test)
                                 out.push_back(polynomial_estimate(s.model(), log_inputs, data, r));
                               return out;
                             }};
  const Candidate roofline{
      "roofline",
      [&](const std::vector<Eigen::Index>& train, const std::vector<Eigen::Index>& test) {
        const RooflineFit fit =
            fit_roofline(pick(rows.flops, train), pick(rows.elements, train), pick(y, train));
        std::vector<double> out;
        for (Eigen::Index r : test) {
          out.push_back(fit.model.predict(rows.flops[static_cast<size_t>(r)],
                                          rows.elements[static_cast<size_t>(r)]));
        }
        return out;
      }};

  // Roofline × exp(Lasso polynomial over log2 features): the correction is the log treatment
  // on y / roofline with log inputs, λ and its degree (≤ 2) by the Lasso's own CV.
  SelectionOptions correction_options = selection;
  correction_options.max_degree = std::min(2, selection.max_degree);
  auto correction_fit = [&](const std::vector<Eigen::Index>& train, const Roofline& roof) {
    TrainingData fit = subset(data, train);
    for (Eigen::Index i = 0; i < fit.target.size(); ++i) {
      const auto r = static_cast<size_t>(train[static_cast<size_t>(i)]);
      fit.target(i) /= roof.predict(rows.flops[r], rows.elements[r]);
    }
    fit.features = fit.features.unaryExpr(&log_feature);
    fit.special = fit.special.unaryExpr(&log_feature);
    return select_model(fit, TargetTreatment::log, correction_options);
  };
  const Candidate corrected{
      "roofline + Lasso correction",
      [&](const std::vector<Eigen::Index>& train, const std::vector<Eigen::Index>& test) {
        const Roofline roof =
            fit_roofline(pick(rows.flops, train), pick(rows.elements, train), pick(y, train)).model;
        const ModelSelection correction = correction_fit(train, roof);
        std::vector<double> out;
        for (Eigen::Index r : test) {
          const auto k = static_cast<size_t>(r);
          out.push_back(roof.predict(rows.flops[k], rows.elements[k]) *
                        polynomial_estimate(correction.model(), true, data, r));
        }
        return out;
      }};

  const size_t min_train_rows = std::max<size_t>(2, options.min_rows);
  std::vector<CandidateSummary> summaries{
      {polynomial.name, runtime.cv_rmspe, network_error(polynomial, rows, min_train_rows), false}};
  std::vector<std::vector<double>> held_out(3);
  for (const Candidate* c : {&roofline, &corrected}) {
    held_out[summaries.size()] = kfold_predictions(*c, y.size(), options.folds, options.seed);
    summaries.push_back({c->name, rmspe(held_out[summaries.size()], data.target),
                         network_error(*c, rows, min_train_rows), false});
  }
  bool by_networks = true;
  for (const auto& c : summaries) by_networks = by_networks && std::isfinite(c.network_error);
  runtime.selected_by = by_networks ? "leave-one-network-out" : "k-fold";
  size_t best = 0;
  for (size_t i = 1; i < summaries.size(); ++i) {
    const double a = by_networks ? summaries[i].network_error : summaries[i].cv_rmspe;
    const double b = by_networks ? summaries[best].network_error : summaries[best].cv_rmspe;
    if (a < b) best = i;
  }
  summaries[best].chosen = true;
  runtime.candidates = summaries;
  if (best == 0) return;
  runtime.form = best == 1 ? ModelForm::roofline : ModelForm::roofline_corrected;
  runtime.roofline = fit_roofline(rows.flops, rows.elements, y).model;
  if (best == 2) {
    std::vector<Eigen::Index> all(y.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<Eigen::Index>(i);
    const ModelSelection correction = correction_fit(all, runtime.roofline);
    const std::vector<std::string> names = runtime.feature_names;
    const std::vector<Range> ranges = runtime.feature_ranges, special = runtime.special_ranges;
    const std::optional<RuntimeBounds> bounds = runtime.bounds;
    const std::string selected_by = runtime.selected_by;
    runtime = summarise(correction, names);
    runtime.log_inputs = true;
    runtime.feature_ranges = ranges;
    runtime.special_ranges = special;
    runtime.bounds = bounds;
    runtime.selected_by = selected_by;
    runtime.candidates = summaries;
    runtime.form = ModelForm::roofline_corrected;
    runtime.roofline = fit_roofline(rows.flops, rows.elements, y).model;
  }
  runtime.cv_rmspe = summaries[best].cv_rmspe;
  double squared = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    squared += (held_out[best][i] - y[i]) * (held_out[best][i] - y[i]);
  }
  runtime.cv_rmse = std::sqrt(squared / static_cast<double>(y.size()));
}

}  // namespace

ModelFile train_models(const std::vector<LayerMeasurement>& rows,
                       const std::vector<std::string>& dataset_names, const TrainOptions& options,
                       TrainReport& report) {
  if (rows.empty()) throw Error("no measured rows to train on");
  const Platform& platform = rows.front().platform;
  for (const auto& m : rows) {
    if (m.platform.device != platform.device || m.platform.backend != platform.backend ||
        m.platform.dtype != platform.dtype) {
      throw Error("rows from different platforms: '" + platform.device + "' (" + platform.backend +
                  ", " + platform.dtype + ") and '" + m.platform.device + "' (" +
                  m.platform.backend + ", " + m.platform.dtype + "); train one model per platform");
    }
  }

  ModelFile file;
  file.platform = platform;
  file.created = utc_now_iso8601();
  file.tool_version = std::string(kVersion);
  file.datasets = dataset_names;
  file.max_degree = options.max_degree;
  file.folds = options.folds;

  SelectionOptions selection;
  selection.max_degree = options.max_degree;
  selection.folds = options.folds;
  selection.seed = options.seed;

  const std::vector<LayerKind> kinds = options.kinds.empty() ? modelled_kinds() : options.kinds;
  for (LayerKind kind : kinds) {
    const FeatureSpec& spec = feature_spec(kind);
    std::vector<const LayerMeasurement*> of_kind;
    for (const auto& m : rows) {
      if (m.kind == kind && m.runtime_ms && *m.runtime_ms > 0) of_kind.push_back(&m);
    }
    const std::string name(to_string(kind));
    if (of_kind.size() < options.min_rows) {
      report.notes.push_back(name + ": " + std::to_string(of_kind.size()) + " rows, fewer than " +
                             std::to_string(options.min_rows) + ": no model");
      continue;
    }
    KindModel k;
    k.kind = kind;
    k.features = spec.features;
    k.specials = spec.specials;

    auto build = [&](const std::vector<const LayerMeasurement*>& use, bool for_power) {
      TrainingData data;
      const auto d = static_cast<Eigen::Index>(spec.features.size());
      const auto s = static_cast<Eigen::Index>(spec.specials.size());
      const auto n = static_cast<Eigen::Index>(use.size());
      RowMatrix base(n, d);
      data.special.resize(n, s);
      data.target.resize(n);
      for (Eigen::Index r = 0; r < n; ++r) {
        const LayerMeasurement& m = *use[static_cast<size_t>(r)];
        for (Eigen::Index c = 0; c < d; ++c) {
          base(r, c) = feature_of(m, spec.features[static_cast<size_t>(c)]);
        }
        for (Eigen::Index c = 0; c < s; ++c) {
          data.special(r, c) = feature_of(m, spec.specials[static_cast<size_t>(c)]);
        }
        data.target(r) = for_power ? *m.power_w : *m.runtime_ms;
      }
      if (for_power) {
        data.features.resize(n, 2 * d);
        for (Eigen::Index r = 0; r < n; ++r) {
          const auto x =
              power_features(std::span<const double>(base.row(r).data(), static_cast<size_t>(d)));
          for (Eigen::Index c = 0; c < 2 * d; ++c) data.features(r, c) = x[static_cast<size_t>(c)];
        }
      } else {
        data.features = base;
      }
      return std::pair{std::move(data), std::move(base)};
    };

    try {
      auto [runtime_data, runtime_base] = build(of_kind, false);
      const ModelSelection runtime = select_model(runtime_data, options.treatments, selection);
      k.runtime = summarise(runtime, spec.features);
      if (options.try_log_log) {
        TrainingData logged = runtime_data;
        logged.features = runtime_data.features.unaryExpr(&log_feature);
        logged.special = runtime_data.special.unaryExpr(&log_feature);
        const ModelSelection log_log = select_model(logged, TargetTreatment::log, selection);
        if (log_log.best().cv_rmspe < k.runtime->cv_rmspe) {
          TargetModel chosen = summarise(log_log, spec.features);
          chosen.treatments.insert(chosen.treatments.begin(), k.runtime->treatments.begin(),
                                   k.runtime->treatments.end());
          chosen.log_inputs = true;
          k.runtime = std::move(chosen);
        } else {
          k.runtime->treatments.push_back(
              {TargetTreatment::log, log_log.best().cv_rmse, log_log.best().cv_rmspe});
        }
      }
      set_ranges(*k.runtime, runtime_base, runtime_data.special);
      choose_runtime_form(kind, of_kind, runtime_data, options, selection, *k.runtime);

      std::vector<const LayerMeasurement*> with_power;
      for (const auto* m : of_kind) {
        if (m->power_w && *m->power_w > 0) with_power.push_back(m);
      }
      if (with_power.size() >= options.min_rows) {
        auto [power_data, power_base] = build(with_power, true);
        SelectionOptions power_selection = selection;
        power_selection.max_degree = options.power_max_degree;
        const ModelSelection power = select_model(power_data, options.treatments, power_selection);
        k.power = summarise(power, power_feature_names(spec.features));
        set_ranges(*k.power, power_base, power_data.special);
      } else {
        report.notes.push_back(name + ": " + std::to_string(with_power.size()) +
                               " rows with power: no power model (runtime only)");
      }
    } catch (...) {
      rethrow_with_context("training the " + name + " model");
    }
    file.kinds[kind] = std::move(k);
  }
  if (file.kinds.empty()) throw Error("no layer kind had enough rows to train a model");
  return file;
}

}  // namespace np
