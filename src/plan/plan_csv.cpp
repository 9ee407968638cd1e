// The plan as dataset-CSV rows for profilers outside this tool (tools/torch_profile.py), so
// that features keep one definition: named_features() here.
#include <charconv>
#include <map>

#include "neuralpower/plan_csv.hpp"

#include "neuralpower/csv.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/utc_time.hpp"
#include "neuralpower/version.hpp"

namespace np {
namespace {

// The dataset writer's number format (shortest round trip), so a copied cell is the same text.
std::string number(double v) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::string();
}

std::string planned_row(const LayerConfig& c, const std::string& date) {
  const std::map<std::string, double> features = named_features(c.net, c.layer_id());
  std::string line;
  for (const std::string& column : dataset_columns()) {
    std::string cell;
    if (column == "kind") {
      cell = std::string(to_string(c.kind));
    } else if (column == "config") {
      cell = c.config;
    } else if (column == "source_network") {
      cell = c.source_network;
    } else if (column == "source_layer") {
      cell = c.source_layer;
    } else if (column.starts_with("f_")) {
      const auto it = features.find(column.substr(2));
      if (it != features.end()) cell = number(it->second);
    } else if (column == "status") {
      cell = "planned";
    } else if (column == "dtype") {
      cell = std::string(to_string(c.net.dtype()));
    } else if (column == "tool_version") {
      cell = std::string(kVersion);
    } else if (column == "date") {
      cell = date;
    }
    line += (line.empty() ? "" : ",") + csv_cell(cell);
  }
  return line + "\n";
}

}  // namespace

std::string plan_dataset_csv(const std::vector<LayerConfig>& plan) {
  const std::string date = utc_now_iso8601();
  std::string text = dataset_header();
  for (const auto& c : plan) text += planned_row(c, date);
  return text;
}

}  // namespace np
