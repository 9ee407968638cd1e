#pragma once
// Shape and window values of the JSON network formats (ours and Paleo's), read with the
// bounds the IR's arithmetic needs.
#include <cstdint>
#include <string_view>

#include "neuralpower/json.hpp"
#include "neuralpower/shape.hpp"

namespace np::json {

// Upper bound for kernel, stride, dilation and padding values: far above any real window, and
// low enough that the IR's window arithmetic (dilation * (kernel - 1), extent + pads) cannot
// overflow int64.
inline constexpr int64_t kMaxWindowValue = (int64_t{1} << 31) - 1;

// Throws "key 'kernel' is too large: ..." above kMaxWindowValue; returns the value.
int64_t check_window_value(int64_t value, std::string_view key);

// A list of 1 to max_rank positive dims; with allow_inferred, one dim may be -1. A sample
// shape (batch excluded) has at most 5 dims, since a full shape has at most 6.
Shape to_dims(const Json& value, std::string_view key, size_t max_rank, bool allow_inferred);
inline Shape to_sample_shape(const Json& value, std::string_view key, bool allow_inferred = false) {
  return to_dims(value, key, 5, allow_inferred);
}

}  // namespace np::json
