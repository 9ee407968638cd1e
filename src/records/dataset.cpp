#include "neuralpower/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "neuralpower/csv.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/text_file.hpp"

namespace np {
namespace {

// Columns before and after the feature columns; the feature columns are
// all_feature_names() prefixed with "f_".
const std::vector<std::string> kLeading{"kind", "config", "source_network", "source_layer"};
const std::vector<std::string> kTrailing{"status",
                                         "failure_reason",
                                         "runtime_ms",
                                         "runtime_spread_pct",
                                         "trials",
                                         "power_w",
                                         "power_spread_pct",
                                         "energy_mj",
                                         "window_s",
                                         "idle_power_w",
                                         "sm_clock_mhz",
                                         "mem_clock_mhz",
                                         "temperature_c",
                                         "power_limit_w",
                                         "throttle_reasons",
                                         "algorithm",
                                         "device",
                                         "backend",
                                         "dtype",
                                         "math_mode",
                                         "driver",
                                         "runtime_version",
                                         "library_version",
                                         "tool_version",
                                         "clocks_locked",
                                         "date"};
// Optional on reading: datasets written before the measurement protocol lack them.
const std::vector<std::string> kProtocol{"placement", "trials_redone", "reference_ms",
                                         "reference_mem_ms", "scheduling"};

std::string number(double v) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::string();
}

std::string optional_number(const std::optional<double>& v) { return v ? number(*v) : ""; }

struct CellReader {
  const CsvReader& csv;

  const std::string& text(size_t column) const { return csv.cells()[column]; }

  std::optional<double> optional_number(size_t column) const {
    const std::string& cell = csv.cells()[column];
    if (cell.empty()) return std::nullopt;
    double value = 0;
    auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (ec != std::errc() || ptr != cell.data() + cell.size() || !std::isfinite(value)) {
      throw Error(csv.where() + ": column '" + csv.header()[column] + "': '" + cell +
                  "' is not a number");
    }
    return value;
  }
};

bool is_protocol_column(const std::string& name) {
  return std::find(kProtocol.begin(), kProtocol.end(), name) != kProtocol.end();
}

}  // namespace

std::string_view to_string(Placement placement) {
  switch (placement) {
    case Placement::isolated:
      return "isolated";
    case Placement::in_network:
      return "in-network";
  }
  return "?";
}

Placement placement_from_string(std::string_view name) {
  if (name == "isolated") return Placement::isolated;
  if (name == "in-network") return Placement::in_network;
  throw Error("unknown placement '" + std::string(name) + "' (isolated or in-network)");
}

const std::vector<std::string>& dataset_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> all = kLeading;
    for (const auto& name : all_feature_names()) all.push_back("f_" + name);
    all.insert(all.end(), kTrailing.begin(), kTrailing.end());
    all.insert(all.end(), kProtocol.begin(), kProtocol.end());
    return all;
  }();
  return columns;
}

const std::vector<std::string>& protocol_columns() { return kProtocol; }

std::string dataset_header() {
  std::string line;
  for (const auto& c : dataset_columns()) line += (line.empty() ? "" : ",") + c;
  return line + "\n";
}

std::string dataset_row(const LayerMeasurement& m) {
  std::vector<std::string> cells{std::string(to_string(m.kind)), m.config, m.source_network,
                                 m.source_layer};
  for (const auto& name : all_feature_names()) {
    const auto it = m.features.find(name);
    cells.push_back(it == m.features.end() ? "" : number(it->second));
  }
  const Platform& p = m.platform;
  const std::vector<std::string> trailing{m.failed ? "failed" : "ok",
                                          m.failure_reason,
                                          optional_number(m.runtime_ms),
                                          optional_number(m.runtime_spread_pct),
                                          std::to_string(m.trials),
                                          optional_number(m.power_w),
                                          optional_number(m.power_spread_pct),
                                          optional_number(m.energy_mj),
                                          optional_number(m.window_s),
                                          optional_number(m.idle_power_w),
                                          optional_number(m.sm_clock_mhz),
                                          optional_number(m.mem_clock_mhz),
                                          optional_number(m.temperature_c),
                                          optional_number(m.power_limit_w),
                                          m.throttle_reasons,
                                          m.algorithm,
                                          p.device,
                                          p.backend,
                                          p.dtype,
                                          p.math_mode,
                                          p.driver,
                                          p.runtime_version,
                                          p.library_version,
                                          p.tool_version,
                                          p.clocks_locked,
                                          m.date,
                                          std::string(to_string(m.placement)),
                                          std::to_string(m.trials_redone),
                                          optional_number(m.reference_ms),
                                          optional_number(m.reference_mem_ms),
                                          m.scheduling};
  cells.insert(cells.end(), trailing.begin(), trailing.end());
  for (const auto& cell : cells) {
    if (cell.find_first_of("\n\r") != std::string::npos) {
      throw Error("dataset cell contains a line break: " + cell);
    }
  }
  return csv_line(cells);
}

