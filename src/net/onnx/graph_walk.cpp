#include "graph_walk.hpp"

#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "constant_folding.hpp"
#include "op_handlers.hpp"
#include "pattern_fusion.hpp"
#include "quantization.hpp"
#include "tensor_proto.hpp"

namespace np::onnx_import {
namespace {

// Tensors that do not depend on the inputs' values: initializers, Constant nodes, anything
// computed from those, and shapes (which are concrete at import).
std::unordered_set<std::string> constant_names(const Context& ctx, const onnx::GraphProto& graph) {
  std::unordered_set<std::string> constants;
  for (const auto& t : graph.initializer()) {
    if (ctx.knows(t.name()) && !ctx.tensor(t.name()).is_data) constants.insert(t.name());
  }
  for (const auto& node : graph.node()) {
    bool constant = node.op_type() == "Shape" || node.op_type() == "Size";
    if (!constant) {
      constant = true;
      for (const auto& in : node.input()) {
        constant = constant && (in.empty() || constants.count(in));
      }
    }
    if (constant) constants.insert(node.output().begin(), node.output().end());
  }
  return constants;
}

// Outputs of a constant node no rule folds: their shapes from ONNX's inference.
std::vector<Tensor> inferred_constants(const Context& ctx, const onnx::NodeProto& node) {
  std::vector<Tensor> outs;
  for (const auto& name : node.output()) {
    const auto* dims = ctx.inferred(name);
    bool known = dims != nullptr;
    for (size_t i = 0; known && i < dims->size(); ++i) known = (*dims)[i] >= 0;
    if (!known) {
      throw Error(
          "no rule here evaluates this op on constants, and ONNX shape inference gives "
          "no shape for '" +
          name + "'");
    }
    Tensor t;
    t.shape = *dims;
    outs.push_back(std::move(t));
  }
  return outs;
}

void import_node(Context& ctx, const onnx::NodeProto& node) {
  if (is_quantization_node(ctx, node)) {
    map_quantization_node(ctx, node);
    return;
  }
  const auto inputs = ctx.inputs(node);
  bool reads_data = false;
  for (const Tensor* t : inputs) reads_data = reads_data || (t && t->is_data);
  const bool shape_query = node.op_type() == "Shape" || node.op_type() == "Size";
  if (!reads_data || (shape_query && default_domain(node))) {
    auto outs = fold_constant_node(node, inputs, ctx.opset());
    if (!outs) outs = inferred_constants(ctx, node);
    if (node.op_type() == "Constant") {
      for (auto& out : *outs) out.graph_constant = true;
    }
    for (size_t k = 0; k < outs->size() && k < static_cast<size_t>(node.output_size()); ++k) {
      ctx.define(node.output(static_cast<int>(k)), std::move((*outs)[k]));
    }
    return;
  }
  if (!default_domain(node)) throw Unsupported("unsupported op (domain '" + node.domain() + "')");
  const Handler handler = find_handler(node.op_type());
  if (!handler) throw Unsupported("unsupported op");
  const size_t first = ctx.layers().size();
  handler(ctx, node);
  mark_int8_layers(ctx, node, first);
}

// With --allow-unknown: one zero-cost layer per output, shaped by ONNX's inference.
void emit_unknown(Context& ctx, const onnx::NodeProto& node, const onnx::NodeProto& outputs_of,
                  const std::vector<std::string>& data_inputs) {
  std::vector<int> inputs;
  for (const auto& name : data_inputs) inputs.push_back(ctx.layer_of(name));
  for (int k = 0; k < outputs_of.output_size(); ++k) {
    const std::string& name = outputs_of.output(k);
    if (name.empty()) continue;
    const auto* dims = ctx.inferred(name);
    bool known = dims != nullptr && !dims->empty();
    for (size_t i = 0; known && i < dims->size(); ++i) known = (*dims)[i] > 0;
    if (!known) {
      throw Error("output '" + name +
                  "' has no complete shape from ONNX shape inference, so it cannot be kept as an "
                  "unknown layer");
    }
    if ((*dims)[0] != ctx.batch()) {
      throw Error("output '" + name + "' does not keep the batch of " +
                  std::to_string(ctx.batch()) + " at dim 0");
    }
    Layer layer = node_layer(node, LayerKind::unknown,
                             UnknownAttrs{Shape(dims->begin() + 1, dims->end())}, inputs);
    if (k > 0) layer.name += "/" + std::to_string(k);
    ctx.emit(std::move(layer), name);
  }
}

std::vector<std::string> data_input_names(const Context& ctx, const onnx::NodeProto& node) {
  std::vector<std::string> names;
  for (int k = 0; k < node.input_size(); ++k) {
    if (ctx.is_data(node, k)) names.push_back(node.input(k));
  }
  return names;
}

// ONNX graphs are in single static assignment form: each tensor has one producer. A second
// node writing a tensor would silently replace the first one's layer (a Relu dropped), so it
// is refused, naming both nodes.
void check_single_producers(const onnx::GraphProto& graph) {
  std::unordered_map<std::string, std::string> producer;
  for (const auto& input : graph.input()) producer.emplace(input.name(), "a graph input");
  for (const auto& init : graph.initializer()) producer.emplace(init.name(), "an initializer");
  for (const auto& node : graph.node()) {
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      const auto [it, first] = producer.emplace(out, node_label(node));
      if (!first) {
        throw Error(node_label(node) + " writes '" + out + "', already defined by " + it->second +
                    " (a tensor has one producer in ONNX)");
      }
    }
  }
}

// A detector's post-processing: the nodes that feed no Conv, in a graph that selects boxes by
// score (an op whose output size depends on the data). What of it the importer cannot map is
// left out, with all that reads it; the rest (score softmax, box decoding arithmetic) is costed.
std::vector<bool> post_processing_nodes(const onnx::GraphProto& graph) {
  static const std::unordered_set<std::string> data_dependent = {
      "NonZero", "TopK", "NonMaxSuppression", "RoiAlign", "Unique", "Compress"};
  const auto n = static_cast<size_t>(graph.node_size());
  bool selects = false;
  for (const auto& node : graph.node()) {
    selects = selects || (default_domain(node) && data_dependent.count(node.op_type()));
  }
  std::vector<bool> post(n, false);
  if (!selects) return post;
  std::unordered_set<std::string> feeding_conv;  // tensors from which a Conv is reached
  for (size_t i = n; i-- > 0;) {
    const auto& node = graph.node(static_cast<int>(i));
    bool feeds = node.op_type() == "Conv";
    for (const auto& out : node.output()) feeds = feeds || feeding_conv.count(out);
    if (feeds) {
      feeding_conv.insert(node.input().begin(), node.input().end());
    } else {
      post[i] = true;
    }
  }
  return post;
}

}  // namespace

