#include "net/json/input_overrides.hpp"

#include "neuralpower/error.hpp"

namespace np::json {
namespace {

std::string input_names(const std::vector<InputDecl>& inputs) {
  std::string names;
  for (const auto& input : inputs) names += (names.empty() ? "'" : ", '") + input.name + "'";
  return names.empty() ? "none" : names;
}

void check_full_shape(const Shape& shape, const std::string& input) {
  if (shape.size() < 2 || shape.size() > 6) {
    throw Error("--input-shape for '" + input + "' must have 2 to 6 dims (batch first), got " +
                shape_to_string(shape));
  }
  for (int64_t d : shape) {
    if (d <= 0) {
      throw Error("--input-shape for '" + input +
                  "' has a non-positive dim: " + shape_to_string(shape));
    }
  }
}

}  // namespace

int64_t apply_input_overrides(std::vector<InputDecl>& inputs, int64_t file_batch,
                              const ImportOptions& options) {
  std::vector<std::pair<std::string, Shape>> overrides(options.input_shapes.begin(),
                                                       options.input_shapes.end());
  if (options.input_shape) {
    if (inputs.size() != 1) {
      throw Error("--input-shape without a name needs a network with one input, this one has " +
                  std::to_string(inputs.size()) + " (" + input_names(inputs) + ")");
    }
    overrides.emplace_back(inputs.front().name, *options.input_shape);
  }
  std::optional<int64_t> override_batch;
  for (const auto& [name, shape] : overrides) {
    check_full_shape(shape, name);
    InputDecl* target = nullptr;
    for (auto& input : inputs) {
      if (input.name == name) target = &input;
    }
    if (!target) {
      throw Error("--input-shape names '" + name +
                  "', which is not an input (inputs: " + input_names(inputs) + ")");
    }
    target->sample_shape.assign(shape.begin() + 1, shape.end());
    if (override_batch && *override_batch != shape[0] && !options.batch) {
      throw Error("--input-shape gives batches " + std::to_string(*override_batch) + " and " +
                  std::to_string(shape[0]) + "; give one batch with --batch");
    }
    override_batch = shape[0];
  }
  const int64_t batch = options.batch ? *options.batch : override_batch.value_or(file_batch);
  if (batch <= 0) throw Error("batch must be positive, got " + std::to_string(batch));
  return batch;
}

}  // namespace np::json
