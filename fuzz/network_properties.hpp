#pragma once
// What every network reader promises about a network it accepts: its costs are defined (or an
// np::Error says why not), and our JSON format writes it and reads it back as the same network.
#include "neuralpower/network.hpp"

namespace np::fuzz {

void check_network(const Network& net);

}  // namespace np::fuzz
