// Quick per-kind models and the choice of the next configurations where they err most.
#include "neuralpower/adaptive_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "neuralpower/features.hpp"

namespace np {
namespace {

using Matrix = std::vector<std::vector<double>>;

// Solves A b = y for a symmetric positive definite A (Cholesky); A is overwritten.
std::vector<double> solve_spd(Matrix a, std::vector<double> y) {
  const size_t n = y.size();
  for (size_t j = 0; j < n; ++j) {
    double d = a[j][j];
    for (size_t k = 0; k < j; ++k) d -= a[j][k] * a[j][k];
    d = std::sqrt(std::max(d, 1e-12));
    a[j][j] = d;
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i][j];
      for (size_t k = 0; k < j; ++k) s -= a[i][k] * a[j][k];
      a[i][j] = s / d;
    }
  }
  for (size_t i = 0; i < n; ++i) {  // L z = y
    for (size_t k = 0; k < i; ++k) y[i] -= a[i][k] * y[k];
    y[i] /= a[i][i];
  }
  for (size_t i = n; i-- > 0;) {  // L^T b = z
    for (size_t k = i + 1; k < n; ++k) y[i] -= a[k][i] * y[k];
    y[i] /= a[i][i];
  }
  return y;
}

// Ridge regression on [1, z, z^2] of the standardised features ([1, z] for few rows).
class QuickModel {
 public:
  void fit(const std::vector<const std::vector<double>*>& x, const std::vector<double>& y) {
    const size_t d = x.front()->size();
    mean_.assign(d, 0);
    scale_.assign(d, 0);
    for (const auto* row : x) {
      for (size_t j = 0; j < d; ++j) mean_[j] += (*row)[j];
    }
    for (double& m : mean_) m /= static_cast<double>(x.size());
    for (const auto* row : x) {
      for (size_t j = 0; j < d; ++j) scale_[j] += std::pow((*row)[j] - mean_[j], 2);
    }
    for (double& s : scale_) {
      s = std::sqrt(s / static_cast<double>(x.size()));
      if (s < 1e-9) s = 0;  // a constant feature contributes nothing
    }
    // Squares only with at least two rows per coefficient: fewer rows would be overfitted,
    // and their held-out error would say more about the fit than about the data.
    quadratic_ = x.size() >= 2 * (1 + 2 * d);
    const size_t p = quadratic_ ? 1 + 2 * d : 1 + d;
    Matrix a(p, std::vector<double>(p, 0));
    std::vector<double> b(p, 0);
    for (size_t r = 0; r < x.size(); ++r) {
      const std::vector<double> phi = basis(*x[r]);
      for (size_t i = 0; i < p; ++i) {
        b[i] += phi[i] * y[r];
        for (size_t j = 0; j < p; ++j) a[i][j] += phi[i] * phi[j];
      }
    }
    const double ridge = 1e-2 * static_cast<double>(x.size()) / static_cast<double>(p);
    for (size_t i = 1; i < p; ++i) a[i][i] += ridge;
    a[0][0] += 1e-9;
    beta_ = solve_spd(std::move(a), std::move(b));
  }

  double predict(const std::vector<double>& x) const {
    const std::vector<double> phi = basis(x);
    return std::inner_product(phi.begin(), phi.end(), beta_.begin(), 0.0);
  }

 private:
  std::vector<double> basis(const std::vector<double>& x) const {
    std::vector<double> phi{1.0};
    for (size_t j = 0; j < x.size(); ++j) {
      const double z = scale_[j] > 0 ? (x[j] - mean_[j]) / scale_[j] : 0.0;
      phi.push_back(z);
      if (quadratic_) phi.push_back(z * z);
    }
    return phi;
  }

  bool quadratic_ = true;
  std::vector<double> mean_, scale_, beta_;
};

struct KindRows {
  std::vector<size_t> rows;  // indices into the measured rows
  std::vector<std::vector<double>> x;
};

std::map<LayerKind, KindRows> by_kind(const std::vector<LayerMeasurement>& rows) {
  std::map<LayerKind, KindRows> kinds;
  for (size_t i = 0; i < rows.size(); ++i) {
    const LayerMeasurement& m = rows[i];
    if (m.failed || !m.runtime_ms || !(*m.runtime_ms > 0) || !is_modelled_kind(m.kind)) continue;
    KindRows& k = kinds[m.kind];
    k.rows.push_back(i);
    k.x.push_back(quick_features(m.kind, m.features));
  }
  return kinds;
}

