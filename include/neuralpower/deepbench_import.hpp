#pragma once
// DeepBench's public cuDNN forward-convolution timings (Baidu Research, Apache-2.0; the
// extracted CSV of ../shared/data/deepbench/) as layer datasets: one per GPU and precision,
// each row a one-layer conv network whose features come from named_features, so the rows are
// exactly what `train` reads from `profile layers`.
#include <string>
#include <vector>

#include "neuralpower/dataset.hpp"

namespace np {

struct DeepBenchSet {
  std::string name;  // "v100-fp32", "p100-fp16", ...
  std::vector<LayerMeasurement> rows;
};

// Sets in the order first seen. Throws np::Error naming the line on a malformed row, an
// unknown precision or a shape the conv cannot take.
std::vector<DeepBenchSet> import_deepbench(const std::string& text, const std::string& name);

}  // namespace np
