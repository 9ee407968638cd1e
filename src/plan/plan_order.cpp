// Farthest-point order per kind in log-feature space, kinds interleaved by weight.
#include "neuralpower/plan_order.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "neuralpower/adaptive_sampling.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/sampling_plan.hpp"

namespace np {
namespace {

// Indices of `points` in farthest-point order over the points' per-feature ranges.
std::vector<size_t> farthest_point_order(const std::vector<std::vector<double>>& points) {
  const size_t n = points.size();
  if (n == 0) return {};
  const size_t d = points[0].size();
  std::vector<double> low(d, std::numeric_limits<double>::infinity());
  std::vector<double> high(d, -std::numeric_limits<double>::infinity());
  for (const auto& p : points) {
    for (size_t j = 0; j < d; ++j) {
      low[j] = std::min(low[j], p[j]);
      high[j] = std::max(high[j], p[j]);
    }
  }
  // Row-major n x d, each feature scaled to [0, 1] over the kind's range.
  std::vector<double> z(n * d, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      const double span = high[j] - low[j];
      z[i * d + j] = span > 0 ? (points[i][j] - low[j]) / span : 0;
    }
  }
  auto distance2 = [&](size_t a, size_t b) {
    double s = 0;
    for (size_t j = 0; j < d; ++j)
      s += (z[a * d + j] - z[b * d + j]) * (z[a * d + j] - z[b * d + j]);
    return s;
  };
  // The most central point first: nearest to the per-feature medians.
  std::vector<double> centre(d);
  std::vector<double> column(n);
  for (size_t j = 0; j < d; ++j) {
    for (size_t i = 0; i < n; ++i) column[i] = z[i * d + j];
    std::nth_element(column.begin(), column.begin() + static_cast<std::ptrdiff_t>(n / 2),
                     column.end());
    centre[j] = column[n / 2];
  }
  size_t first = 0;
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < d; ++j) s += (z[i * d + j] - centre[j]) * (z[i * d + j] - centre[j]);
    if (s < best) {
      best = s;
      first = i;
    }
  }
  std::vector<size_t> order{first};
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  std::vector<bool> taken(n, false);
  taken[first] = true;
  size_t last = first;
  while (order.size() < n) {
    size_t next = n;
    double farthest = -1;
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      nearest[i] = std::min(nearest[i], distance2(i, last));
      if (nearest[i] > farthest) {
        farthest = nearest[i];
        next = i;
      }
    }
    taken[next] = true;
    order.push_back(next);
    last = next;
  }
  return order;
}

}  // namespace

std::string_view to_string(PlanOrder order) {
  switch (order) {
    case PlanOrder::space_filling:
      return "space-filling";
    case PlanOrder::shuffled:
      return "shuffled";
  }
  return "?";
}

PlanOrder plan_order_from_string(std::string_view name) {
  if (name == "space-filling") return PlanOrder::space_filling;
  if (name == "shuffled") return PlanOrder::shuffled;
  throw Error("unknown plan order '" + std::string(name) + "' (space-filling or shuffled)");
}

double plan_kind_weight(LayerKind kind) {
  switch (kind) {
    case LayerKind::conv:
      return 8;
    case LayerKind::fc:
    case LayerKind::pool:
      return 3;
    case LayerKind::act:
    case LayerKind::bn:
    case LayerKind::add:
    case LayerKind::concat:
      return 2;
    default:
      return 1;
  }
}

void space_filling_order(std::vector<LayerConfig>& configs) {
  // Per kind, in the order kinds first appear.
  std::vector<LayerKind> kinds;
  std::map<LayerKind, std::vector<size_t>> members;
  for (size_t i = 0; i < configs.size(); ++i) {
    const LayerKind kind = configs[i].kind;
    if (!members.count(kind)) kinds.push_back(kind);
    members[kind].push_back(i);
  }
  std::map<LayerKind, std::vector<size_t>> queue;  // indices into configs, in order
  for (LayerKind kind : kinds) {
    const std::vector<size_t>& of_kind = members[kind];
    if (!is_modelled_kind(kind)) {
      queue[kind] = of_kind;
      continue;
    }
    std::vector<std::vector<double>> points;
    points.reserve(of_kind.size());
    for (size_t i : of_kind) {
      const LayerConfig& c = configs[i];
      points.push_back(quick_features(kind, named_features(c.net, c.layer_id())));
    }
    for (size_t k : farthest_point_order(points)) queue[kind].push_back(of_kind[k]);
  }

  std::vector<size_t> order;
  order.reserve(configs.size());
  std::map<LayerKind, size_t> next;
  // The first round: the kinds in turns.
  for (size_t round = 0; round < kFirstRound; ++round) {
    for (LayerKind kind : kinds) {
      if (next[kind] < queue[kind].size()) order.push_back(queue[kind][next[kind]++]);
    }
  }
  // Then smooth weighted round-robin over the kinds that have configurations left.
  std::map<LayerKind, double> credit;
  for (;;) {
    double total = 0;
    LayerKind pick = kinds.empty() ? LayerKind::conv : kinds.front();
    double best = -std::numeric_limits<double>::infinity();
    bool any = false;
    for (LayerKind kind : kinds) {
      if (next[kind] >= queue[kind].size()) continue;
      any = true;
      const double w = plan_kind_weight(kind);
      credit[kind] += w;
      total += w;
      if (credit[kind] > best) {
        best = credit[kind];
        pick = kind;
      }
    }
    if (!any) break;
    credit[pick] -= total;
    order.push_back(queue[pick][next[pick]++]);
  }

  std::vector<LayerConfig> ordered;
  ordered.reserve(configs.size());
  for (size_t i : order) ordered.push_back(std::move(configs[i]));
  configs = std::move(ordered);
}

}  // namespace np
