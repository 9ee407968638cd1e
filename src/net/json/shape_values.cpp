#include "net/json/shape_values.hpp"

namespace np::json {

int64_t check_window_value(int64_t value, std::string_view key) {
  if (value > kMaxWindowValue) {
    throw Error("key '" + std::string(key) + "' is too large: " + std::to_string(value) +
                " (at most " + std::to_string(kMaxWindowValue) + ")");
  }
  return value;
}

Shape to_dims(const Json& value, std::string_view key, size_t max_rank, bool allow_inferred) {
  const Shape dims = to_int_list(value, key);
  const std::string name(key);
  if (dims.empty() || dims.size() > max_rank) {
    throw Error("key '" + name + "' must have 1 to " + std::to_string(max_rank) + " dims, got " +
                brief(value));
  }
  int inferred = 0;
  for (int64_t d : dims) {
    if (allow_inferred && d == -1 && inferred++ == 0) continue;
    if (d <= 0) {
      throw Error("key '" + name + "' has a dim that is not positive" +
                  (allow_inferred ? " (one -1 is allowed)" : "") + ": " + brief(value));
    }
  }
  return dims;
}

}  // namespace np::json
