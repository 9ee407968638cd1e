#pragma once
// The one list of single-layer test cases every backend runs (ggml's test-backend-ops): every
// layer kind with the shapes and attributes that take a backend down its different paths
// (padding, groups, dilation, ceil mode, broadcasting, constant operands, ranks 2 to 5). Each
// backend's suite instantiates its tests over layer_cases() and compares with the naive
// reference of reference_ops.hpp.
#include <ostream>
#include <string>
#include <vector>

#include "neuralpower/layer.hpp"

namespace np::test {

inline Layer make_layer(const std::string& name, LayerKind kind, LayerAttrs attrs,
                        std::vector<int> inputs = {}) {
  return {name, kind, std::string(to_string(kind)), std::move(inputs), std::move(attrs), {}};
}

struct LayerCase {
  std::string name;
  Layer layer;
  std::vector<Shape> inputs;  // full shapes, batch first
};

// "conv3x3_pad1: conv in 2x5x9x9": what a failing test prints as its parameter.
void PrintTo(const LayerCase& c, std::ostream* out);

const std::vector<LayerCase>& layer_cases();

// A convolution with a square kernel, stride and symmetric padding.
ConvAttrs conv_attrs(int64_t out, int64_t kernel, int64_t stride, int64_t pad, int64_t groups = 1);

}  // namespace np::test
