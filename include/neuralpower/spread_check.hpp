#pragma once
// The built-in spread check that chooses N, the counter periods of a power window
// (docs/cuda-backend.md, "Fast power windows"): one ResNet-style convolution (3x3, 64 -> 64
// channels, 56x56, batch 32) measured `repeats` times at each N of `periods`, interleaved
// (2, 4, 10, 2, 4, 10, ...), every window after a switch from a lighter filler layer (an add of
// the same tensor), as the profiler's windows follow another layer. The smallest N whose power
// stays within 2% of its median in every repeat, and runtime within 1%, wins.
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/backend.hpp"
#include "neuralpower/network.hpp"
#include "neuralpower/power_window.hpp"

namespace np {

struct SpreadOptions {
  std::vector<int> periods{2, 4, 10};
  int repeats = 10;
  double power_limit_pct = 2;
  double runtime_limit_pct = 1;
  int64_t batch = 32;
};

struct SpreadRow {
  int periods = 0;
  std::vector<SlotMeasurement> windows;  // one per repeat, in order
  std::vector<double> power_w, runtime_ms;
  std::optional<double> power_median, power_worst_pct;  // worst |x - median| / median
  std::optional<double> runtime_median, runtime_worst_pct;
  bool ok = false;  // every repeat measured, both within their limits
};

struct SpreadCheck {
  std::string config;     // the convolution
  std::string algorithm;  // as the backend runs it
  double period_s = 0;
  int repeats = 0;
  std::vector<SpreadRow> rows;  // one per N, in the order of options.periods
  std::optional<int> chosen;    // the smallest N that passed
  int fallback = 0;             // the N to use when none passed: the steadiest
};

// The check's networks: the convolution and its filler, at `batch`.
Network spread_conv_network(int64_t batch);
Network spread_filler_network(int64_t batch);

// The statistics of one N and whether it passes.
SpreadRow spread_row(int periods, std::vector<SlotMeasurement> windows,
                     const SpreadOptions& options);
// The smallest N that passed, and the steadiest one (relative to the limits) otherwise.
std::optional<int> choose_periods(const std::vector<SpreadRow>& rows);
int steadiest_periods(const std::vector<SpreadRow>& rows, const SpreadOptions& options);

// Runs the check on the device (the meter must work). Throws np::Error when a window fails,
// Interrupted, DeviceLost.
SpreadCheck run_spread_check(Backend& backend, PowerMeter& meter, const SpreadOptions& options,
                             const RunSettings& run, const GroupOptions& groups, double period_s,
                             Clock& clock, const std::atomic<bool>* stop = nullptr);

}  // namespace np
