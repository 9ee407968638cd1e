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
                                         "sm_clock_min_mhz",
                                         "sm_clock_max_mhz",
                                         "throttle_ms",
                                         "window_periods",
                                         "counter_period_ms",
                                         "power_status",
                                         "algorithm",
                                         "math_type",
                                         "graph_copies",
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
std::string optional_integer(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : "";
}

// "reason=ms;reason=ms", reasons in name order.
std::string throttle_text(const std::map<std::string, double>& ms) {
  std::string text;
  for (const auto& [reason, value] : ms) {
    text += (text.empty() ? "" : ";") + reason + "=" + number(value);
  }
  return text;
}

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

  // A column added later and missing from this file reads as an empty cell.
  static constexpr size_t kMissing = static_cast<size_t>(-1);

  std::string text(size_t column) const {
    return column == kMissing ? std::string() : csv.cells()[column];
  }

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
    if (column == kMissing) return std::nullopt;
    return parse(csv.cells()[column], csv.header()[column]);
  }

  std::optional<int64_t> optional_integer(size_t column) const {
    const auto v = optional_number(column);
    if (!v) return std::nullopt;
    if (*v != std::floor(*v)) {
      throw Error(csv.where() + ": column '" + csv.header()[column] + "': '" + csv.cells()[column] +
                  "' is not a whole number");
    }
    return static_cast<int64_t>(*v);
  }

  std::map<std::string, double> throttle(size_t column) const {
    std::map<std::string, double> ms;
    const std::string cell = text(column);
    size_t from = 0;
    while (from < cell.size()) {
      const size_t end = std::min(cell.find(';', from), cell.size());
      const std::string item = cell.substr(from, end - from);
      const size_t eq = item.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw Error(csv.where() + ": column '" + csv.header()[column] + "': '" + item +
                    "' is not reason=ms");
      }
      ms[item.substr(0, eq)] = *parse(item.substr(eq + 1), csv.header()[column]);
      from = end + 1;
    }
    return ms;
  }

 private:
  std::optional<double> parse(const std::string& cell, const std::string& name) const {
    if (cell.empty()) return std::nullopt;
    double value = 0;
    auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (ec != std::errc() || ptr != cell.data() + cell.size() || !std::isfinite(value)) {
      throw Error(csv.where() + ": column '" + name + "': '" + cell + "' is not a number");
    }
    return value;
  }
};

}  // namespace

const std::vector<std::string>& dataset_columns_added_later() {
  static const std::vector<std::string> columns{
      "sm_clock_min_mhz",  "sm_clock_max_mhz", "throttle_ms", "window_periods",
      "counter_period_ms", "power_status",     "math_type",   "graph_copies"};
  return columns;
}

bool retry_on_resume(const std::string& status, const std::string& failure_reason,
                     const std::string& power_status) {
  if (status == "failed") return failure_reason.rfind("error:", 0) == 0;
  return power_status.rfind("failed", 0) == 0;
}

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
                                          optional_number(m.sm_clock_min_mhz),
                                          optional_number(m.sm_clock_max_mhz),
                                          throttle_text(m.throttle_ms),
                                          optional_integer(m.window_periods),
                                          optional_number(m.counter_period_ms),
                                          m.power_status,
                                          m.algorithm,
                                          m.math_type,
                                          optional_integer(m.graph_copies),
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
  const auto& optional = dataset_columns_added_later();
  std::map<std::string, size_t> at;
  for (const auto& column : expected) {
    if (std::find(header.begin(), header.end(), column) != header.end()) continue;
    if (std::find(optional.begin(), optional.end(), column) == optional.end()) {
      throw Error(file + ":1: missing column '" + column + "'");
    }
    at[column] = CellReader::kMissing;
  }
  for (size_t i = 0; i < header.size(); ++i) {
    if (std::find(expected.begin(), expected.end(), header[i]) == expected.end()) {
      throw Error(file + ":1: unknown column '" + header[i] + "' (wrong header?)");
    }
    if (!at.emplace(header[i], i).second) {
      throw Error(file + ":1: column '" + header[i] + "' appears twice");
    }
  }

  // Every row in file order: a measurement (none for a failed row), whether a resumed run
  // measures it again, and whether a later row of its configuration replaced it.
  struct Entry {
    std::optional<LayerMeasurement> row;
    bool retried = false;
    bool current = true;
  };
  std::vector<Entry> entries;
  std::map<std::string, size_t> last_of;
  while (csv.next(" (a row cut short by an interrupted write?)")) {
    const CellReader r{csv};
    LayerMeasurement m;
    const std::string status = r.text(at["status"]);
    if (status != "ok" && status != "failed") {
      throw Error(csv.where() + ": column 'status': '" + status + "' is neither ok nor failed");
    }
    const std::string config = r.text(at["config"]);
    if (const auto it = last_of.find(config); it != last_of.end() && entries[it->second].retried) {
      entries[it->second].current = false;
    }
    last_of[config] = entries.size();
    const bool retried =
        retry_on_resume(status, r.text(at["failure_reason"]), r.text(at["power_status"]));
    if (status == "failed") {
      entries.push_back({std::nullopt, retried, true});
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
    m.sm_clock_min_mhz = r.optional_number(at["sm_clock_min_mhz"]);
    m.sm_clock_max_mhz = r.optional_number(at["sm_clock_max_mhz"]);
    m.throttle_ms = r.throttle(at["throttle_ms"]);
    m.window_periods = r.optional_integer(at["window_periods"]);
    m.counter_period_ms = r.optional_number(at["counter_period_ms"]);
    m.power_status = r.text(at["power_status"]);
    m.algorithm = r.text(at["algorithm"]);
    m.math_type = r.text(at["math_type"]);
    m.graph_copies = r.optional_integer(at["graph_copies"]);
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
    entries.push_back({std::move(m), retried, true});
  }
  Dataset data;
  for (auto& entry : entries) {
    if (!entry.current) continue;
    if (entry.row) {
      data.rows.push_back(std::move(*entry.row));
    } else {
      ++data.failed_rows;
    }
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
