#pragma once
// Checked int64 arithmetic for shapes and costs: a malformed or absurd network must fail with
// a message, never wrap around into a negative FLOP count.
#include <cstdint>
#include <string>
#include <vector>

#include "neuralpower/error.hpp"

namespace np {

// Largest tensor the tool accepts: 2^38 elements (1 TiB in fp32), far above any GPU's memory,
// and small enough that every cost formula over such tensors stays inside int64.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 38;

inline int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) {
    throw Error(std::string("integer overflow computing ") + what + " (" + std::to_string(a) +
                " * " + std::to_string(b) + ")");
  }
  return r;
}

inline int64_t checked_add(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    throw Error(std::string("integer overflow computing ") + what + " (" + std::to_string(a) +
                " + " + std::to_string(b) + ")");
  }
  return r;
}

}  // namespace np
