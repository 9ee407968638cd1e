#include <cstdint>

#include "neuralpower/backend.hpp"

namespace np {

float test_value(TensorRole role, int64_t index) {
  // SplitMix64 of (role, index): cheap, stateless and identical on every backend and device.
  uint64_t z = static_cast<uint64_t>(role) * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(index);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<double>(z >> 40) / static_cast<double>(1ull << 24) * 2.0 -
                            1.0);
}

}  // namespace np