// Per kind, the range of each feature over the given points: distances are over it.
struct Ranges {
  std::vector<double> low, span;
  void include(const std::vector<double>& x) {
    if (low.empty()) {
      low = x;
      span.assign(x.size(), 0);
      high_ = x;
      return;
    }
    for (size_t j = 0; j < x.size(); ++j) {
      low[j] = std::min(low[j], x[j]);
      high_[j] = std::max(high_[j], x[j]);
      span[j] = high_[j] - low[j];
    }
  }
  double distance2(const std::vector<double>& a, const std::vector<double>& b) const {
    double d = 0;
    for (size_t j = 0; j < a.size(); ++j) {
      if (span[j] <= 0) continue;
      d += std::pow((a[j] - b[j]) / span[j], 2);
    }
    return d;
  }

 private:
  std::vector<double> high_;
};

}  // namespace

std::vector<double> quick_features(LayerKind kind, const std::map<std::string, double>& features) {
  const FeatureSpec& spec = feature_spec(kind);
  std::vector<double> x;
  for (const auto* names : {&spec.features, &spec.specials}) {
    for (const auto& name : *names) {
      const auto it = features.find(name);
      x.push_back(it == features.end() ? 0.0 : log_feature(it->second));
    }
  }
  return x;
}

namespace {

// The held-out errors as quick_model_errors gives them (%), and as |log(predicted/measured)|,
// which is symmetric: an under-prediction of 8 times is a relative error of only 87.5%.
std::vector<double> held_out_errors(const std::vector<LayerMeasurement>& rows,
                                    const AdaptiveOptions& options,
                                    std::vector<QuickModelError>* per_kind,
                                    std::vector<double>* log_errors) {
  std::vector<double> errors(rows.size(), std::numeric_limits<double>::quiet_NaN());
  if (log_errors) log_errors->assign(rows.size(), std::numeric_limits<double>::quiet_NaN());
  if (per_kind) per_kind->clear();
  for (const auto& [kind, k] : by_kind(rows)) {
    QuickModelError summary;
    summary.kind = kind;
    summary.rows = k.rows.size();
    if (k.rows.size() >= std::max<size_t>(options.min_rows, 2)) {
      const size_t folds = std::clamp<size_t>(static_cast<size_t>(options.folds), 2, k.rows.size());
      double squares = 0;
      for (size_t fold = 0; fold < folds; ++fold) {
        std::vector<const std::vector<double>*> x;
        std::vector<double> y;
        for (size_t i = 0; i < k.rows.size(); ++i) {
          if (i % folds == fold) continue;
          x.push_back(&k.x[i]);
          y.push_back(std::log(*rows[k.rows[i]].runtime_ms));
        }
        QuickModel model;
        model.fit(x, y);
        for (size_t i = fold; i < k.rows.size(); i += folds) {
          const double measured = *rows[k.rows[i]].runtime_ms;
          const double log_predicted = std::clamp(model.predict(k.x[i]), -50.0, 50.0);
          const double error = 100.0 * std::abs(std::exp(log_predicted) / measured - 1.0);
          errors[k.rows[i]] = error;
          if (log_errors) (*log_errors)[k.rows[i]] = std::abs(log_predicted - std::log(measured));
          squares += error * error;
        }
      }
      summary.rmspe_pct = std::sqrt(squares / static_cast<double>(k.rows.size()));
    }
    if (per_kind) per_kind->push_back(summary);
  }
  return errors;
}

}  // namespace

std::vector<double> quick_model_errors(const std::vector<LayerMeasurement>& rows,
                                       const AdaptiveOptions& options,
                                       std::vector<QuickModelError>* per_kind) {
  return held_out_errors(rows, options, per_kind, nullptr);
}

constexpr size_t kErrorNeighbours = 3;

