#include "neuralpower/platform.hpp"

#include "records/platform_json.hpp"

namespace np {

bool same_platform(const Platform& a, const Platform& b) {
  return a.device == b.device && a.backend == b.backend && a.dtype == b.dtype;
}

std::string platform_label(const Platform& p) {
  return "'" + p.device + "' (" + p.backend + ", " + p.dtype + ")";
}

json::Json platform_to_json(const Platform& p) {
  return {{"device", p.device},
          {"backend", p.backend},
          {"dtype", p.dtype},
          {"math_mode", p.math_mode},
          {"driver", p.driver},
          {"runtime_version", p.runtime_version},
          {"library_version", p.library_version},
          {"tool_version", p.tool_version},
          {"clocks_locked", p.clocks_locked}};
}

Platform platform_from_json(json::ObjectReader r) {
  Platform p;
  p.device = r.get<std::string>("device");
  p.backend = r.get<std::string>("backend");
  p.dtype = r.get<std::string>("dtype");
  p.math_mode = r.get<std::string>("math_mode");
  p.driver = r.get<std::string>("driver");
  p.runtime_version = r.get<std::string>("runtime_version");
  p.library_version = r.get<std::string>("library_version");
  p.tool_version = r.get<std::string>("tool_version");
  p.clocks_locked = r.get<std::string>("clocks_locked");
  return p;
}

}  // namespace np
