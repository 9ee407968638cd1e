#pragma once
// Analytical costs of a layer: what it computes and what it moves, independent of hardware.
// Conventions (docs/costs.md): a multiply-add counts 2 FLOPs; bytes are of the network's
// data type; weights are read once per layer execution; zero-cost kinds cost nothing.
#include <cstdint>

#include "neuralpower/network.hpp"

namespace np {

struct LayerCost {
  int64_t flops = 0;
  int64_t macs = 0;    // multiply-adds of conv and fc (0 for other kinds)
  int64_t params = 0;  // elements of the weight tensors the layer reads (bn statistics included)
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;
  int64_t bytes() const { return bytes_read + bytes_written; }
};

// Requires shapes inferred. Throws np::Error on overflow.
LayerCost layer_cost(const Network& net, int id);

// Weight and bias elements a conv with input `x` reads, whether counted as its parameters or
// shared with an earlier layer.
int64_t conv_weight_elements(const ConvAttrs& attrs, const Shape& x);

struct NetworkCost {
  LayerCost total;
  int64_t layers = 0;  // input layers excluded
};
NetworkCost network_cost(const Network& net);

}  // namespace np
