#include "neuralpower/data_dir.hpp"

#include <cstdlib>

namespace np {

std::string shipped_path(std::string_view relative) {
  return std::string(NP_DATA_DIR) + "/" + std::string(relative);
}

std::string env_or(const char* name, const std::string& fallback) {
  if (const char* value = std::getenv(name); value && *value) return value;
  return fallback;
}

}  // namespace np
