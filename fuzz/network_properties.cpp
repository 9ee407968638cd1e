#include "network_properties.hpp"

#include "fuzz_support.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/network_json.hpp"

namespace np::fuzz {

void check_network(const Network& net) {
  NetworkCost cost;
  try {
    cost = network_cost(net);
  } catch (const Error&) {
    return;  // an overflowing cost is refused with a message: nothing more to compare
  }
  const std::string written = write_network_json(net);
  Network again("", 1);
  try {
    again = parse_network_json(written, "written.json", {});
  } catch (const Error& e) {
    broken_property(std::string("our JSON of an accepted network does not read back: ") + e.what());
  }
  if (again.size() != net.size()) broken_property("the JSON round trip changed the layer count");
  const NetworkCost cost_again = network_cost(again);
  if (cost_again.total.flops != cost.total.flops || cost_again.total.params != cost.total.params) {
    broken_property("the JSON round trip changed the network's FLOPs or parameters");
  }
}

}  // namespace np::fuzz
