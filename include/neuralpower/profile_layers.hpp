#pragma once
// `profile layers`: every configuration of a sampling plan measured and appended to the dataset
// CSV, one row at a time, so that a run can be interrupted and resumed (docs/profiling.md).
//
// The protocol for a shared machine ("A quiet measurement"): configurations are measured in
// groups whose trials are interleaved; each trial is watched by the backend's TrialMonitor and
// taken again when disturbed; the reference layers are measured after every group, and a group
// followed by a drifted reference is measured again once the reference is back, or the run
// stops and says why.
#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/adaptive_sampling.hpp"
#include "neuralpower/dataset_appender.hpp"
#include "neuralpower/measurement.hpp"
#include "neuralpower/power_window.hpp"
#include "neuralpower/reference_layers.hpp"
#include "neuralpower/sampling_plan.hpp"

namespace np {

struct ProfileLayersOptions {
  MeasureOptions measure;
  RunSettings run;
  GroupOptions groups;        // power measured in groups of layers (power_window.hpp)
  double power_seconds = 0;   // > 0: power for this long into the run, then runtime only
  bool runtime_only = false;  // no power windows even where the meter works
  double budget_seconds = 0;  // 0: no budget; checked before each group
  bool clocks_locked = false;
  int group_size = 8;                        // configurations whose trials are interleaved
  int64_t group_bytes = int64_t{512} << 20;  // ... as long as their tensors fit in this together
  ReferenceOptions reference;
  AdaptiveOptions adaptive;
  // With adaptive.share > 0 and no budget: configurations this run measures in all (the plan's
  // order first, then adaptive rounds); 0 with a budget: as many as the budget allows.
  int64_t max_configs = 0;
  std::string scheduling;       // how the measuring thread runs (QuietThread), for the rows
  std::ostream* log = nullptr;  // progress and notes (stderr in the CLI); null: silent
  const std::atomic<bool>* stop = nullptr;
  Clock* clock = nullptr;  // null: steady_clock()
};

struct ProfileLayersResult {
  int64_t planned = 0;
  int64_t already_done = 0;  // in the file before this run (skipped)
  int64_t measured = 0;      // rows written by this run, failed ones included
  int64_t failed = 0;
  int64_t remaining = 0;          // not measured when the run stopped
  int64_t adaptive = 0;           // rows chosen by adaptive sampling
  int64_t groups_remeasured = 0;  // groups measured again after a drift of the reference
  int64_t trials_redone = 0;      // disturbed trials taken again, over all rows
  bool interrupted = false;
  bool budget_reached = false;
  bool power_measured = false;
  std::optional<double> idle_power_w;
  std::optional<ReferenceTimes> reference;  // the run's baseline
  std::string stopped;     // why the run stopped before its end (a drift); empty otherwise
  int64_t retried = 0;     // rows measured again (an error or a failed power window before)
  int64_t power_rows = 0;  // rows written with power
  std::optional<CounterPeriod> counter;  // the energy counter's measured period
  std::string device_lost;               // why the run stopped: the device is unusable (DeviceLost)
};

// Measures every configuration of `plan` not already done in `out` (DatasetAppender::done; in
// plan order) and appends its row. A configuration that fails (UnsupportedLayer,
// DeviceOutOfMemory, any error) is written as a failed row with the reason and the run goes on.
// Returns early, without a partial row, when *stop becomes true, the budget is spent, the
// reference drifted for good (`stopped`) or the device is lost (then device_lost says why and
// nothing is written for the configurations left).
// With options.adaptive.share > 0 the last share of the run measures configurations of the
// plan chosen by choose_adaptive instead of the next ones in order.
ProfileLayersResult profile_layers(Backend& backend, PowerMeter& meter,
                                   const std::vector<LayerConfig>& plan, DatasetAppender& out,
                                   const ProfileLayersOptions& options);

// One configuration, measured (or failed) as a dataset row; idle_power_w goes into the row.
// No group, no reference. Throws only Interrupted and DeviceLost.
LayerMeasurement measure_layer(Backend& backend, PowerMeter& meter, const LayerConfig& config,
                               const ProfileLayersOptions& options, const Platform& platform,
                               std::optional<double> idle_power_w);

}  // namespace np
