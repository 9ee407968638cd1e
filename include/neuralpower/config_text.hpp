#pragma once
// One layer of a network as its own one-layer network, and that network's canonical text: the
// identity of a layer configuration in plans and datasets (the `config` column, the resume key).
#include <string>

#include "neuralpower/network.hpp"

namespace np {

// The one-layer network of layer `id` of `net`: an input layer per distinct input (named x0,
// x1, ...) with that input's sample shape, then the layer itself (named after its kind), at
// the network's batch and data type. Its features equal those of the layer in `net`.
Network extract_layer(const Network& net, int id);

// A one-layer network built from scratch: an input layer per sample shape (x0, x1, ...), then
// one layer of `kind` with `attrs` reading all of them, shapes inferred (np::Error when they
// are inconsistent). For configurations that come from no network: coverage grids, the
// reference layers of a measurement run.
Network one_layer_network(const std::string& name, int64_t batch, DataType dtype,
                          const std::vector<Shape>& input_sample_shapes, LayerKind kind,
                          LayerAttrs attrs);

// Canonical text of the last layer of a one-layer network: kind, input shapes (batch
// included), attributes and data type, e.g.
//   "conv in=8x3x224x224 out=64 k=11x11 s=4x4 p=2,2,2,2 d=1x1 g=1 bias=1 fp32".
// Layer names and source op names do not enter it, so the same layer from two networks (or
// drawn at random) has the same text.
std::string config_text(const Network& one_layer_net);

}  // namespace np
