#include "neuralpower/shape.hpp"

#include <charconv>

#include "neuralpower/checked.hpp"
#include "neuralpower/error.hpp"

namespace np {

int64_t element_count(const Shape& shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d <= 0) throw Error("shape " + shape_to_string(shape) + " has a non-positive dim");
    if (count > kMaxTensorElements / d) {
      throw Error("tensor of shape " + shape_to_string(shape) +
                  " is too large (more than 2^38 elements)");
    }
    count *= d;
  }
  return count;
}

std::string shape_to_string(const Shape& shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) text += 'x';
    text += std::to_string(shape[i]);
  }
  return text.empty() ? "scalar" : text;
}

Shape parse_shape(const std::string& text) {
  Shape shape;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find_first_of("x,", pos);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(pos, end - pos);
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size()) {
      throw Error("bad shape '" + text + "': '" + part + "' is not an integer");
    }
    if (value <= 0) throw Error("bad shape '" + text + "': dims must be positive");
    shape.push_back(value);
    pos = end + 1;
  }
  return shape;
}

}  // namespace np
