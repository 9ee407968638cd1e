#include "neuralpower/train.hpp"

#include <algorithm>
#include <cmath>

#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
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
