#pragma once
// The platform block of model files and nets files.
#include "neuralpower/json.hpp"
#include "neuralpower/platform.hpp"

namespace np {

json::Json platform_to_json(const Platform& p);
Platform platform_from_json(json::ObjectReader reader);

}  // namespace np
