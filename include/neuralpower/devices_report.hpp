#pragma once
// `neuralpower devices`: which backends are compiled in, the devices they find and whether
// their power meters can be read, each with the reason when not.
#include <string>
#include <vector>

#include "neuralpower/backend.hpp"
#include "neuralpower/power_meter.hpp"
#include "neuralpower/table.hpp"

namespace np {

std::string devices_report(const std::vector<DeviceReport>& reports, OutputFormat format);

}  // namespace np
