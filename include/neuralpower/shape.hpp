#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace np {

// Full tensor shape; dimension 0 is always the batch (NCHW for images, [N, ..., C] after a
// transpose). Ranks 1..6 are accepted.
using Shape = std::vector<int64_t>;

// Number of elements; throws if a dim is not positive or the count exceeds kMaxTensorElements.
int64_t element_count(const Shape& shape);

// "128x3x224x224"
std::string shape_to_string(const Shape& shape);

// Parses "1x3x224x224" (also accepts ',' as separator); throws on empty, zero or negative dims.
Shape parse_shape(const std::string& text);

}  // namespace np
