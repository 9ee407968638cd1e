#pragma once
// Constants of our JSON network format (docs/network-format.md) shared by reader and writer,
// so that a default the writer leaves out is the default the reader puts back.
#include <cstdint>
#include <string_view>

#include "neuralpower/layer.hpp"

namespace np::json {

inline constexpr std::string_view kFormatName = "neuralpower-network";
inline constexpr int64_t kFormatVersion = 1;

inline constexpr int64_t kDefaultBatch = 1;
inline constexpr int64_t kDefaultConcatAxis = ConcatAttrs{}.axis;
inline constexpr int64_t kDefaultSoftmaxAxis = SoftmaxAttrs{}.axis;
inline constexpr int64_t kDefaultSliceStep = SliceAttrs{}.step;

inline const BnAttrs kDefaultBn{};
inline const LrnAttrs kDefaultLrn{};
inline const LayerNormAttrs kDefaultLayerNorm{};

}  // namespace np::json
