#pragma once
// NVML loaded at run time with dlopen("libnvidia-ml.so.1"): no nvml.h is installed on the
// build machines, so the few types and functions used are declared here from NVML's
// documented C API (all of them stable since the driver versions that support Volta).
#include <cstdint>
#include <string>

namespace np::cuda::nvml {

// nvmlReturn_t values used by name; the rest are reported through nvmlErrorString.
enum Result : int {
  kSuccess = 0,
  kErrorNotSupported = 3,
  kErrorNoPermission = 4,
  kErrorFunctionNotFound = 13,  // also what we report for a function missing from the library
};
enum ClockType : int { kClockGraphics = 0, kClockSm = 1, kClockMem = 2 };
enum TemperatureSensor : int { kTemperatureGpu = 0 };
using Device = struct nvmlDevice_st*;

// The library and its functions; a missing optional function stays null.
struct Library {
  bool loaded = false;
  std::string error;  // why not loaded

  Result (*init)() = nullptr;  // nvmlInit_v2
  Result (*shutdown)() = nullptr;
  const char* (*error_string)(Result) = nullptr;
  Result (*system_driver_version)(char*, unsigned) = nullptr;
  Result (*handle_by_pci_bus_id)(const char*, Device*) = nullptr;  // _v2
  Result (*total_energy_consumption)(Device, unsigned long long*) = nullptr;
  Result (*power_usage)(Device, unsigned*) = nullptr;
  Result (*clock_info)(Device, ClockType, unsigned*) = nullptr;
  Result (*max_clock_info)(Device, ClockType, unsigned*) = nullptr;
  Result (*default_applications_clock)(Device, ClockType, unsigned*) = nullptr;
  Result (*temperature)(Device, TemperatureSensor, unsigned*) = nullptr;
  // nvmlDeviceGetCurrentClocksEventReasons, or the older ...ClocksThrottleReasons.
  Result (*clock_event_reasons)(Device, unsigned long long*) = nullptr;
  Result (*enforced_power_limit)(Device, unsigned*) = nullptr;
  Result (*set_gpu_locked_clocks)(Device, unsigned, unsigned) = nullptr;
  Result (*reset_gpu_locked_clocks)(Device) = nullptr;

  // Loaded once per process and never unloaded.
  static const Library& get();
  std::string describe(Result result) const;  // "NVML_ERROR_...: text (code)"
};

// "none", or the names of the set bits of nvmlClocksEventReasons, comma-separated
// ("sw_power_cap,hw_slowdown"); unknown bits as hex.
std::string decode_clock_event_reasons(unsigned long long reasons);

// The driver's version string from NVML ("580.159.04"), or "" when NVML is unavailable.
std::string driver_version();

}  // namespace np::cuda::nvml

namespace np::cuda {
// NVML's entry in the checking macro (check.hpp): throws np::Error naming the call.
void check_status(nvml::Result status, const char* statement, const char* file, int line);
}  // namespace np::cuda
