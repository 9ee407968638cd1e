#pragma once
// Factories of the CPU backend (oneDNN) and its RAPL meter; no oneDNN header here.
#include <memory>

#include "neuralpower/backend.hpp"
#include "neuralpower/power_meter.hpp"

namespace np {

std::unique_ptr<Backend> make_cpu_backend(int device_index);
BackendStatus probe_cpu_backend();
BackendDefaults cpu_backend_defaults();
// This machine's CPU model as the backend names it ("AMD EPYC"), from /proc/cpuinfo alone.
std::string cpu_model_name();
std::unique_ptr<PowerMeter> make_rapl_power_meter();

}  // namespace np
