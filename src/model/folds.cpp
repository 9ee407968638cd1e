#include <limits>
#include <numeric>
#include <random>

#include "neuralpower/error.hpp"
#include "neuralpower/model_selection.hpp"

namespace np {
namespace {

// Uniform in [0, bound) by rejection, so the shuffle is unbiased and depends only on the
// generator's (standardised) output sequence.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t reject_from = kMax - kMax % bound;
  std::uint64_t draw = rng();
  while (draw >= reject_from) draw = rng();
  return draw % bound;
}

}  // namespace

std::vector<int> assign_folds(std::size_t rows, int folds, std::uint64_t seed) {
  if (folds < 2) {
    throw Error("cross-validation: need at least 2 folds, got " + std::to_string(folds));
  }
  if (static_cast<std::size_t>(folds) > rows) {
    throw Error("cross-validation: " + std::to_string(folds) + " folds for only " +
                std::to_string(rows) + " rows");
  }
  std::vector<std::size_t> order(rows);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  for (std::size_t i = rows; i-- > 1;) {
    std::swap(order[i], order[uniform_below(rng, i + 1)]);
  }
  std::vector<int> fold(rows);
  for (std::size_t position = 0; position < rows; ++position) {
    fold[order[position]] = static_cast<int>(position % static_cast<std::size_t>(folds));
  }
  return fold;
}

}  // namespace np
