#pragma once
// The one place that knows which backends were compiled in: backends and power meters by
// name, the devices they find, and each backend's own defaults.
#include <memory>
#include <string>
#include <vector>

#include "neuralpower/backend.hpp"
#include "neuralpower/power_meter.hpp"

namespace np {

// Every backend name the tool knows, compiled in or not ("cpu", "cuda").
const std::vector<std::string>& known_backends();
// Backends compiled into this build ("cpu", and "cuda" when built with NP_CUDA).
std::vector<std::string> compiled_backends();
// Throws np::Error naming the backend when it is not compiled in or finds no device.
std::unique_ptr<Backend> make_backend(const std::string& name, int device_index = 0);
std::vector<BackendStatus> probe_backends();
// The backend's own defaults; an unknown or absent backend has the generic ones.
BackendDefaults backend_defaults(const std::string& name);

// The device this machine would measure on with `backend`, where telling costs nothing and is
// reliable: the CPU model for "cpu" (as platforms name it, without the thread count); empty
// for a backend whose devices cannot be named without opening them. NEURALPOWER_CPU_MODEL, when
// set, is taken as this machine's CPU model.
std::string local_device_name(const std::string& backend);

// The meter that goes with a backend's device ("cuda" -> NVML, "cpu" -> RAPL), or a "none"
// meter that says why nothing is readable.
std::unique_ptr<PowerMeter> make_power_meter(const std::string& backend, int device_index = 0);

// Every backend with its devices and its meter's status, for `neuralpower devices`.
std::vector<DeviceReport> probe_devices();

}  // namespace np
