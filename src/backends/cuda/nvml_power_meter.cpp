// The NVML power meter: the total-energy counter (mJ, Volta and newer, updated about every
// 100 ms) read around windows of back-to-back runs, with power, clocks, temperature, power
// limit and clock-event reasons read beside it. When NVML or the counter is missing the meter
// says why and the profiler runs in runtime-only mode.
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "backends/cuda/check.hpp"
#include "backends/cuda/cuda_factory.hpp"
#include "backends/cuda/nvml_library.hpp"

namespace np::cuda {
namespace nvml {
namespace {

template <typename Function>
void bind(void* library, const char* name, Function& function) {
  function = reinterpret_cast<Function>(dlsym(library, name));
}

Library load() {
  Library lib;
  void* handle = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    lib.error = std::string("cannot load libnvidia-ml.so.1 (") + (why ? why : "unknown") +
                "): no NVIDIA driver on this machine";
    return lib;
  }
  bind(handle, "nvmlInit_v2", lib.init);
  bind(handle, "nvmlShutdown", lib.shutdown);
  bind(handle, "nvmlErrorString", lib.error_string);
  bind(handle, "nvmlSystemGetDriverVersion", lib.system_driver_version);
  bind(handle, "nvmlDeviceGetHandleByPciBusId_v2", lib.handle_by_pci_bus_id);
  bind(handle, "nvmlDeviceGetTotalEnergyConsumption", lib.total_energy_consumption);
  bind(handle, "nvmlDeviceGetPowerUsage", lib.power_usage);
  bind(handle, "nvmlDeviceGetClockInfo", lib.clock_info);
  bind(handle, "nvmlDeviceGetMaxClockInfo", lib.max_clock_info);
  bind(handle, "nvmlDeviceGetDefaultApplicationsClock", lib.default_applications_clock);
  bind(handle, "nvmlDeviceGetTemperature", lib.temperature);
  bind(handle, "nvmlDeviceGetTemperatureV", lib.temperature_v);
  bind(handle, "nvmlDeviceGetFieldValues", lib.field_values);
  bind(handle, "nvmlDeviceGetSamples", lib.samples);
  bind(handle, "nvmlDeviceGetCurrentClocksEventReasons", lib.clock_event_reasons);
  if (!lib.clock_event_reasons) {
    bind(handle, "nvmlDeviceGetCurrentClocksThrottleReasons", lib.clock_event_reasons);
  }
  bind(handle, "nvmlDeviceGetEnforcedPowerLimit", lib.enforced_power_limit);
  bind(handle, "nvmlDeviceSetGpuLockedClocks", lib.set_gpu_locked_clocks);
  bind(handle, "nvmlDeviceResetGpuLockedClocks", lib.reset_gpu_locked_clocks);
  std::string missing;
  for (const auto& [name, present] : std::vector<std::pair<const char*, bool>>{
           {"nvmlInit_v2", lib.init != nullptr},
           {"nvmlShutdown", lib.shutdown != nullptr},
           {"nvmlErrorString", lib.error_string != nullptr},
           {"nvmlDeviceGetHandleByPciBusId_v2", lib.handle_by_pci_bus_id != nullptr}}) {
    if (!present) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (!missing.empty()) {
    lib.error = "libnvidia-ml.so.1 lacks " + missing;
    return lib;  // the handle stays open: harmless, and dlclose of NVML is best avoided
  }
  lib.loaded = true;
  return lib;
}

}  // namespace

const Library& Library::get() {
  static const Library library = load();
  return library;
}

std::string Library::describe(Result result) const {
  const char* text = error_string ? error_string(result) : nullptr;
  return std::string(text ? text : "NVML error") + " (" + std::to_string(static_cast<int>(result)) +
         ")";
}

std::optional<double> value_of(ValueType type, const Value& value) {
  switch (type) {
    case kValueDouble:
      return value.dVal;
    case kValueUnsignedInt:
      return static_cast<double>(value.uiVal);
    case kValueUnsignedLong:
      return static_cast<double>(value.ulVal);
    case kValueUnsignedLongLong:
      return static_cast<double>(value.ullVal);
    case kValueSignedLongLong:
      return static_cast<double>(value.sllVal);
    case kValueSignedInt:
      return static_cast<double>(value.siVal);
    case kValueUnsignedShort:
      return static_cast<double>(value.usVal);
  }
  return std::nullopt;
}

std::string decode_clock_event_reasons(unsigned long long reasons) {
  // nvmlClocksEventReason* bits (nvml.h); "gpu_idle" alone means nothing is held back.
  static const std::array<std::pair<unsigned long long, const char*>, 9> kNames{{
      {0x1ull, "gpu_idle"},
      {0x2ull, "applications_clocks_setting"},
      {0x4ull, "sw_power_cap"},
      {0x8ull, "hw_slowdown"},
      {0x10ull, "sync_boost"},
      {0x20ull, "sw_thermal_slowdown"},
      {0x40ull, "hw_thermal_slowdown"},
      {0x80ull, "hw_power_brake_slowdown"},
      {0x100ull, "display_clock_setting"},
  }};
  if (reasons == 0) return "none";
  std::string names;
  unsigned long long known = 0;
  for (const auto& [bit, name] : kNames) {
    known |= bit;
    if (reasons & bit) names += (names.empty() ? "" : ",") + std::string(name);
  }
  if (const unsigned long long unknown = reasons & ~known) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", unknown);
    names += (names.empty() ? "" : ",") + std::string("unknown_") + hex;
  }
  return names;
}

std::string driver_version() {
  const Library& lib = Library::get();
  if (!lib.loaded || !lib.system_driver_version || lib.init() != kSuccess) return "";
  std::array<char, 96> version{};
  const Result result =
      lib.system_driver_version(version.data(), static_cast<unsigned>(version.size()));
  (void)lib.shutdown();
  return result == kSuccess ? std::string(version.data()) : std::string();
}

}  // namespace nvml

