#pragma once
// NVML loaded at run time with dlopen("libnvidia-ml.so.1"): no nvml.h is installed on the
// build machines, so the few types and functions used are declared here from NVML's
// documented C API (all of them stable since the driver versions that support Volta).
#include <cstdint>
#include <optional>
#include <string>

namespace np::cuda::nvml {

// nvmlReturn_t values used by name; the rest are reported through nvmlErrorString.
enum Result : int {
  kSuccess = 0,
  kErrorNotSupported = 3,
  kErrorNoPermission = 4,
  kErrorNotFound = 6,
  kErrorFunctionNotFound = 13,  // also what we report for a function missing from the library
  kErrorGpuIsLost = 15,
};
enum ClockType : int { kClockGraphics = 0, kClockSm = 1, kClockMem = 2 };
enum TemperatureSensor : int { kTemperatureGpu = 0 };
using Device = struct nvmlDevice_st*;

// nvmlValueType_t and nvmlValue_t.
enum ValueType : int {
  kValueDouble = 0,
  kValueUnsignedInt = 1,
  kValueUnsignedLong = 2,
  kValueUnsignedLongLong = 3,
  kValueSignedLongLong = 4,
  kValueSignedInt = 5,
  kValueUnsignedShort = 6,
};
union Value {
  double dVal;
  unsigned int uiVal;
  unsigned long ulVal;
  unsigned long long ullVal;
  long long sllVal;
  int siVal;
  unsigned short usVal;
};
// A value as a double, when its type is one of the above.
std::optional<double> value_of(ValueType type, const Value& value);

// nvmlFieldValue_t (nvmlDeviceGetFieldValues).
struct FieldValue {
  unsigned int fieldId;
  unsigned int scopeId;
  long long timestamp;  // µs since 1970
  long long latencyUsec;
  ValueType valueType;
  Result nvmlReturn;  // per field
  Value value;
};
static_assert(sizeof(FieldValue) == 40, "nvmlFieldValue_t is 40 bytes");

// nvmlSample_t (nvmlDeviceGetSamples).
struct Sample {
  unsigned long long timeStamp;  // µs since 1970
  Value sampleValue;
};
static_assert(sizeof(Sample) == 16, "nvmlSample_t is 16 bytes");
inline constexpr int kProcessorClockSamples = 5;  // NVML_PROCESSOR_CLK_SAMPLES

// nvmlTemperature_t, version NVML_STRUCT_VERSION(Temperature, 1).
struct Temperature {
  unsigned int version;
  TemperatureSensor sensorType;
  int temperature;
};
inline constexpr unsigned int kTemperatureVersion1 =
    static_cast<unsigned int>(sizeof(Temperature)) | (1u << 24);

// The cumulative clock-event-reason counters (ns) read with nvmlDeviceGetFieldValues, by the
// reason's name. 74-79 are the perf-policy counters (NVML_FI_DEV_PERF_POLICY_*), which
// nvml.h also names NVML_FI_DEV_CLOCKS_EVENT_REASON_SW_POWER_CAP (74) and _SYNC_BOOST (76);
// 251-253 are the slowdown counters as the R580 driver numbers them (a later header moves
// them to 269-271): a window keeps only counters of 64-bit type that grow by no more than the
// window's length, so a field that means something else there is left out.
struct ClockEventField {
  unsigned int id;
  const char* reason;
};
inline constexpr ClockEventField kClockEventFields[] = {
    {74, "sw_power_cap"},
    {75, "thermal"},
    {76, "sync_boost"},
    {77, "board_limit"},
    {78, "low_utilization"},
    {79, "reliability"},
    {251, "sw_thermal_slowdown"},
    {252, "hw_thermal_slowdown"},
    {253, "hw_power_brake_slowdown"},
};

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
  Result (*temperature)(Device, TemperatureSensor, unsigned*) = nullptr;  // deprecated
  Result (*temperature_v)(Device, Temperature*) = nullptr;  // nvmlDeviceGetTemperatureV
  Result (*field_values)(Device, int, FieldValue*) = nullptr;
  Result (*samples)(Device, int, unsigned long long, ValueType*, unsigned*, Sample*) = nullptr;
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
