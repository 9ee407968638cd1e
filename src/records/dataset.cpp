#include "neuralpower/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>

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

std::string number(double v) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::string();
}

std::string optional_number(const std::optional<double>& v) { return v ? number(*v) : ""; }

// What a measurement can plausibly be. A runtime of 0, -5 or 1e300 ms is a broken file, not a
// measurement: it is refused with its line, not fitted or dropped silently.
constexpr double kMaxRuntimeMs = 3.6e6;  // an hour for one run of one layer
constexpr double kMaxPowerW = 1e5;       // 100 kW: far above any one device
constexpr double kMaxCount = 9.2e18;     // features are counts that fit in int64
constexpr double kMaxPercent = 1e6;      // spreads
constexpr double kMaxSeconds = 1e6;      // power windows
constexpr double kMaxEnergyMj = kMaxRuntimeMs * kMaxPowerW;
constexpr int64_t kMaxTrials = 1000000;

struct CellReader {
  const CsvReader& csv;

  const std::string& text(size_t column) const { return csv.cells()[column]; }

  [[noreturn]] void refuse(size_t column, const std::string& why) const {
    throw Error(csv.where() + ": column '" + csv.header()[column] + "': '" + text(column) + "' " +
                why);
  }

  // A number that must be in [low, high] (above low when `above` is set).
  std::optional<double> bounded(size_t column, double low, double high, bool above,
                                const char* unit) const {
    const std::optional<double> v = optional_number(column);
    if (v && ((above ? *v <= low : *v < low) || *v > high)) {
      refuse(column, std::string("is out of range (") + (above ? "above " : "from ") + number(low) +
                         (above ? " and at most " : " to ") + number(high) + unit + ")");
    }
    return v;
  }

  int64_t whole_number(size_t column, int64_t low, int64_t high) const {
    const std::string& cell = text(column);
    if (cell.empty()) return 0;
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (ec != std::errc() || ptr != cell.data() + cell.size())
      refuse(column, "is not a whole number");
    if (value < low || value > high) {
      refuse(column,
             "is out of range (" + std::to_string(low) + " to " + std::to_string(high) + ")");
    }
    return value;
  }

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
                                          m.date};
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
    try {
      m.kind = layer_kind_from_string(r.text(at["kind"]));
    } catch (...) {
      rethrow_with_context(csv.where() + ": column 'kind'");
    }
    m.config = r.text(at["config"]);
    m.source_network = r.text(at["source_network"]);
    m.source_layer = r.text(at["source_layer"]);
    for (const auto& name : all_feature_names()) {
      if (auto v = r.bounded(at["f_" + name], 0, kMaxCount, false, "")) m.features[name] = *v;
    }
    m.runtime_ms = r.bounded(at["runtime_ms"], 0, kMaxRuntimeMs, true, " ms");
    m.runtime_spread_pct = r.bounded(at["runtime_spread_pct"], 0, kMaxPercent, false, "%");
    m.trials = r.whole_number(at["trials"], 0, kMaxTrials);
    m.power_w = r.bounded(at["power_w"], 0, kMaxPowerW, true, " W");
    m.power_spread_pct = r.bounded(at["power_spread_pct"], 0, kMaxPercent, false, "%");
    m.energy_mj = r.bounded(at["energy_mj"], 0, kMaxEnergyMj, false, " mJ");
    m.window_s = r.bounded(at["window_s"], 0, kMaxSeconds, true, " s");
    m.idle_power_w = r.bounded(at["idle_power_w"], 0, kMaxPowerW, false, " W");
    m.sm_clock_mhz = r.bounded(at["sm_clock_mhz"], 0, 1e6, false, " MHz");
    m.mem_clock_mhz = r.bounded(at["mem_clock_mhz"], 0, 1e6, false, " MHz");
    m.temperature_c = r.bounded(at["temperature_c"], -273.15, 1e4, false, " C");
    m.power_limit_w = r.bounded(at["power_limit_w"], 0, kMaxPowerW, false, " W");
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
  // The same file twice would count every row twice.
  for (size_t i = 0; i < paths.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      std::error_code ec;
      if (paths[i] == paths[j] || std::filesystem::equivalent(paths[i], paths[j], ec)) {
        throw Error("dataset '" + paths[i] + "' is given twice" +
                    (paths[i] == paths[j] ? std::string() : " (also as '" + paths[j] + "')") +
                    ": its rows would count twice");
      }
    }
  }
  Dataset all;
  for (const auto& path : paths) {
    Dataset d = read_dataset(path);
    all.failed_rows += d.failed_rows;
    std::move(d.rows.begin(), d.rows.end(), std::back_inserter(all.rows));
  }
  return all;
}

}  // namespace np