void check_status(nvml::Result status, const char* statement, const char* file, int line) {
  if (status == nvml::kSuccess) return;
  const std::string message =
      failure_message(statement, nvml::Library::get().describe(status), "", file, line);
  if (status == nvml::kErrorGpuIsLost) throw DeviceLost(message);
  throw Error(message);
}

namespace {

// A missing optional function reads as "not found", like NVML's own status for it.
template <typename Function, typename... Args>
nvml::Result call_optional(Function function, Args... args) {
  return function ? function(args...) : nvml::kErrorFunctionNotFound;
}

class NvmlPowerMeter final : public PowerMeter {
 public:
  explicit NvmlPowerMeter(int device_index) : lib_(nvml::Library::get()) {
    if (!lib_.loaded) {
      status_ = "NVML unavailable: " + lib_.error;
      return;
    }
    try {
      open(device_index);
    } catch (const std::exception& e) {
      status_ = std::string("NVML unavailable: ") + e.what();
      device_ = nullptr;
    }
  }

  ~NvmlPowerMeter() override {
    unlock_clocks();
    if (initialised_) (void)lib_.shutdown();
  }

  std::string name() const override { return "nvml"; }
  bool available() const override { return available_; }
  std::string status() const override { return status_; }
  double update_period_ms() const override { return 100.0; }

  MeterReadings read() override {
    MeterReadings r;
    if (!device_) return r;
    unsigned long long energy = 0, reasons = 0;
    unsigned value = 0;
    if (call_optional(lib_.total_energy_consumption, device_, &energy) == nvml::kSuccess) {
      r.energy_mj = static_cast<double>(energy);
    }
    if (call_optional(lib_.power_usage, device_, &value) == nvml::kSuccess) {
      r.power_w = value / 1000.0;  // mW
    }
    if (call_optional(lib_.clock_info, device_, nvml::kClockSm, &value) == nvml::kSuccess) {
      r.sm_clock_mhz = value;
    }
    if (call_optional(lib_.clock_info, device_, nvml::kClockMem, &value) == nvml::kSuccess) {
      r.mem_clock_mhz = value;
    }
    r.temperature_c = temperature();
    if (call_optional(lib_.enforced_power_limit, device_, &value) == nvml::kSuccess) {
      r.power_limit_w = value / 1000.0;  // mW
    }
    if (call_optional(lib_.clock_event_reasons, device_, &reasons) == nvml::kSuccess) {
      r.throttle_reasons = nvml::decode_clock_event_reasons(reasons);
    }
    r.clock_event_ns = clock_event_counters();
    return r;
  }

