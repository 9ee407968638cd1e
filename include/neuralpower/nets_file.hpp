#pragma once
// Whole-network measurements: what `profile nets` writes and `evaluate` reads (JSON, format in
// docs/profiling.md, "The nets file"). Per network and batch: the measured per-layer runtime
// T_n and power P_n, and the end-to-end T_total, P_avg and E_total. A value that was not
// measured (no power meter, a layer the backend cannot run alone) is missing (JSON null),
// never made up.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/layer.hpp"
#include "neuralpower/platform.hpp"

namespace np {

inline constexpr int kNetsFileVersion = 1;

struct MeasuredLayer {
  int id = 0;  // layer id in the network
  std::string name;
  LayerKind kind = LayerKind::conv;
  double runtime_ms = 0;                     // T_n: in place, inside the network run, one run
  std::optional<double> runtime_spread_pct;  // of T_n over the trials (absent in older files)
  std::optional<double> power_w;             // P_n: a power window over the layer run alone
  std::optional<double> window_s;            // length of that window
  std::string algorithm;                     // of the layer prepared alone (power window)
  std::string note;                          // why power is missing, when it is
};

struct MeasuredNetwork {
  std::string network;  // the network's name
  std::string spec;  // what was given on the command line (zoo name or path): evaluate reloads it
  int64_t batch = 0;
  bool failed = false;
  std::string failure_reason;
  std::optional<double> runtime_ms;  // T_total: median of whole-network runs
  std::optional<double> runtime_spread_pct;
  int64_t iterations_per_trial = 0;
  int64_t trials = 0;
  std::optional<double> power_w;    // P_avg: a power window over whole-network runs
  std::optional<double> energy_mj;  // E_total = P_avg x T_total, per run
  std::optional<double> window_s;
  std::vector<MeasuredLayer> layers;  // every non-input layer, in network order
  // The measurement protocol (absent in older files): disturbed trials taken again, and the
  // reference layers measured right after the network.
  int64_t trials_redone = 0;
  std::optional<double> reference_ms;
  std::optional<double> reference_mem_ms;
};

struct MeterInfo {
  std::string name;  // "nvml", "rapl", "none"
  bool available = false;
  std::string status;
  double update_period_ms = 0;
  std::optional<double> idle_power_w;
};

// The settings of the run, as recorded (MeasureOptions and RunSettings hold their defaults).
struct MeasurementSettings {
  int trials = 0;
  int warmup = 0;
  double min_trial_ms = 0;
  double power_window_s = 0;
  int threads = 0;
  std::string scheduling;  // how the measuring thread ran (absent in older files)
};

struct NetsFile {
  std::string created;  // ISO 8601 UTC
  std::string tool_version;
  Platform platform;
  MeterInfo meter;
  MeasurementSettings settings;
  std::vector<MeasuredNetwork> networks;
};

std::string write_nets_file(const NetsFile& file);
// Throws np::Error naming the file and the key on a malformed file or another version.
NetsFile parse_nets_file(const std::string& text, const std::string& display_name);
NetsFile read_nets_file(const std::string& path);
void save_nets_file(const NetsFile& file, const std::string& path);  // atomic replace

}  // namespace np
