#pragma once
// Small networks around one layer, for the backend tests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/layer_cases.hpp"
#include "common/reference_ops.hpp"
#include "neuralpower/backend_registry.hpp"
#include "neuralpower/network.hpp"

namespace np::test {

// Where the layer's inputs come from: input layers (plain layout) or 1x1 convolutions of
// them (channels-last layout on the cpu backend), so both input layouts are exercised.
enum class Producer { input, conv };

struct SingleLayerNet {
  Network net;
  int id = -1;  // the layer under test
};

// A network feeding `layer` with inputs of the given full shapes (batch first).
inline SingleLayerNet single_layer_net(Layer layer, const std::vector<Shape>& input_shapes,
                                       Producer producer = Producer::input) {
  const int64_t batch = input_shapes.at(0).at(0);
  SingleLayerNet built{Network("single_" + layer.name, batch), -1};
  layer.inputs.clear();
  for (size_t k = 0; k < input_shapes.size(); ++k) {
    const Shape& shape = input_shapes[k];
    const std::string suffix = std::to_string(k);
    int id = built.net.add(make_layer("data" + suffix, LayerKind::input,
                                      InputAttrs{Shape(shape.begin() + 1, shape.end())}));
    if (producer == Producer::conv) {
      ConvAttrs pointwise;
      pointwise.out_channels = shape.at(1);
      id = built.net.add(make_layer("pointwise" + suffix, LayerKind::conv, pointwise, {id}));
    }
    layer.inputs.push_back(id);
  }
  built.id = built.net.add(std::move(layer));
  built.net.infer_shapes();
  return built;
}

// Prepares the layer, runs it once and compares with the reference.
inline void expect_matches_reference(Backend& backend, const Network& net, int id,
                                     const RunSettings& settings, double tolerance) {
  SCOPED_TRACE("layer '" + net.layer(id).name + "' (" + std::string(to_string(net.layer(id).kind)) +
               ") " + shape_to_string(net.layer(id).output_shape));
  auto prepared = backend.prepare(net, id, settings);
  const std::vector<float> got = prepared->output();
  const std::vector<float> expected = reference_layer_output(net, id);
  const Comparison comparison = compare_outputs(got, expected, tolerance);
  EXPECT_TRUE(comparison.ok) << comparison.message << "; algorithm " << prepared->algorithm();
}

}  // namespace np::test
