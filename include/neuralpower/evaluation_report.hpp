#pragma once
// `neuralpower evaluate`: the paper's Tables 4-6 and the accuracy over the networks, with the
// per-layer comparison of Figures 4-5 on request.
#include <string>

#include "neuralpower/evaluate.hpp"
#include "neuralpower/table.hpp"

namespace np {

// json: the stable machine interface (docs/cli.md), every layer included; table and markdown:
// one table per target and the accuracy summary, then one per network with `per_layer`.
// Several tables fit no single CSV shape: the command offers no csv.
std::string evaluation_report(const Evaluation& evaluation, const std::string& model_path,
                              bool per_layer, OutputFormat format);

}  // namespace np