std::vector<size_t> choose_adaptive(const std::vector<LayerMeasurement>& measured,
                                    const std::vector<AdaptiveCandidate>& candidates, size_t count,
                                    const AdaptiveOptions& options,
                                    std::vector<QuickModelError>* per_kind) {
  std::vector<QuickModelError> kinds_error;
  std::vector<double> errors;
  held_out_errors(measured, options, &kinds_error, &errors);
  if (per_kind) *per_kind = kinds_error;
  std::map<LayerKind, double> rmspe;
  for (const auto& k : kinds_error) rmspe[k.kind] = k.rmspe_pct;

  std::map<LayerKind, std::vector<size_t>> open;  // candidates per kind, in their order
  for (size_t i = 0; i < candidates.size(); ++i) open[candidates[i].kind].push_back(i);
  if (open.empty() || count == 0) return {};

  // The round shared in proportion to each kind's error (largest remainders), never more than
  // a kind has candidates; what a kind cannot take goes to the others.
  std::map<LayerKind, size_t> quota;
  size_t left = std::min(count, candidates.size());
  while (left > 0) {
    double total = 0;
    for (const auto& [kind, list] : open) {
      if (list.size() > quota[kind]) total += rmspe.count(kind) ? std::max(rmspe[kind], 1.0) : 100;
    }
    if (total <= 0) break;
    std::vector<std::pair<double, LayerKind>> remainders;
    size_t given = 0;
    for (const auto& [kind, list] : open) {
      if (list.size() <= quota[kind]) continue;
      const double weight = rmspe.count(kind) ? std::max(rmspe[kind], 1.0) : 100;
      const double share = static_cast<double>(left) * weight / total;
      const size_t whole =
          std::min(static_cast<size_t>(std::floor(share)), list.size() - quota[kind]);
      quota[kind] += whole;
      given += whole;
      remainders.emplace_back(share - std::floor(share), kind);
    }
    std::sort(remainders.begin(), remainders.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [fraction, kind] : remainders) {
      if (given >= left) break;
      if (open[kind].size() > quota[kind]) {
        ++quota[kind];
        ++given;
      }
    }
    if (given == 0) break;
    left -= given;
  }

  std::vector<size_t> chosen;
  const std::map<LayerKind, KindRows> rows_of = by_kind(measured);
  for (const auto& [kind, list] : open) {
    const size_t want = quota[kind];
    if (want == 0) continue;
    const auto it = rows_of.find(kind);
    const bool modelled = it != rows_of.end() && rmspe.count(kind) &&
                          it->second.rows.size() >= std::max<size_t>(options.min_rows, 2);
    if (!modelled) {
      chosen.insert(chosen.end(), list.begin(), list.begin() + static_cast<std::ptrdiff_t>(want));
      continue;
    }
    const KindRows& k = it->second;
    Ranges ranges;
    for (const auto& x : k.x) ranges.include(x);
    for (size_t c : list) ranges.include(candidates[c].x);
    // Where the error is, as nn-Meter looks for it: near the measured rows the quick model
    // misses most. A candidate scores the mean held-out log error of its nearest measured rows
    // (a local average: a bump in one feature stays a bump, where a smooth fit of the errors
    // over all features spreads it out); the highest are taken, none within kMinSeparation of
    // one already taken while others remain.
    const size_t neighbours = std::min<size_t>(kErrorNeighbours, k.rows.size());
    std::vector<std::pair<double, size_t>> scored;
    std::vector<std::pair<double, size_t>> nearest(k.rows.size());
    for (size_t j = 0; j < list.size(); ++j) {
      for (size_t i = 0; i < k.rows.size(); ++i) {
        nearest[i] = {ranges.distance2(k.x[i], candidates[list[j]].x), i};
      }
      std::partial_sort(nearest.begin(), nearest.begin() + static_cast<std::ptrdiff_t>(neighbours),
                        nearest.end());
      double sum = 0;
      for (size_t n = 0; n < neighbours; ++n) sum += errors[k.rows[nearest[n].second]];
      scored.emplace_back(sum / static_cast<double>(neighbours), j);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    constexpr double kMinSeparation2 = 0.05 * 0.05;
    std::vector<bool> taken(list.size(), false);
    std::vector<size_t> picked;
    for (int relaxed = 0; relaxed < 2 && picked.size() < want; ++relaxed) {
      for (const auto& [score, j] : scored) {
        if (picked.size() >= want) break;
        if (taken[j]) continue;
        const bool crowded =
            relaxed == 0 && std::any_of(picked.begin(), picked.end(), [&](size_t p) {
              return ranges.distance2(candidates[list[p]].x, candidates[list[j]].x) <
                     kMinSeparation2;
            });
        if (crowded) continue;
        taken[j] = true;
        picked.push_back(j);
      }
    }
    for (size_t j : picked) chosen.push_back(list[j]);
  }
  return chosen;
}

}  // namespace np
