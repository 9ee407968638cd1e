// The space-filling plan order, the coverage grids and adaptive sampling's choice: what a run
// cut short by its budget still covers, and where adaptive rounds go.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "neuralpower/adaptive_sampling.hpp"
#include "neuralpower/config_text.hpp"
#include "neuralpower/coverage_layers.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/sampling_plan.hpp"

namespace np {
namespace {

PlanOptions mixed_plan() {
  PlanOptions o;
  o.kind = PlanKind::both;
  o.networks = {"lenet",     "alexnet-2012",      "resnet18", "mobilenet_v3_small",
                "googlenet", "shufflenet_v2_x1_0"};
  o.batches = {1, 4, 16, 64};
  o.random_count = 400;
  o.max_flops = int64_t{20'000'000'000};
  return o;
}

std::map<LayerKind, size_t> kinds_in(const std::vector<LayerConfig>& configs, size_t prefix) {
  std::map<LayerKind, size_t> count;
  for (size_t i = 0; i < std::min(prefix, configs.size()); ++i) ++count[configs[i].kind];
  return count;
}

TEST(PlanOrder, EveryKindGetsItsFirstRoundBeforeAnyKindGetsMore) {
  const Plan plan = make_plan(mixed_plan());
  const std::map<LayerKind, size_t> all = kinds_in(plan.configs, plan.configs.size());
  size_t first_round = 0;
  for (const auto& [kind, n] : all) first_round += std::min(n, kFirstRound);
  const std::map<LayerKind, size_t> prefix = kinds_in(plan.configs, first_round);
  for (const auto& [kind, n] : all) {
    EXPECT_EQ(prefix.at(kind), std::min(n, kFirstRound)) << to_string(kind);
  }
  EXPECT_GE(all.size(), 14u);  // every modelled kind is in this plan
}

TEST(PlanOrder, AKindsFirstConfigurationsSpanTheRangeOfEachFeature) {
  // The first tenth of a kind's configurations reach most of the kind's range in every
  // feature; a shuffled order's first tenth does not, for some kind and feature.
  auto worst_reach = [](const Plan& plan) {
    std::map<LayerKind, std::vector<std::vector<double>>> points;
    for (const auto& c : plan.configs) {
      if (!is_modelled_kind(c.kind)) continue;
      points[c.kind].push_back(quick_features(c.kind, named_features(c.net, c.layer_id())));
    }
    double worst = 1;
    for (const auto& [kind, p] : points) {
      if (p.size() < 80) continue;
      const size_t head = p.size() / 10;
      for (size_t j = 0; j < p[0].size(); ++j) {
        double lo = p[0][j], hi = p[0][j], hlo = p[0][j], hhi = p[0][j];
        for (size_t i = 0; i < p.size(); ++i) {
          lo = std::min(lo, p[i][j]);
          hi = std::max(hi, p[i][j]);
          if (i < head) {
            hlo = std::min(hlo, p[i][j]);
            hhi = std::max(hhi, p[i][j]);
          }
        }
        if (hi - lo > 1) worst = std::min(worst, (hhi - hlo) / (hi - lo));
      }
    }
    return worst;
  };
  PlanOptions o = mixed_plan();
  const double space_filling = worst_reach(make_plan(o));
  o.order = PlanOrder::shuffled;
  const double shuffled = worst_reach(make_plan(o));
  EXPECT_GE(space_filling, 0.8);
  EXPECT_LT(shuffled, space_filling);
}

TEST(PlanOrder, TheOrderKeepsEveryConfigurationOnce) {
  PlanOptions o = mixed_plan();
  const Plan ordered = make_plan(o);
  o.order = PlanOrder::shuffled;
  const Plan shuffled = make_plan(o);
  std::multiset<std::string> a, b;
  for (const auto& c : ordered.configs) a.insert(c.config);
  for (const auto& c : shuffled.configs) b.insert(c.config);
  EXPECT_EQ(a, b);
  EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), a.size());
  EXPECT_EQ(plan_order_from_string(to_string(PlanOrder::space_filling)), PlanOrder::space_filling);
  EXPECT_THROW(plan_order_from_string("random"), Error);
}

TEST(PlanOrder, TheReadmeBudgetGivesEveryKindOfItsNetworksAModel) {
  // README: `profile layers --backend cpu --budget-seconds 600`, then train and predict nin
  // and resnet50. Train models a kind from 10 rows; the default plan's first round gives every
  // kind kFirstRound configurations within its first 14 x kFirstRound = 168 (docs/profiling.md
  // has the run that measured them within the budget).
  PlanOptions o;
  o.max_flops = int64_t{20'000'000'000};  // the CPU backend's default cap
  const Plan plan = make_plan(o);
  std::set<LayerKind> kinds;
  for (const char* name : {"nin", "resnet50"}) {
    const Network net = load_network(name, ImportOptions{});
    for (const auto& layer : net.layers()) {
      if (is_modelled_kind(layer.kind)) kinds.insert(layer.kind);
    }
  }
  EXPECT_GE(kinds.size(), 6u);
  const std::map<LayerKind, size_t> prefix = kinds_in(plan.configs, 14 * kFirstRound);
  for (LayerKind kind : kinds) {
    EXPECT_GE(prefix.count(kind) ? prefix.at(kind) : 0, 10u) << to_string(kind);
  }
}

TEST(CoverageLayers, FillTheGapsTheIssueNames) {
  int fc_as_conv_1x1 = 0, fc_as_conv_5x5 = 0, kernel_over_map = 0, long_fc_rows = 0,
      long_softmax_rows = 0, long_layernorm_rows = 0, many_operands = 0;
  for (const Network& one : coverage_layers(DataType::fp32)) {
    const int id = one.size() - 1;
    const Layer& layer = one.layer(id);
    const Shape& in = one.layer(layer.inputs[0]).output_shape;
    const auto f = named_features(one, id);
    switch (layer.kind) {
      case LayerKind::conv: {
        const auto& a = std::get<ConvAttrs>(layer.attrs);
        if (in[2] == 1 && a.kernel_h == 1) ++fc_as_conv_1x1;
        if (in[2] == 5 && a.kernel_h == 5 && f.at("out_height") == 1) ++fc_as_conv_5x5;
        if (a.kernel_h > in[2]) ++kernel_over_map;
        break;
      }
      case LayerKind::fc:
        if (f.at("batch") >= 3136) ++long_fc_rows;
        break;
      case LayerKind::softmax:
        if (f.at("rows") >= 4096) ++long_softmax_rows;
        break;
      case LayerKind::layernorm:
        if (f.at("rows") >= 3136) ++long_layernorm_rows;
        break;
      case LayerKind::concat:
        if (f.at("operands") >= 24) ++many_operands;
        break;
      default:
        break;
    }
  }
  EXPECT_GT(fc_as_conv_1x1, 0);
  EXPECT_GT(fc_as_conv_5x5, 0);
  EXPECT_GT(kernel_over_map, 0);
  EXPECT_GT(long_fc_rows, 0);
  EXPECT_GT(long_softmax_rows, 0);
  EXPECT_GT(long_layernorm_rows, 0);
  EXPECT_GT(many_operands, 0);
}

TEST(CoverageLayers, NoneIsALayerOfAHeldOutNetwork) {
  std::set<std::string> coverage;
  for (const Network& one : coverage_layers(DataType::fp32)) coverage.insert(config_text(one));
  PlanOptions o;
  o.kind = PlanKind::nets;
  o.include_test_networks = true;
  o.networks = paper_test_networks();
  for (const auto& n : modern_held_out_networks()) o.networks.push_back(n);
  o.batches = {1, 2, 4, 8, 16, 64};
  o.max_tensor_bytes = 0;
  for (const auto& c : make_plan(o).configs) EXPECT_EQ(coverage.count(c.config), 0u) << c.config;
}

// Rows of one kind whose runtime follows a power law of the FLOPs, but 8 times slower where
// the kernel is 5: the quick model cannot follow the bump, so its error is highest there.
std::vector<LayerMeasurement> bumpy_rows(const std::vector<LayerConfig>& configs) {
  std::vector<LayerMeasurement> rows;
  for (const auto& c : configs) {
    LayerMeasurement m;
    m.kind = c.kind;
    m.config = c.config;
    m.features = named_features(c.net, c.layer_id());
    const double kernel = m.features.at("kernel_h");
    m.runtime_ms = 1e-6 * std::pow(m.features.at("flops"), 0.9) * (kernel == 5 ? 8.0 : 1.0);
    rows.push_back(std::move(m));
  }
  return rows;
}

TEST(AdaptiveSampling, TheNextRoundGoesWhereTheQuickModelErrs) {
  PlanOptions o;
  o.kind = PlanKind::random;
  o.coverage = false;
  o.random_count = 3000;
  std::vector<LayerConfig> convs;
  for (auto& c : make_plan(o).configs) {
    if (c.kind == LayerKind::conv) convs.push_back(std::move(c));
  }
  ASSERT_GT(convs.size(), 600u);
  const std::vector<LayerConfig> measured(convs.begin(), convs.begin() + 200);
  const std::vector<LayerMeasurement> rows = bumpy_rows(measured);
  std::vector<AdaptiveCandidate> candidates;
  size_t pool_k5 = 0;
  for (size_t i = 200; i < convs.size(); ++i) {
    const auto f = named_features(convs[i].net, convs[i].layer_id());
    candidates.push_back({LayerKind::conv, quick_features(LayerKind::conv, f)});
    pool_k5 += f.at("kernel_h") == 5 ? 1 : 0;
  }
  AdaptiveOptions options;
  std::vector<QuickModelError> errors;
  const std::vector<size_t> picks = choose_adaptive(rows, candidates, 60, options, &errors);
  ASSERT_EQ(picks.size(), 60u);
  EXPECT_EQ(std::set<size_t>(picks.begin(), picks.end()).size(), picks.size());
  size_t picked_k5 = 0;
  for (size_t p : picks) {
    picked_k5 += named_features(convs[200 + p].net, convs[200 + p].layer_id()).at("kernel_h") == 5;
  }
  const double pool_share = static_cast<double>(pool_k5) / static_cast<double>(candidates.size());
  const double picked_share = static_cast<double>(picked_k5) / static_cast<double>(picks.size());
  EXPECT_GT(picked_share, 2 * pool_share) << picked_k5 << " of " << picks.size() << " picked, "
                                          << pool_k5 << " of " << candidates.size() << " pooled";
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rows, 200u);
  EXPECT_GT(errors[0].rmspe_pct, 20);
}

TEST(AdaptiveSampling, ARoundIsSharedByErrorAndKindsWithoutAModelComeFirst) {
  // conv rows a power law (the quick model fits), pool rows a bump, fc too few for a model.
  PlanOptions o;
  o.kind = PlanKind::random;
  o.coverage = false;
  o.random_count = 3000;
  const Plan plan = make_plan(o);
  std::vector<LayerMeasurement> rows;
  std::vector<AdaptiveCandidate> candidates;
  std::map<LayerKind, int> measured;
  for (const auto& c : plan.configs) {
    if (c.kind != LayerKind::conv && c.kind != LayerKind::pool && c.kind != LayerKind::fc) continue;
    const auto f = named_features(c.net, c.layer_id());
    const size_t wanted = c.kind == LayerKind::fc ? 4 : 150;
    if (static_cast<size_t>(measured[c.kind]) < wanted) {
      ++measured[c.kind];
      LayerMeasurement m;
      m.kind = c.kind;
      m.features = f;
      const double x = c.kind == LayerKind::conv ? f.at("flops") : f.at("input_elements");
      const bool bump =
          c.kind == LayerKind::pool && f.at("in_height") > 20 && f.at("in_height") < 60;
      m.runtime_ms = 1e-6 * std::pow(x, 0.9) * (bump ? 6.0 : 1.0);
      rows.push_back(std::move(m));
    } else {
      candidates.push_back({c.kind, quick_features(c.kind, f)});
    }
  }
  std::vector<QuickModelError> errors;
  const std::vector<size_t> picks =
      choose_adaptive(rows, candidates, 40, AdaptiveOptions{}, &errors);
  std::map<LayerKind, int> picked;
  for (size_t p : picks) ++picked[candidates[p].kind];
  EXPECT_GT(picked[LayerKind::pool], picked[LayerKind::conv]);
  EXPECT_GT(picked[LayerKind::fc], 0);  // no model yet: counts as the worst
}

}  // namespace
}  // namespace np
