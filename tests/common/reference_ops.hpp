#pragma once
// Straightforward reference implementations of every IR layer kind (naive loops, double
// accumulation, no device library), to check backends element by element on the canonical
// test data of backends/common/canonical_data.hpp. Semantics follow PyTorch/ONNX: pooling
// windows and divisors as torch.nn.*Pool2d (ceil mode, count_include_pad), LRN as ONNX
// (odd sizes), GELU with erf, hard-sigmoid max(0, min(1, alpha x + beta)), hard-swish
// x * relu6(x + 3) / 6, numpy broadcasting for add/mul/max.
#include <cstdint>
#include <string>
#include <vector>

#include "neuralpower/network.hpp"

namespace np::test {

struct RefTensor {
  Shape shape;
  std::vector<float> values;  // row-major in the shape's dim order
};

// The layer's output from its inputs and parameters (canonical order: see
// canonical_parameters). Throws np::Error for kinds with no computed output (input, unknown).
std::vector<float> reference_forward(const Layer& layer, const std::vector<RefTensor>& inputs,
                                     const std::vector<RefTensor>& parameters,
                                     const Shape& output_shape);

// The output of layer `layer_id` of `net` for the canonical inputs and parameters: what a
// backend's PreparedLayer::output() must return. Input and unknown layers give their
// canonical data (canonical_layer_data: what a network run starts from).
std::vector<float> reference_layer_output(const Network& net, int layer_id);

struct Comparison {
  bool ok = true;
  int64_t worst_index = -1;  // the element furthest outside (or nearest to) its tolerance
  double got = 0, expected = 0, tolerance = 0;
  std::string message;  // "element 12: got 0.5, expected 0.49, tolerance 1e-4" or size mismatch
};

// Element-wise check |got - expected| <= relative_tolerance * (|expected| + rms(expected)):
// relative to each value, with the tensor's RMS as the floor so that elements that are
// sums cancelling to nearly zero are judged against the scale of the sum's terms.
Comparison compare_outputs(const std::vector<float>& got, const std::vector<float>& expected,
                           double relative_tolerance);

}  // namespace np::test
