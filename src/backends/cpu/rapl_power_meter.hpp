#pragma once
// RAPL energy counters under a powercap folder (normally /sys/class/powercap); the folder is a
// parameter so tests can point it at a fake tree.
#include <memory>
#include <string>

#include "neuralpower/power_meter.hpp"

namespace np::cpu {

// The package domains (intel-rapl:N named package-*) summed; a "none" meter saying precisely
// why when no package counter is readable (missing folder, no package domain, permission).
std::unique_ptr<PowerMeter> make_rapl_power_meter_at(const std::string& powercap_root);

}  // namespace np::cpu
