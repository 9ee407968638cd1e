#include "neuralpower/epr.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>

#include "neuralpower/csv.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

double parse_number(const std::string& text, const std::string& what) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
      !std::isfinite(value)) {
    throw Error(what + ": '" + text + "' is not a number");
  }
  return value;
}

}  // namespace

double parse_error_rate(const std::string& text) {
  const bool percent = !text.empty() && text.back() == '%';
  const double value = parse_number(percent ? text.substr(0, text.size() - 1) : text, "error rate");
  const double fraction = percent ? value / 100.0 : value;
  if (!percent && value > 1.0) {
    throw Error("error rate " + text + " is above 1: write " + text + "% or a fraction");
  }
  if (fraction < 0.0 || fraction > 1.0) throw Error("error rate " + text + " is outside [0, 1]");
  return fraction;
}

std::vector<EprScore> energy_precision_ratio(const std::vector<EprCandidate>& candidates,
                                             const std::vector<double>& alphas) {
  std::vector<EprScore> scores;
  for (double alpha : alphas) {
    if (!std::isfinite(alpha) || alpha < 0) {
      throw Error("alpha must be a non-negative number, got " + std::to_string(alpha));
    }
    EprScore score;
    score.alpha = alpha;
    for (const auto& c : candidates) score.m.push_back(std::pow(c.error, alpha) * c.epi_mj);
    std::vector<int> order(candidates.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return score.m[static_cast<size_t>(a)] < score.m[static_cast<size_t>(b)];
    });
    score.ranks.resize(candidates.size());
    for (size_t r = 0; r < order.size(); ++r) {
      score.ranks[static_cast<size_t>(order[r])] = static_cast<int>(r) + 1;
    }
    scores.push_back(std::move(score));
  }
  return scores;
}

std::vector<EprCandidate> read_epr_csv(const std::string& text, const std::string& file) {
  CsvReader csv(text, file, "empty file, expected name,error,epi_mj");
  std::map<std::string, size_t> at;
  for (const char* column : {"name", "error", "epi_mj"}) {
    const auto index = csv.column(column);
    if (!index) {
      throw Error(file + ":1: missing column '" + std::string(column) +
                  "' (expected name,error,epi_mj)");
    }
    at[column] = *index;
  }
  std::vector<EprCandidate> candidates;
  while (csv.next()) {
    const auto& cells = csv.cells();
    try {
      EprCandidate c{cells[at["name"]], parse_error_rate(cells[at["error"]]),
                     parse_number(cells[at["epi_mj"]], "column 'epi_mj'")};
      if (c.epi_mj <= 0) throw Error("column 'epi_mj': must be positive");
      candidates.push_back(std::move(c));
    } catch (const Error& e) {
      throw Error(csv.where() + ": " + e.what());
    }
  }
  if (candidates.empty()) throw Error(file + ": no candidates");
  return candidates;
}

}  // namespace np
