#include "model_reader.hpp"

#include <climits>

#include "neuralpower/error.hpp"

namespace np::onnx_import {

onnx::ModelProto parse_model(const std::string& bytes, const std::string& display_name) {
  const std::string what = "'" + display_name + "'";
  if (bytes.empty()) throw Error(what + " is empty, not an ONNX model");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    throw Error(what +
                " is larger than 2 GiB; models with external data are read from their "
                ".onnx file only");
  }
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    throw Error(what +
                " is not an ONNX model (not a valid ModelProto: truncated or another "
                "format)");
  }
  if (!model.has_graph() || (model.graph().node_size() == 0 && model.graph().output_size() == 0)) {
    throw Error(what + " is not an ONNX model (it has no graph)");
  }
  return model;
}

int64_t default_opset(const onnx::ModelProto& model) {
  for (const auto& entry : model.opset_import()) {
    if (entry.domain().empty() || entry.domain() == "ai.onnx") {
      if (entry.version() < 1 || entry.version() > 1000) {
        throw Error("the model's opset " + std::to_string(entry.version()) + " is not valid");
      }
      return entry.version();
    }
  }
  if (model.opset_import_size() == 0) return 1;  // files older than opset_import
  throw Error("the model imports no ai.onnx opset");
}

}  // namespace np::onnx_import
