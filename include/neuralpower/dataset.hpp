#pragma once
// The layer dataset: one CSV row per measured layer configuration, written by `profile layers`
// and read by `train` (format in docs/dataset.md). A measurement that was not taken is an
// empty cell, never a made-up number.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace np {

// Where and how a row was measured.
struct Platform {
  std::string device;           // "NVIDIA H100 80GB HBM3", "Intel Xeon ... (1 thread)"
  std::string backend;          // "cuda", "cpu"
  std::string dtype = "fp32";   // data type of the run
  std::string math_mode;        // "tf32-allowed", "fp32-strict", ...
  std::string driver;           // GPU driver or kernel version
  std::string runtime_version;  // CUDA runtime, oneDNN version
  std::string library_version;  // cuDNN / cuBLAS versions
  std::string tool_version;     // neuralpower version
  std::string clocks_locked;    // "yes", "no", "unknown"
};

struct LayerMeasurement {
  std::string kind;            // layer kind name (layer.hpp)
  std::string config;          // the configuration, canonical text (resume key)
  std::string source_network;  // empty for random configurations
  std::string source_layer;
  std::map<std::string, double> features;  // by feature name (features.hpp); absent = n/a
  bool failed = false;
  std::string failure_reason;
  std::optional<double> runtime_ms;          // median over trials
  std::optional<double> runtime_spread_pct;  // interquartile range / median x 100
  int64_t trials = 0;
  std::optional<double> power_w;  // average over the window (idle not removed)
  std::optional<double> power_spread_pct;
  std::optional<double> energy_mj;  // per run of the layer
  std::optional<double> window_s;   // length of the power window
  std::optional<double> idle_power_w;
  std::optional<double> sm_clock_mhz;
  std::optional<double> mem_clock_mhz;
  std::optional<double> temperature_c;
  std::optional<double> power_limit_w;
  std::string throttle_reasons;
  std::string algorithm;  // e.g. the cuDNN algorithm chosen
  Platform platform;
  std::string date;  // ISO 8601, UTC
};

// Column names in file order.
const std::vector<std::string>& dataset_columns();
std::string dataset_header();                        // the header line, newline included
std::string dataset_row(const LayerMeasurement& m);  // one CSV line, newline included

struct Dataset {
  std::vector<LayerMeasurement> rows;  // successful rows only
  int64_t failed_rows = 0;             // rows marked failed, skipped
};

// Reads a dataset CSV; a wrong header, a missing column or a non-numeric cell is an np::Error
// naming the file, the line and the column.
Dataset read_dataset(const std::string& path);
Dataset parse_dataset(const std::string& text, const std::string& display_name);

// Splits one CSV line (RFC 4180 quoting) into cells.
std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace np
