#pragma once
// Energy-Precision Ratio (paper section 4.3, eq. 9): M = Error^alpha * EPI, where Error is the
// classification error as a fraction and EPI the energy per classified item. A lower M is a
// better trade-off; a larger alpha weighs accuracy more.
#include <string>
#include <vector>

namespace np {

struct EprCandidate {
  std::string name;
  double error = 0;   // fraction in [0, 1]
  double epi_mj = 0;  // energy per item, mJ
};

struct EprScore {
  double alpha = 1;
  std::vector<double> m;   // per candidate, in input order
  std::vector<int> ranks;  // 1 = best (lowest M), per candidate
};

struct EprOptions {
  std::vector<double> alphas{1, 2, 3, 4};
};

std::vector<EprScore> energy_precision_ratio(const std::vector<EprCandidate>& candidates,
                                             const std::vector<double>& alphas);

// "7.3%" -> 0.073; "0.073" -> 0.073; a bare number above 1 is an error (ambiguous).
double parse_error_rate(const std::string& text);

// CSV with header name,error,epi_mj (columns in any order).
std::vector<EprCandidate> read_epr_csv(const std::string& text, const std::string& display_name);

}  // namespace np
