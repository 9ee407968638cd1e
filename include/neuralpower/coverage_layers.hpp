#pragma once
// Configurations that the training networks and the random ranges leave out but real networks
// have (docs/profiling.md, "Coverage configurations"): fully connected layers written as
// convolutions on 1x1 and 5x5-7x7 maps (AlexNet-v2, Overfeat), large kernels on tiny maps,
// fc, softmax and layernorm over many or long rows (ConvNeXt-like channels-last blocks,
// attention), and concatenations of many operands (DenseNet-like blocks). None is a layer of
// a held-out network: the shapes are near theirs, not theirs.
#include <vector>

#include "neuralpower/network.hpp"

namespace np {

// Every coverage configuration as a one-layer network, in a fixed order (make_plan caps and
// orders them with the rest of the plan).
std::vector<Network> coverage_layers(DataType dtype);

}  // namespace np
