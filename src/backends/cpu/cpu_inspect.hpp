#pragma once
// Test access to a network prepared by the cpu backend (not part of the backend interface).
#include <vector>

#include "neuralpower/backend.hpp"

namespace np::cpu {

// The output of layer `layer_id` as the last run left it, in canonical order. Valid for
// layers whose buffer no later layer reuses: the network's outputs (layers nobody reads).
// Throws np::Error for a network not prepared by the cpu backend or a bad id.
std::vector<float> network_layer_output(PreparedNetwork& prepared, int layer_id);

}  // namespace np::cpu
