#include "onnx_shape_inference.hpp"

#include <exception>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"
#include "tensor_proto.hpp"

namespace np::onnx_import {
namespace {

void collect(const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& infos,
             InferredShapes& shapes) {
  for (const auto& info : infos) {
    if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape()) continue;
    std::vector<int64_t> dims;
    for (const auto& dim : info.type().tensor_type().shape().dim()) {
      dims.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
    }
    shapes[info.name()] = std::move(dims);
  }
}

enum class Inference { none, shapes, shapes_and_values };

// ONNX 1.12's conv and pool inference divides by the strides (found by fuzzing: an FPE for a
// Conv with strides [1, 0]); window attributes that are not positive are left to our walk,
// which names them.
bool has_non_positive_window(const onnx::NodeProto& node) {
  for (const auto& attr : node.attribute()) {
    if (attr.name() != "strides" && attr.name() != "dilations" && attr.name() != "kernel_shape") {
      continue;
    }
    for (const int64_t value : attr.ints()) {
      if (value <= 0) return true;
    }
  }
  return false;
}

// ONNX 1.12 copies a tensor's raw bytes into a vector of whole elements (found by fuzzing: a
// SEGV writing to address 0 for an INT64 Constant of 4 bytes).
bool raw_data_fits(const onnx::TensorProto& tensor) {
  try {
    check_raw_data_size(tensor);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool attribute_tensors_fit(const onnx::NodeProto& node) {
  for (const auto& attr : node.attribute()) {
    if (attr.has_t() && !raw_data_fits(attr.t())) return false;
    for (const auto& t : attr.tensors()) {
      if (!raw_data_fits(t)) return false;
    }
    if (attr.has_sparse_tensor() && (!raw_data_fits(attr.sparse_tensor().values()) ||
                                     !raw_data_fits(attr.sparse_tensor().indices()))) {
      return false;
    }
  }
  return true;
}

// ONNX 1.12's inference, its data propagation above all, dereferences inputs without checking
// that they exist or have a type (found by fuzzing: a SEGV on an undefined input, and on an
// op without a schema upstream of a Shape). So it runs only on graphs whose every input is
// defined before use, whose nodes pass their schema's checks and whose tensors' raw bytes fit
// their dims, and propagates values only when every op has a schema. Anything else is
// reported by the importer's own walk.
Inference safe_inference(const onnx::ModelProto& model) {
  const auto& graph = model.graph();
  std::unordered_map<std::string, int> opsets;
  for (const auto& entry : model.opset_import()) {
    opsets[entry.domain() == "ai.onnx" ? "" : entry.domain()] = static_cast<int>(entry.version());
  }
  bool every_op_known = true;
  std::unordered_set<std::string> defined;
  for (const auto& in : graph.input()) defined.insert(in.name());
  for (const auto& t : graph.initializer()) {
    if (!raw_data_fits(t)) return Inference::none;
    defined.insert(t.name());
  }
  for (const auto& t : graph.sparse_initializer()) {
    if (!raw_data_fits(t.values()) || !raw_data_fits(t.indices())) return Inference::none;
    defined.insert(t.values().name());
  }
  for (const auto& node : graph.node()) {
    if (!attribute_tensors_fit(node)) return Inference::none;
    for (const auto& in : node.input()) {
      if (!in.empty() && !defined.count(in)) return Inference::none;
    }
    for (const auto& attr : node.attribute()) {
      if (attr.has_g() || attr.graphs_size() > 0) return Inference::none;  // outer scope
    }
    if (has_non_positive_window(node)) return Inference::none;
    const std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    const auto opset = opsets.find(domain);
    if (opset == opsets.end()) return Inference::none;
    const auto* schema = onnx::OpSchemaRegistry::Schema(node.op_type(), opset->second, domain);
    if (schema) {
      try {
        schema->Verify(node);
      } catch (const std::exception&) {
        return Inference::none;
      }
    } else {
      every_op_known = false;
    }
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      if (!defined.insert(out).second) return Inference::none;  // written twice
    }
  }
  return every_op_known ? Inference::shapes_and_values : Inference::shapes;
}

}  // namespace

InferredShapes infer_onnx_shapes(const onnx::ModelProto& model,
                                 const std::vector<std::pair<std::string, Shape>>& inputs) {
  const Inference inference = safe_inference(model);
  if (inference == Inference::none) return {};
  onnx::ModelProto copy = model;
  auto* graph = copy.mutable_graph();
  // Float weights never drive shapes; dropping them keeps the copy small.
  for (auto& init : *graph->mutable_initializer()) {
    if (!is_integral_type(init.data_type())) {
      init.clear_raw_data();
      init.clear_float_data();
      init.clear_double_data();
      init.clear_int32_data();
    }
  }
  // Stale or symbolic shapes in the file would conflict with the concrete inputs.
  graph->clear_value_info();
  for (auto& out : *graph->mutable_output()) {
    if (out.type().has_tensor_type()) out.mutable_type()->mutable_tensor_type()->clear_shape();
  }
  const std::map<std::string, Shape> concrete(inputs.begin(), inputs.end());
  for (auto& in : *graph->mutable_input()) {
    const auto it = concrete.find(in.name());
    if (it == concrete.end()) continue;
    auto* tensor = in.mutable_type()->mutable_tensor_type();
    if (tensor->elem_type() == 0) tensor->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tensor->mutable_shape();
    shape->clear_dim();
    for (int64_t d : it->second) shape->add_dim()->set_dim_value(d);
  }
  try {
    const onnx::ShapeInferenceOptions options(
        /*check_type=*/false, /*error_mode=*/0,
        /*data_propagation=*/inference == Inference::shapes_and_values);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception&) {
    return {};
  }
  InferredShapes shapes;
  collect(graph->input(), shapes);
  collect(graph->value_info(), shapes);
  collect(graph->output(), shapes);
  return shapes;
}

}  // namespace np::onnx_import