  std::optional<double> read_energy_mj() override {
    unsigned long long energy = 0;
    if (!device_ ||
        call_optional(lib_.total_energy_consumption, device_, &energy) != nvml::kSuccess) {
      return std::nullopt;
    }
    return static_cast<double>(energy);
  }

  // The SM clock samples NVML buffered since the previous call (about one per 1/6 s on
  // recent drivers), so a window's range covers more than its two ends.
  std::optional<ClockRange> take_sm_clock_range() override {
    if (!device_ || !lib_.samples) return std::nullopt;
    nvml::ValueType type = nvml::kValueUnsignedInt;
    unsigned count = 0;
    if (lib_.samples(device_, nvml::kProcessorClockSamples, last_sample_us_, &type, &count,
                     nullptr) != nvml::kSuccess ||
        count == 0) {
      return std::nullopt;
    }
    std::vector<nvml::Sample> samples(count);
    if (lib_.samples(device_, nvml::kProcessorClockSamples, last_sample_us_, &type, &count,
                     samples.data()) != nvml::kSuccess) {
      return std::nullopt;
    }
    std::optional<ClockRange> range;
    for (unsigned i = 0; i < count && i < samples.size(); ++i) {
      if (samples[i].timeStamp <= last_sample_us_) continue;
      const std::optional<double> mhz = nvml::value_of(type, samples[i].sampleValue);
      if (!mhz) continue;
      if (!range) {
        range = ClockRange{*mhz, *mhz};
      } else {
        range->min_mhz = std::min(range->min_mhz, *mhz);
        range->max_mhz = std::max(range->max_mhz, *mhz);
      }
    }
    for (unsigned i = 0; i < count && i < samples.size(); ++i) {
      last_sample_us_ = std::max(last_sample_us_, samples[i].timeStamp);
    }
    return range;
  }

  bool lock_clocks(std::string& message) override {
    if (!device_) {
      message = status_;
      return false;
    }
    if (!lib_.set_gpu_locked_clocks || !lib_.reset_gpu_locked_clocks) {
      message = "this NVML has no nvmlDeviceSetGpuLockedClocks";
      return false;
    }
    // The default applications clock is what the board sustains; the boost maximum would
    // be cut by the power cap under load and move again.
    unsigned mhz = 0;
    std::string source = "default applications clock";
    if (call_optional(lib_.default_applications_clock, device_, nvml::kClockGraphics, &mhz) !=
            nvml::kSuccess ||
        mhz == 0) {
      source = "maximum clock";
      const nvml::Result max =
          call_optional(lib_.max_clock_info, device_, nvml::kClockGraphics, &mhz);
      if (max != nvml::kSuccess) {
        message = "no clock to lock to: nvmlDeviceGetMaxClockInfo: " + lib_.describe(max);
        return false;
      }
    }
    const nvml::Result result = lib_.set_gpu_locked_clocks(device_, mhz, mhz);
    if (result != nvml::kSuccess) {
      message = "nvmlDeviceSetGpuLockedClocks(" + std::to_string(mhz) +
                " MHz) failed: " + lib_.describe(result);
      return false;
    }
    locked_ = true;
    message = "GPU clock locked at " + std::to_string(mhz) + " MHz (" + source + ")";
    return true;
  }

  void unlock_clocks() override {
    if (!locked_) return;
    (void)lib_.reset_gpu_locked_clocks(device_);  // best effort: nothing to do on failure
    locked_ = false;
  }

 private:
  // nvmlDeviceGetTemperatureV where the driver has it (nvmlDeviceGetTemperature is deprecated).
  std::optional<double> temperature() const {
    if (lib_.temperature_v) {
      nvml::Temperature t{nvml::kTemperatureVersion1, nvml::kTemperatureGpu, 0};
      if (lib_.temperature_v(device_, &t) == nvml::kSuccess) return t.temperature;
    }
    unsigned value = 0;
    if (call_optional(lib_.temperature, device_, nvml::kTemperatureGpu, &value) == nvml::kSuccess) {
      return value;
    }
    return std::nullopt;
  }

