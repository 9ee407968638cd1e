#pragma once
// Paleo's JSON nets (Qi et al. 2016) read into the network IR.
#include <string>

#include "neuralpower/import_options.hpp"
#include "neuralpower/network.hpp"

namespace np {

// Paleo's JSON nets (Qi et al. 2016, github.com/TalwalkarLab/paleo, nets/*.json).
Network import_paleo(const std::string& path, const ImportOptions& options);
Network parse_paleo_json(const std::string& text, const std::string& display_name,
                         const ImportOptions& options);
// True when the text is a Paleo net: an object whose "layers" is an object of named specs.
bool is_paleo_json(const std::string& text);

}  // namespace np
