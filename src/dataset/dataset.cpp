#include "neuralpower/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/table.hpp"

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

std::string number(double v) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::string();
}

std::string optional_number(const std::optional<double>& v) { return v ? number(*v) : ""; }

struct CellReader {
  const std::string& file;
  int64_t line;
  const std::vector<std::string>& header;
  const std::vector<std::string>& cells;

  const std::string& text(size_t column) const { return cells[column]; }

  std::optional<double> optional_number(size_t column) const {
    const std::string& cell = cells[column];
    if (cell.empty()) return std::nullopt;
    double value = 0;
    auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (ec != std::errc() || ptr != cell.data() + cell.size() || !std::isfinite(value)) {
      throw Error(file + ":" + std::to_string(line) + ": column '" + header[column] + "': '" +
                  cell + "' is not a number");
    }
    return value;
  }
};

}  // namespace

const std::vector<std::string>& dataset_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> all = kLeading;
    for (const auto& name : all_feature_names()) all.push_back("f_" + name);
    all.insert(all.end(), kTrailing.begin(), kTrailing.end());
    return all;
  }();
  return columns;
}

std::string dataset_header() {
  std::string line;
  for (const auto& c : dataset_columns()) line += (line.empty() ? "" : ",") + c;
  return line + "\n";
}

std::string dataset_row(const LayerMeasurement& m) {
  std::vector<std::string> cells{m.kind, m.config, m.source_network, m.source_layer};
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
                                          m.date};
  cells.insert(cells.end(), trailing.begin(), trailing.end());
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    for (char ch : cells[i]) {
      if (ch == '\n' || ch == '\r') throw Error("dataset cell contains a line break: " + cells[i]);
    }
    line += (i ? "," : "") + csv_cell(cells[i]);
  }
  return line + "\n";
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cells.back() += ch;
      }
    } else if (ch == '"' && cells.back().empty()) {
      quoted = true;
    } else if (ch == ',') {
      cells.emplace_back();
    } else if (ch != '\r') {
      cells.back() += ch;
    }
  }
  if (quoted) throw Error("unterminated quote");
  return cells;
}

Dataset parse_dataset(const std::string& text, const std::string& file) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw Error(file + ": empty dataset (no header)");
  const std::vector<std::string> header = split_csv_line(line);
  const auto& expected = dataset_columns();
  for (const auto& column : expected) {
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
  int64_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> cells;
    try {
      cells = split_csv_line(line);
    } catch (const Error& e) {
      throw Error(file + ":" + std::to_string(line_number) + ": " + e.what());
    }
    if (cells.size() != header.size()) {
      throw Error(file + ":" + std::to_string(line_number) + ": " + std::to_string(cells.size()) +
                  " cells, the header has " + std::to_string(header.size()) +
                  " (a row cut short by an interrupted write?)");
    }
    const CellReader r{file, line_number, header, cells};
    LayerMeasurement m;
    const std::string& status = r.text(at["status"]);
    if (status != "ok" && status != "failed") {
      throw Error(file + ":" + std::to_string(line_number) + ": column 'status': '" + status +
                  "' is neither ok nor failed");
    }
    if (status == "failed") {
      ++data.failed_rows;
      continue;
    }
    m.kind = r.text(at["kind"]);
    layer_kind_from_string(m.kind);  // validates
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
    if (!m.runtime_ms) {
      throw Error(file + ":" + std::to_string(line_number) +
                  ": column 'runtime_ms': empty in a row marked ok");
    }
    data.rows.push_back(std::move(m));
  }
  return data;
}

Dataset read_dataset(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open dataset '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_dataset(text.str(), path);
}

}  // namespace np
