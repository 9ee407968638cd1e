#pragma once
// The seed every random choice (plan order, random layers, cross-validation folds) starts from
// unless a command is given another: the same plan and the same folds on every machine.
#include <cstdint>

namespace np {

inline constexpr std::uint64_t kDefaultSeed = 20170711;

}  // namespace np
