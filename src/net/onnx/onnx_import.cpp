// Placeholder until the ONNX importer lands.
#include "neuralpower/error.hpp"
#include "neuralpower/import.hpp"

namespace np {
Network import_onnx(const std::string& path, const ImportOptions&) {
  throw Error("ONNX import not built yet: " + path);
}
Network import_onnx_bytes(const std::string&, const std::string& name, const ImportOptions&) {
  throw Error("ONNX import not built yet: " + name);
}
}  // namespace np
