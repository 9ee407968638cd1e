#pragma once
// Power meters: an energy counter (NVML total energy, RAPL energy_uj) read around windows of
// back-to-back runs. "none" where nothing is readable; the reason is kept for the output.
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
};

class PowerMeter {
 public:
  virtual ~PowerMeter() = default;
  virtual std::string name() const = 0;  // "nvml", "rapl", "none"
  virtual bool available() const = 0;
  virtual std::string status() const = 0;  // what works, or why nothing does
  virtual MeterReadings read() = 0;
  // How often the energy counter changes (NVML ~100 ms, RAPL ~1 ms); windows are aligned to
  // counter updates and last many periods.
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
