#pragma once
// Power meters: an energy counter (NVML total energy, RAPL energy_uj) read around windows of
// back-to-back runs. "none" where nothing is readable; the reason is kept for the output.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "neuralpower/backend.hpp"

namespace np {

// Side readings taken with every energy sample; missing values stay missing.
struct MeterReadings {
  std::optional<double> energy_mj;  // monotonic counter, millijoules
  std::optional<double> power_w;    // the device's own (averaged) power reading
  std::optional<double> sm_clock_mhz;
  std::optional<double> mem_clock_mhz;
  std::optional<double> temperature_c;
  std::optional<double> power_limit_w;
  std::string throttle_reasons;  // e.g. "none", "sw_power_cap,hw_slowdown"
  // Cumulative time the clocks were held back, per reason, in ns since the driver started
  // counting (NVML's clock-event-reason counters); a window records the differences.
  std::map<std::string, double> clock_event_ns;
};

// The lowest and highest SM clock the device itself sampled over an interval.
struct ClockRange {
  double min_mhz = 0;
  double max_mhz = 0;
};

class PowerMeter {
 public:
  virtual ~PowerMeter() = default;
  virtual std::string name() const = 0;  // "nvml", "rapl", "none"
  virtual bool available() const = 0;
  virtual std::string status() const = 0;  // what works, or why nothing does
  // Everything the meter reads: the counter and the device's state (a window's two ends).
  virtual MeterReadings read() = 0;
  // The energy counter alone: what a window polls between its ends, as cheaply as the meter
  // can (NVML: one call instead of a dozen).
  virtual std::optional<double> read_energy_mj() { return read().energy_mj; }
  // The range of the SM clock sampled by the device since the previous call, where the meter
  // keeps such samples (NVML's sample buffer); a window calls it at both ends.
  virtual std::optional<ClockRange> take_sm_clock_range() { return std::nullopt; }
  // The nominal period of the energy counter (NVML ~100 ms, RAPL ~1 ms): how often a window
  // polls. The real period is measured at the start of a run (power_window.hpp).
  virtual double update_period_ms() const = 0;
  // Tries to lock clocks for stable measurements; returns whether it worked and why not.
  virtual bool lock_clocks(std::string& message) {
    message = "clock locking not supported by " + name();
    return false;
  }
  virtual void unlock_clocks() {}
};

// A "none" meter that says why nothing is readable.
std::unique_ptr<PowerMeter> make_null_power_meter(const std::string& reason);

// What a meter says about itself (`neuralpower devices`, the nets file's meter block).
struct MeterStatus {
  std::string name;
  bool available = false;
  std::string status;
  double update_period_ms = 0;
};
MeterStatus meter_status(const PowerMeter& meter);

// One backend as `neuralpower devices` reports it: its devices and its power meter.
struct DeviceReport {
  BackendStatus backend;
  MeterStatus meter;
};

}  // namespace np
