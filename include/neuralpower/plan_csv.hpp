#pragma once
// The plan as a dataset CSV for profilers outside this tool (tools/torch_profile.py): they
// measure these rows and keep this tool's features, so features keep one definition.
#include <string>
#include <vector>

#include "neuralpower/sampling_plan.hpp"

namespace np {

// The dataset header, then one row per configuration in plan order with kind, config, source
// and every feature as named_features() computes it, status `planned`, dtype, tool_version and
// date; every measurement and platform column empty. train refuses such rows (their status is
// neither ok nor failed), so a plan cannot pass for measurements.
std::string plan_dataset_csv(const std::vector<LayerConfig>& plan);

}  // namespace np
