#pragma once
// Our JSON network format (docs/network-format.md): read by network_json_read.cpp, written by
// network_json_write.cpp.
#include <string>

#include "neuralpower/import_options.hpp"
#include "neuralpower/network.hpp"

namespace np {

// Our JSON network format.
Network read_network_json(const std::string& path, const ImportOptions& options);
Network parse_network_json(const std::string& text, const std::string& display_name,
                           const ImportOptions& options);
std::string write_network_json(const Network& net);

}  // namespace np