void define_initializers(Context& ctx, const onnx::GraphProto& graph) {
  for (const auto& init : graph.initializer()) {
    ctx.define(init.name(), read_tensor_proto(init, "initializer '" + init.name() + "'"));
  }
  for (const auto& sparse : graph.sparse_initializer()) {
    Tensor t;
    t.elem_type = sparse.values().data_type();
    t.shape.assign(sparse.dims().begin(), sparse.dims().end());
    ctx.define(sparse.values().name(), std::move(t));
  }
}

void import_nodes(Context& ctx, const onnx::GraphProto& graph) {
  check_single_producers(graph);
  std::unordered_map<std::string, std::vector<std::string>> readers;
  for (const auto& node : graph.node()) {
    for (const auto& in : node.input()) readers[in].push_back(node.op_type());
  }
  for (const auto& out : graph.output()) readers[out.name()].push_back("graph output");
  ctx.set_readers(std::move(readers));
  std::unordered_map<std::string, const onnx::NodeProto*> constant_nodes;
  for (const auto& node : graph.node()) {
    if (node.op_type() == "Constant" && node.output_size() == 1) {
      constant_nodes[node.output(0)] = &node;
    }
  }
  const ScalarLookup scalar = [&](const std::string& name) -> std::optional<double> {
    std::optional<Tensor> t;
    try {
      if (ctx.knows(name)) {
        t = ctx.tensor(name);
      } else if (const auto it = constant_nodes.find(name); it != constant_nodes.end()) {
        t = read_constant_node(*it->second);
      }
    } catch (const Error&) {
      return std::nullopt;
    }
    if (!t || !t->values || t->values->size() != 1) return std::nullopt;
    return t->values->real(0);
  };
  const auto fusions = find_fusions(graph, constant_names(ctx, graph), scalar);
  std::vector<int> fusion_at(static_cast<size_t>(graph.node_size()), -1);
  for (size_t f = 0; f < fusions.size(); ++f) {
    for (int i : fusions[f].nodes) fusion_at[static_cast<size_t>(i)] = static_cast<int>(f);
  }

  const std::vector<bool> post_processing = post_processing_nodes(graph);
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    const int f = fusion_at[static_cast<size_t>(i)];
    if (f >= 0 && fusions[static_cast<size_t>(f)].anchor != i) continue;
    const Fusion* fusion = f >= 0 ? &fusions[static_cast<size_t>(f)] : nullptr;
    const onnx::NodeProto& named = fusion ? graph.node(fusion->primary) : node;
    if (ctx.reads_unmodelled(node)) {
      ctx.leave_out(node);
      continue;
    }
    std::optional<std::string> unsupported;
    try {
      if (node.output_size() == 0 || node.output(0).empty()) throw Error("the node has no output");
      if (fusion) {
        const size_t first = ctx.layers().size();
        emit_fusion(ctx, graph, *fusion);
        mark_int8_fusion(ctx, fusion->input, first);
      } else {
        import_node(ctx, node);
      }
    } catch (const Unsupported& e) {
      unsupported = e.what();
    } catch (...) {
      rethrow_with_context(node_label(named));
    }
    if (!unsupported) continue;
    if (!fusion && post_processing[static_cast<size_t>(i)]) {
      ctx.leave_out(node);
      continue;
    }
    if (!ctx.options().allow_unknown) {
      throw Error(node_label(named) + ": " + *unsupported +
                  "; --allow-unknown counts it as zero cost");
    }
    try {
      emit_unknown(ctx, named, node,
                   fusion ? std::vector<std::string>{fusion->input} : data_input_names(ctx, node));
    } catch (...) {
      rethrow_with_context(node_label(named));
    }
  }
}

}  // namespace np::onnx_import
