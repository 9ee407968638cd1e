#include "neuralpower/epr_report.hpp"

#include <sstream>

#include "neuralpower/json.hpp"

namespace np {
namespace {

using json::Json;

std::string alpha_label(double alpha) {
  std::ostringstream text;
  text << alpha;
  return text.str();
}

std::string epr_json(const std::vector<EprCandidate>& candidates,
                     const std::vector<EprScore>& scores) {
  Json doc;
  std::vector<double> alphas;
  for (const auto& s : scores) alphas.push_back(s.alpha);
  doc["alphas"] = alphas;
  doc["candidates"] = Json::array();
  for (size_t i = 0; i < candidates.size(); ++i) {
    Json m, rank;
    for (const auto& s : scores) {
      m[alpha_label(s.alpha)] = s.m[i];
      rank[alpha_label(s.alpha)] = s.ranks[i];
    }
    doc["candidates"].push_back({{"name", candidates[i].name},
                                 {"error", candidates[i].error},
                                 {"epi_mj", candidates[i].epi_mj},
                                 {"m", m},
                                 {"rank", rank}});
  }
  Json best;
  for (const auto& s : scores) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (s.ranks[i] == 1) best[alpha_label(s.alpha)] = candidates[i].name;
    }
  }
  doc["best"] = best;
  return doc.dump(2) + "\n";
}

}  // namespace

std::string epr_report(const std::vector<EprCandidate>& candidates,
                       const std::vector<EprScore>& scores, OutputFormat format,
                       const EprReportOptions& options) {
  if (format == OutputFormat::json) return epr_json(candidates, scores);
  std::vector<Column> columns{{"network"}, {"error", Align::right}, {"EPI (mJ)", Align::right}};
  for (const auto& s : scores) columns.push_back({"M alpha=" + alpha_label(s.alpha), Align::right});
  Table table(columns);
  for (size_t i = 0; i < candidates.size(); ++i) {
    std::vector<std::string> row{candidates[i].name, fixed(100 * candidates[i].error, 2) + "%",
                                 fixed(candidates[i].epi_mj, 1)};
    for (const auto& s : scores) {
      row.push_back(fixed(s.m[i], options.decimals) + (s.ranks[i] == 1 ? " *" : "  "));
    }
    table.add_row(row);
  }
  if (format == OutputFormat::table) {
    return table.to_text() + "M = Error^alpha x EPI (paper eq. 9); * marks the best per alpha\n";
  }
  return render(table, format);
}

}  // namespace np
