#pragma once
// The measurement side of `profile layers` and `profile nets` (docs/profiling.md, paper 3.3):
//
//   runtime  warm-up, an iteration count that makes one trial last >= ~10 ms, timed trials;
//            the median per run and the spread (interquartile range / median).
//   power    a window of back-to-back runs aligned to updates of the meter's energy counter:
//            wait for the counter to change, run for at least the window, stop when it
//            changes again; average power = delta E / delta t; energy per run = P x runtime.
//            Idle power is measured the same way with nothing running.
//
// Rows are appended to the dataset CSV one at a time and flushed, so that a run can be
// interrupted (Ctrl-C, a crash, a kill) and resumed without losing or duplicating a row.
#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "neuralpower/backend.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/nets_file.hpp"
#include "neuralpower/power_meter.hpp"
#include "neuralpower/sampling_plan.hpp"

namespace np {

// Thrown out of a measurement when the stop flag is raised (SIGINT, SIGTERM): the current
// configuration is abandoned and nothing is written for it. Not an np::Error on purpose: a
// stop is not a failure of the configuration.
class Interrupted : public std::exception {
 public:
  const char* what() const noexcept override { return "interrupted"; }
};

// Time as the power window sees it; tests substitute a simulated clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now_s() = 0;  // monotonic seconds
  virtual void sleep_s(double seconds) = 0;
};
Clock& steady_clock();  // std::chrono::steady_clock

struct MeasureOptions {
  int trials = 15;
  int warmup = 5;
  double min_trial_ms = 10;    // iterations per trial chosen so that one trial lasts this long
  double max_warmup_s = 2;     // warm-up stops early once it has run this long (>= 1 run)
  double max_spread_pct = 10;  // above this, the trials are taken once more (the better kept)
  double power_window_s = 1.0;
};

// Something that runs back to back: a prepared layer or network.
struct Workload {
  std::function<double(int)> timed_runs;   // elapsed ms of `iterations` runs
  std::function<int64_t(double)> run_for;  // runs for at least `seconds`, returns iterations
};
Workload workload_of(PreparedLayer& layer);
Workload workload_of(PreparedNetwork& net);

struct RuntimeStats {
  double median_ms = 0;   // per run
  double spread_pct = 0;  // interquartile range / median x 100
  int trials = 0;
  int64_t iterations_per_trial = 0;
};
// Throws Interrupted when *stop becomes true; np::Error when the workload reports a time that
// is not a finite non-negative number.
RuntimeStats measure_runtime(const Workload& workload, const MeasureOptions& options,
                             const std::atomic<bool>* stop = nullptr);

struct PowerWindow {
  double power_w = 0;                // delta E / delta t over the aligned window
  std::optional<double> spread_pct;  // IQR / median of the power of ~10 sub-windows
  double window_s = 0;
  double energy_mj = 0;    // over the whole window
  int64_t iterations = 0;  // runs inside the window (0 for idle)
  MeterReadings last;      // the reading that closed the window (clocks, temperature, ...)
};

// One aligned window. `step(seconds)` keeps the device busy for about that long (or sleeps,
// for idle) and returns the iterations it ran. The window lasts at least `min_seconds`, at
// least 5 counter periods and at least 40 steps' worth of time (a step cannot be shorter than
// one run, and the window's ends are known to within one step). Throws np::Error when the
// counter is missing, does not change within 20 periods + 1 s, or goes backwards; Interrupted
// when *stop becomes true.
PowerWindow measure_energy_window(PowerMeter& meter, const std::function<int64_t(double)>& step,
                                  double min_seconds, Clock& clock,
                                  const std::atomic<bool>* stop = nullptr);
PowerWindow measure_power_window(PowerMeter& meter, const Workload& workload, double min_seconds,
                                 Clock& clock, const std::atomic<bool>* stop = nullptr);
PowerWindow measure_idle_power(PowerMeter& meter, double min_seconds, Clock& clock,
                               const std::atomic<bool>* stop = nullptr);

// Median and interquartile range (linear interpolation between order statistics).
double median(std::vector<double> values);
double spread_pct(std::vector<double> values);  // IQR / median x 100; 0 for < 2 values

