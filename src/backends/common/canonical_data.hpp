#pragma once
// The canonical test tensors of one layer, shared by every backend and by the reference
// implementation of the tests, so that outputs can be compared element by element.
//
// Roles (backend.hpp's TensorRole) are assigned in a fixed order; when a group of roles runs
// out, its last role continues as one stream, the next tensor starting where the previous one
// ended:
//   inputs:     input k uses input0..input2 for k < 3; inputs 3, 4, ... share the input3
//               stream (a concat of 30 inputs gets 30 different tensors).
//   parameters: in the order of backend.hpp (conv/fc: weights then bias; bn: scale, shift,
//               mean, variance; layernorm: scale then shift; add/mul/max: the constant operands
//               in order) the first uses `weight`, the second `bias`, the rest share the `aux`
//               stream. bn variance is 0.5 + |value| so that it stays positive.
#include <cstdint>
#include <string>
#include <vector>

#include "neuralpower/backend.hpp"
#include "neuralpower/network.hpp"

namespace np {

struct CanonicalTensor {
  std::string name;  // "weight", "bias", "scale", "shift", "mean", "variance", "constant0", ...
  Shape shape;
  TensorRole role = TensorRole::weight;
  int64_t offset = 0;     // index of the first element in the role's stream
  bool variance = false;  // values are 0.5 + |test_value|
  std::vector<float> values() const;
};

// Input k of a layer whose inputs have the given shapes.
std::vector<CanonicalTensor> canonical_inputs(const std::vector<Shape>& input_shapes);
// The tensors a layer reads besides its inputs, in the order above; empty for kinds without.
std::vector<CanonicalTensor> canonical_parameters(const Layer& layer,
                                                  const std::vector<Shape>& input_shapes);
// The data of a layer whose output is data, not computed, as a network run starts from it:
// input layer k (counting input layers in order) holds canonical input k of the network's
// input shapes; an `unknown` layer holds canonical input 0 of its own shape.
CanonicalTensor canonical_layer_data(const Network& net, int layer_id);
// The shapes of a layer's inputs in `net`; throws np::Error naming the layer when the id is
// out of range, shapes were not inferred, or the layer's own output shape disagrees with its
// attributes (a hand-edited network), so backends can trust every shape they are given.
std::vector<Shape> checked_input_shapes(const Network& net, int layer_id);

}  // namespace np
