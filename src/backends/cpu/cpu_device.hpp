#pragma once
// What the cpu backend reports about the machine: CPU model, kernel, oneDNN and its ISA.
#include "neuralpower/backend.hpp"

namespace np::cpu {

DeviceInfo cpu_device_info();

}  // namespace np::cpu