// The platform columns of a run: the device, the settings, this tool.
Platform make_platform(const DeviceInfo& device, const RunSettings& settings, bool clocks_locked);
std::string utc_now_iso8601();

// The dataset CSV, opened for appending. On open: a missing or empty file gets the header; an
// existing file must start with dataset_header() (else np::Error); a last line cut short by a
// crash (no final newline) is removed and said so in repair_note(); the configs already in the
// file are read (the resume keys). The file is locked (flock) while open: a second process
// writing the same file is refused. Each append is one write() of one whole row.
class DatasetAppender {
 public:
  explicit DatasetAppender(const std::string& path);
  ~DatasetAppender();
  DatasetAppender(const DatasetAppender&) = delete;
  DatasetAppender& operator=(const DatasetAppender&) = delete;

  const std::string& path() const { return path_; }
  bool contains(const std::string& config) const { return configs_.count(config) > 0; }
  int64_t existing_rows() const { return existing_rows_; }
  const std::string& repair_note() const { return repair_note_; }
  // Throws np::Error when rows already in the file were measured on another device, backend
  // or data type: a dataset holds one platform (train refuses mixtures).
  void check_platform(const Platform& platform) const;
  void append(const LayerMeasurement& row);

 private:
  std::string path_;
  int fd_ = -1;
  std::unordered_set<std::string> configs_;
  int64_t existing_rows_ = 0;
  std::string repair_note_;
  std::vector<std::string> platforms_;  // "device | backend | dtype" of the rows in the file
};

// The plan as a dataset CSV for profilers outside this tool (tools/torch_profile.py): the
// dataset header, then one row per configuration in plan order with kind, config, source and
// every feature as named_features() computes it, status `planned`, dtype, tool_version and
// date; every measurement and platform column empty. train refuses such rows (their status
// is neither ok nor failed), so a plan cannot pass for measurements.
std::string plan_dataset_csv(const std::vector<LayerConfig>& plan);

struct ProfileLayersOptions {
  MeasureOptions measure;
  RunSettings run;
  double budget_seconds = 0;  // 0: no budget; checked before each configuration
  bool clocks_locked = false;
  std::ostream* log = nullptr;  // progress and notes (stderr in the CLI); null: silent
  const std::atomic<bool>* stop = nullptr;
  Clock* clock = nullptr;  // null: steady_clock()
};

struct ProfileLayersResult {
  int64_t planned = 0;
  int64_t already_done = 0;  // in the file before this run (skipped)
  int64_t measured = 0;      // rows written by this run, failed ones included
  int64_t failed = 0;
  int64_t remaining = 0;  // not measured when the run stopped
  bool interrupted = false;
  bool budget_reached = false;
  bool power_measured = false;
  std::optional<double> idle_power_w;
};

// Measures every configuration of `plan` not already in `out` and appends its row. A
// configuration that fails (UnsupportedLayer, DeviceOutOfMemory, any error) is written as a
// failed row with the reason and the run goes on. Returns early, without a partial row, when
// *stop becomes true or the budget is spent.
ProfileLayersResult profile_layers(Backend& backend, PowerMeter& meter,
                                   const std::vector<LayerConfig>& plan, DatasetAppender& out,
                                   const ProfileLayersOptions& options);

// One configuration, measured (or failed) as a dataset row; idle_power_w goes into the row.
// Throws only Interrupted.
LayerMeasurement measure_layer(Backend& backend, PowerMeter& meter, const LayerConfig& config,
                               const ProfileLayersOptions& options, const Platform& platform,
                               std::optional<double> idle_power_w);

struct ProfileNetsOptions {
  MeasureOptions measure;
  RunSettings run;
  bool layer_power = true;  // a power window per layer (when the meter works)
  std::ostream* log = nullptr;
  const std::atomic<bool>* stop = nullptr;
  Clock* clock = nullptr;
};

// One network at its batch: end-to-end T_total (PreparedNetwork::timed_runs), per-layer T_n
// (timed_layers, median over the trials), and when the meter works P_avg over whole-network
// runs and P_n per layer (the layer prepared alone, run_for). A network the backend cannot
// prepare is returned with failed set. Throws only Interrupted.
MeasuredNetwork profile_network(Backend& backend, PowerMeter& meter, const Network& net,
                                const std::string& spec, const ProfileNetsOptions& options);

}  // namespace np