  // The cumulative clock-event counters the driver answers, in ns, by reason.
  std::map<std::string, double> clock_event_counters() const {
    std::map<std::string, double> ns;
    if (!lib_.field_values) return ns;
    std::vector<nvml::FieldValue> fields;
    for (const auto& field : nvml::kClockEventFields) {
      nvml::FieldValue v{};
      v.fieldId = field.id;
      fields.push_back(v);
    }
    if (lib_.field_values(device_, static_cast<int>(fields.size()), fields.data()) !=
        nvml::kSuccess) {
      return ns;
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      const nvml::FieldValue& v = fields[i];
      if (v.nvmlReturn != nvml::kSuccess) continue;
      if (v.valueType != nvml::kValueUnsignedLongLong &&
          v.valueType != nvml::kValueSignedLongLong) {
        continue;
      }
      if (const auto value = nvml::value_of(v.valueType, v.value)) {
        ns[nvml::kClockEventFields[i].reason] = *value;
      }
    }
    return ns;
  }

  void open(int device_index) {
    NP_CUDA_CHECK(lib_.init());
    initialised_ = true;
    int count = 0;
    const cudaError_t counted = cudaGetDeviceCount(&count);
    if (counted != cudaSuccess || device_index < 0 || device_index >= count) {
      (void)cudaGetLastError();
      throw Error(counted != cudaSuccess
                      ? "no CUDA device: " + std::string(cudaGetErrorString(counted))
                      : "CUDA device " + std::to_string(device_index) + " does not exist (" +
                            std::to_string(count) + " found)");
    }
    std::array<char, 64> bus_id{};
    NP_CUDA_CHECK(
        cudaDeviceGetPCIBusId(bus_id.data(), static_cast<int>(bus_id.size()), device_index));
    NP_CUDA_CHECK(lib_.handle_by_pci_bus_id(bus_id.data(), &device_));
    unsigned long long energy = 0;
    const nvml::Result energy_status =
        call_optional(lib_.total_energy_consumption, device_, &energy);
    std::string readable, missing;
    auto note = [&](const char* what, bool ok) {
      (ok ? readable : missing) +=
          ((ok ? readable : missing).empty() ? "" : ", ") + std::string(what);
    };
    unsigned value = 0;
    unsigned long long reasons = 0;
    note("power", call_optional(lib_.power_usage, device_, &value) == nvml::kSuccess);
    note("SM clock",
         call_optional(lib_.clock_info, device_, nvml::kClockSm, &value) == nvml::kSuccess);
    note("memory clock",
         call_optional(lib_.clock_info, device_, nvml::kClockMem, &value) == nvml::kSuccess);
    note("temperature", temperature().has_value());
    note("power limit",
         call_optional(lib_.enforced_power_limit, device_, &value) == nvml::kSuccess);
    note("clock event reasons",
         call_optional(lib_.clock_event_reasons, device_, &reasons) == nvml::kSuccess);
    note("clock event counters", !clock_event_counters().empty());
    note("SM clock samples", lib_.samples != nullptr);
    const std::string side = (readable.empty() ? "" : "; also reads " + readable) +
                             (missing.empty() ? "" : "; cannot read " + missing);
    const std::string driver = nvml_driver_string();
    if (energy_status != nvml::kSuccess) {
      status_ = "NVML on " + std::string(bus_id.data()) + driver +
                ": total energy counter unavailable (nvmlDeviceGetTotalEnergyConsumption: " +
                lib_.describe(energy_status) + "), runtime only" + side;
      return;
    }
    available_ = true;
    status_ = "NVML total energy counter on " + std::string(bus_id.data()) + driver + side;
  }

  std::string nvml_driver_string() const {
    if (!lib_.system_driver_version) return "";
    std::array<char, 96> version{};
    if (lib_.system_driver_version(version.data(), static_cast<unsigned>(version.size())) !=
        nvml::kSuccess) {
      return "";
    }
    return " (driver " + std::string(version.data()) + ")";
  }

  const nvml::Library& lib_;
  nvml::Device device_ = nullptr;
  bool initialised_ = false;
  bool available_ = false;
  bool locked_ = false;
  std::string status_;
  unsigned long long last_sample_us_ = 0;
};

}  // namespace
}  // namespace np::cuda

namespace np {

std::unique_ptr<PowerMeter> make_nvml_power_meter(int device_index) {
  return std::make_unique<cuda::NvmlPowerMeter>(device_index);
}

}  // namespace np
