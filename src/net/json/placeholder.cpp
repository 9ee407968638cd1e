// Placeholder until the JSON and Paleo readers land.
#include "neuralpower/error.hpp"
#include "neuralpower/import.hpp"

namespace np {
Network read_network_json(const std::string& path, const ImportOptions&) {
  throw Error("not built yet: " + path);
}
Network parse_network_json(const std::string&, const std::string& name, const ImportOptions&) {
  throw Error("not built yet: " + name);
}
std::string write_network_json(const Network&) { throw Error("not built yet"); }
Network import_paleo(const std::string& path, const ImportOptions&) {
  throw Error("not built yet: " + path);
}
Network parse_paleo_json(const std::string&, const std::string& name, const ImportOptions&) {
  throw Error("not built yet: " + name);
}
bool is_paleo_json(const std::string&) { return false; }
}  // namespace np
