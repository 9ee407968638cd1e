#pragma once
// `profile layers` with power measured in groups (power_window.hpp): a group of layer
// configurations is prepared up front (allocation, algorithm search, graph capture), then the
// device runs them back to back, one aligned window each, with idle power once per group.
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/dataset.hpp"
#include "neuralpower/profile_layers.hpp"

namespace np {

// A row that was not measured: its one-line reason, and no measured value left on it.
void mark_row_failed(LayerMeasurement& m, const std::string& reason);

// The rows of one group, in the group's order. A configuration that cannot be prepared or
// fails while it runs is a failed row; when the power windows fail (the counter stops), the
// rows get their runtime alone and power_status "failed: ..." (measured again on resume).
// Throws Interrupted (no row of the group is kept) and DeviceLost.
std::vector<LayerMeasurement> measure_layer_group(Backend& backend, PowerMeter& meter,
                                                  const std::vector<const LayerConfig*>& group,
                                                  const ProfileLayersOptions& options,
                                                  const Platform& platform, double period_s,
                                                  bool first_group);

}  // namespace np
