#pragma once
// The --batch and --input-shape options, applied the same way by every JSON reader.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/import_options.hpp"
#include "neuralpower/network.hpp"

namespace np::json {

struct InputDecl {
  std::string name;
  Shape sample_shape;  // batch excluded
};

// Replaces the sample shapes of the inputs named in options.input_shapes (or of the only input,
// for options.input_shape) and returns the batch: options.batch if set, else dim 0 of the
// override shapes (which must agree), else file_batch. Throws np::Error on an override that
// names no input, on input_shape with several inputs, and on a non-positive batch.
int64_t apply_input_overrides(std::vector<InputDecl>& inputs, int64_t file_batch,
                              const ImportOptions& options);

}  // namespace np::json