Dataset parse_dataset(const std::string& text, const std::string& file) {
  CsvReader csv(text, file, "empty dataset (no header)");
  const std::vector<std::string>& header = csv.header();
  const auto& expected = dataset_columns();
  for (const auto& column : expected) {
    if (is_protocol_column(column)) continue;
    if (std::find(header.begin(), header.end(), column) == header.end()) {
      throw Error(file + ":1: missing column '" + column + "'");
    }
  }
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < header.size(); ++i) {
    if (std::find(expected.begin(), expected.end(), header[i]) == expected.end()) {
      throw Error(file + ":1: unknown column '" + header[i] + "' (wrong header?)");
    }
    if (!at.emplace(header[i], i).second) {
      throw Error(file + ":1: column '" + header[i] + "' appears twice");
    }
  }

  Dataset data;
  while (csv.next(" (a row cut short by an interrupted write?)")) {
    const CellReader r{csv};
    LayerMeasurement m;
    const std::string& status = r.text(at["status"]);
    if (status != "ok" && status != "failed") {
      throw Error(csv.where() + ": column 'status': '" + status + "' is neither ok nor failed");
    }
    if (status == "failed") {
      ++data.failed_rows;
      continue;
    }
    m.kind = layer_kind_from_string(r.text(at["kind"]));
    m.config = r.text(at["config"]);
    m.source_network = r.text(at["source_network"]);
    m.source_layer = r.text(at["source_layer"]);
    for (const auto& name : all_feature_names()) {
      if (auto v = r.optional_number(at["f_" + name])) m.features[name] = *v;
    }
    m.runtime_ms = r.optional_number(at["runtime_ms"]);
    m.runtime_spread_pct = r.optional_number(at["runtime_spread_pct"]);
    m.trials = static_cast<int64_t>(r.optional_number(at["trials"]).value_or(0));
    m.power_w = r.optional_number(at["power_w"]);
    m.power_spread_pct = r.optional_number(at["power_spread_pct"]);
    m.energy_mj = r.optional_number(at["energy_mj"]);
    m.window_s = r.optional_number(at["window_s"]);
    m.idle_power_w = r.optional_number(at["idle_power_w"]);
    m.sm_clock_mhz = r.optional_number(at["sm_clock_mhz"]);
    m.mem_clock_mhz = r.optional_number(at["mem_clock_mhz"]);
    m.temperature_c = r.optional_number(at["temperature_c"]);
    m.power_limit_w = r.optional_number(at["power_limit_w"]);
    m.throttle_reasons = r.text(at["throttle_reasons"]);
    m.algorithm = r.text(at["algorithm"]);
    Platform& p = m.platform;
    p.device = r.text(at["device"]);
    p.backend = r.text(at["backend"]);
    p.dtype = r.text(at["dtype"]);
    p.math_mode = r.text(at["math_mode"]);
    p.driver = r.text(at["driver"]);
    p.runtime_version = r.text(at["runtime_version"]);
    p.library_version = r.text(at["library_version"]);
    p.tool_version = r.text(at["tool_version"]);
    p.clocks_locked = r.text(at["clocks_locked"]);
    m.date = r.text(at["date"]);
    if (at.count("placement") && !r.text(at["placement"]).empty()) {
      try {
        m.placement = placement_from_string(r.text(at["placement"]));
      } catch (const Error& e) {
        throw Error(csv.where() + ": column 'placement': " + e.what());
      }
    }
    if (at.count("trials_redone")) {
      m.trials_redone = static_cast<int64_t>(r.optional_number(at["trials_redone"]).value_or(0));
    }
    if (at.count("reference_ms")) m.reference_ms = r.optional_number(at["reference_ms"]);
    if (at.count("reference_mem_ms")) {
      m.reference_mem_ms = r.optional_number(at["reference_mem_ms"]);
    }
    if (at.count("scheduling")) m.scheduling = r.text(at["scheduling"]);
    if (!m.runtime_ms) {
      throw Error(csv.where() + ": column 'runtime_ms': empty in a row marked ok");
    }
    data.rows.push_back(std::move(m));
  }
  return data;
}

Dataset read_dataset(const std::string& path) {
  return parse_dataset(read_text_file(path, "dataset"), path);
}

Dataset read_datasets(const std::vector<std::string>& paths) {
  Dataset all;
  for (const auto& path : paths) {
    Dataset d = read_dataset(path);
    all.failed_rows += d.failed_rows;
    std::move(d.rows.begin(), d.rows.end(), std::back_inserter(all.rows));
  }
  return all;
}

}  // namespace np
