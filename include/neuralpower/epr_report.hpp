#pragma once
// `neuralpower epr`: candidates ranked by Energy-Precision Ratio per alpha (paper Table 7).
#include <string>
#include <vector>

#include "neuralpower/epr.hpp"
#include "neuralpower/table.hpp"

namespace np {

struct EprReportOptions {
  int decimals = 3;  // of M in tables
};

std::string epr_report(const std::vector<EprCandidate>& candidates,
                       const std::vector<EprScore>& scores, OutputFormat format,
                       const EprReportOptions& options = {});

}  // namespace np
