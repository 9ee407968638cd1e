#include "import_context.hpp"

#include "neuralpower/network.hpp"

namespace np::onnx_import {
namespace {

std::string render(const std::vector<int64_t>& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) text += 'x';
    text += dims[i] < 0 ? "?" : std::to_string(dims[i]);
  }
  return text.empty() ? "scalar" : text;
}

}  // namespace

std::string node_display_name(const onnx::NodeProto& node) {
  if (!node.name().empty()) return node.name();
  for (const auto& out : node.output()) {
    if (!out.empty()) return out;
  }
  return node.op_type();
}

bool default_domain(const onnx::NodeProto& node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

std::string node_label(const onnx::NodeProto& node) {
  return "onnx node '" + node_display_name(node) + "' (" + node.op_type() + ")";
}

Context::Context(const ImportOptions& options, int64_t opset, int64_t batch,
                 InferredShapes inferred)
    : options_(options), opset_(opset), batch_(batch), inferred_(std::move(inferred)) {}

const Tensor& Context::tensor(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    throw Error("reads '" + name + "', which no earlier node produces (or the importer drops)");
  }
  return it->second;
}

void Context::define(const std::string& name, Tensor tensor) {
  if (name.empty()) return;
  tensors_[name] = std::move(tensor);
}

const Tensor* Context::input(const onnx::NodeProto& node, int k) const {
  if (k >= node.input_size() || node.input(k).empty()) return nullptr;
  return &tensor(node.input(k));
}

const Tensor& Context::required_input(const onnx::NodeProto& node, int k) const {
  const Tensor* t = input(node, k);
  if (!t) throw Error("input " + std::to_string(k) + " is missing");
  return *t;
}

std::vector<const Tensor*> Context::inputs(const onnx::NodeProto& node) const {
  std::vector<const Tensor*> all;
  for (int k = 0; k < node.input_size(); ++k) all.push_back(input(node, k));
  return all;
}

bool Context::is_data(const onnx::NodeProto& node, int k) const {
  const Tensor* t = input(node, k);
  return t && t->is_data;
}

const Tensor& Context::data_input(const onnx::NodeProto& node, int k, bool accept_pad) const {
  const Tensor& t = required_input(node, k);
  if (!t.is_data) {
    throw Unsupported("input " + std::to_string(k) + " ('" + node.input(k) +
                      "') is a constant where data is expected");
  }
  if (t.pad && !accept_pad) {
    throw Error("reads '" + node.input(k) + "', the output of Pad node '" + t.pad->node +
                "'; a Pad is modelled only when a Conv or pooling node reads it");
  }
  if (t.unmodelled) throw Error("reads '" + node.input(k) + "', which no layer computes");
  if (t.transpose) {
    throw Error("reads '" + node.input(k) + "', the output of Transpose node '" +
                t.transpose->node + "', which is modelled only when Gathers along dim 0 read it");
  }
  return t;
}

int Context::layer_of(const std::string& tensor_name) const {
  const Tensor& t = tensor(tensor_name);
  if (!t.is_data) throw Error("'" + tensor_name + "' is a constant, not data");
  if (t.unmodelled) throw Error("'" + tensor_name + "' is computed by nodes left out");
  if (t.pad) {
    throw Error("'" + tensor_name + "' is the output of Pad node '" + t.pad->node +
                "', which is modelled only when a Conv or pooling node reads it");
  }
  if (t.transpose) {
    throw Error("'" + tensor_name + "' is the output of Transpose node '" + t.transpose->node +
                "', which is modelled only when Gathers along dim 0 read it");
  }
  return t.layer;
}

const std::vector<std::string>& Context::readers(const std::string& tensor) const {
  static const std::vector<std::string> none;
  const auto it = readers_.find(tensor);
  return it == readers_.end() ? none : it->second;
}

void Context::note_stacking(const onnx::NodeProto& node, int layer, const Shape& out) {
  const Shape& in = layers_.at(static_cast<size_t>(layer)).output_shape;
  if (!stacking_node_.empty() || in.size() != 3 || out.size() != 4 || out[0] != 1) return;
  for (int id = layer;;) {
    const Layer& l = layers_.at(static_cast<size_t>(id));
    if (l.output_shape != in) return;
    if (l.kind == LayerKind::input) break;
    if (l.inputs.size() != 1) return;
    id = l.inputs[0];
  }
  stacking_node_ = node_display_name(node);
}

const std::vector<int64_t>* Context::inferred(const std::string& name) const {
  if (!trust_inferred_) return nullptr;
  const auto it = inferred_.find(name);
  return it == inferred_.end() ? nullptr : &it->second;
}

std::string Context::unique_name(const std::string& base) {
  const std::string stem = base.empty() ? "layer" : base;
  std::string name = stem;
  for (int k = 2; layer_names_.count(name); ++k) name = stem + "_" + std::to_string(k);
  layer_names_.insert(name);
  return name;
}

void Context::cross_check(const std::string& output, const Layer& layer) {
  const auto* theirs = inferred(output);
  if (!theirs || !trust_inferred_) return;
  const Shape& ours = layer.output_shape;
  bool same = theirs->size() == ours.size();
  for (size_t i = 0; same && i < ours.size(); ++i) {
    same = (*theirs)[i] < 0 || (*theirs)[i] == ours[i];
  }
  if (same) return;
  // ONNX 1.12 lets a ceil_mode window start in the end padding (PyTorch, and later ONNX
  // versions, drop it), so its shapes from here on are one pixel off: stop comparing.
  const auto* pool = std::get_if<PoolAttrs>(&layer.attrs);
  if (pool && pool->ceil_mode) {
    trust_inferred_ = false;
    return;
  }
  throw Error("output '" + output + "' is " + shape_to_string(ours) +
              " here, ONNX shape inference says " + render(*theirs));
}

bool Context::reads_unmodelled(const onnx::NodeProto& node) const {
  // A fused node's inputs may be internal to its fusion, hence not known here.
  for (const auto& name : node.input()) {
    if (knows(name) && tensor(name).unmodelled) return true;
  }
  return false;
}

void Context::leave_out(const onnx::NodeProto& node) {
  for (const Tensor* t : inputs(node)) {
    if (t && t->is_data && !t->unmodelled) read_by_left_out_.push_back(t->layer);
  }
  if (left_out_.empty()) left_out_.first = node_display_name(node);
  ++left_out_.ops[node.op_type()];
  for (const auto& name : node.output()) {
    Tensor data;
    data.is_data = true;
    data.unmodelled = true;
    if (const auto* dims = inferred(name)) data.shape.assign(dims->begin(), dims->end());
    define(name, std::move(data));
  }
}

int Context::emit(Layer layer, const std::string& output) {
  std::vector<Shape> in;
  for (int id : layer.inputs) in.push_back(layers_.at(static_cast<size_t>(id)).output_shape);
  layer.output_shape = infer_output_shape(layer, in, batch_);
  if (!output.empty()) cross_check(output, layer);
  layer.name = unique_name(layer.name);
  const int id = static_cast<int>(layers_.size());
  Tensor data;
  data.is_data = true;
  data.layer = id;
  data.shape = layer.output_shape;
  layers_.push_back(std::move(layer));
  define(output, std::move(data));
  return id;
}

}  // namespace np::onnx_import
