#pragma once
// The order in which a plan is measured (docs/profiling.md, "Plan order"), so that a run cut
// short by its budget still covers what it must:
//
//   space-filling  every prefix covers every kind and the range of each of its features: per
//                  kind a farthest-point order in log-feature space (the first configuration
//                  the most central, then each the farthest from all before it), the kinds
//                  taken in turns until each has kFirstRound configurations, then interleaved
//                  by weight (conv the most);
//   shuffled       a seeded shuffle: any prefix is a fair sample of the whole plan.
#include <string_view>
#include <vector>

#include "neuralpower/layer.hpp"

namespace np {

struct LayerConfig;

enum class PlanOrder { space_filling, shuffled };
std::string_view to_string(PlanOrder order);
PlanOrder plan_order_from_string(std::string_view name);  // throws np::Error naming the text

// Configurations each kind gets before any kind gets more: a model needs rows of every kind
// (train's minimum is 10).
inline constexpr size_t kFirstRound = 12;
// The share of the prefix a kind takes after the first round (relative; kinds not listed 1).
double plan_kind_weight(LayerKind kind);

// Reorders `configs` in place (stable for equal distances: the input order breaks ties).
void space_filling_order(std::vector<LayerConfig>& configs);

}  // namespace np
