#pragma once
// Random one-layer networks for the `random` sampling plan (docs/profiling.md lists the ranges).
#include <cstdint>
#include <random>

#include "neuralpower/network.hpp"

namespace np {

// Random one-layer networks from realistic ranges per kind (docs/profiling.md lists them):
// deterministic for a seed, neither de-duplicated nor capped (make_plan does that). Kinds are
// drawn with fixed weights, conv the most frequent.
class RandomLayerSampler {
 public:
  RandomLayerSampler(uint64_t seed, DataType dtype);
  Network next();  // a valid network with shapes inferred

 private:
  std::mt19937_64 engine_;
  DataType dtype_;
  int64_t drawn_ = 0;
};

}  // namespace np
