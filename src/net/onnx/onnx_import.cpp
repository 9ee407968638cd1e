// ONNX model -> Network: parse, fix the input shapes, run ONNX's shape inference, walk the
// nodes, keep the layers the graph outputs depend on.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_set>

#include "graph_walk.hpp"
#include "import_context.hpp"
#include "input_shapes.hpp"
#include "model_reader.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/onnx_import.hpp"
#include "neuralpower/text_file.hpp"
#include "onnx_shape_inference.hpp"

namespace np {
namespace {

using onnx_import::Context;

// The graph's name unless it is an exporter's default, else the file's stem.
std::string network_name(const onnx::GraphProto& graph, const std::string& display_name) {
  const std::string& name = graph.name();
  const bool generic = name.empty() || name == "torch_jit" || name == "torch-jit-export" ||
                       name == "main_graph" || name == "tf2onnx";
  if (!generic) return name;
  const std::string stem = std::filesystem::path(display_name).stem().string();
  return stem.empty() ? "onnx" : stem;
}

void add_input_layers(Context& ctx, const onnx_import::ModelInputs& inputs) {
  for (const auto& [name, shape] : inputs.shapes) {
    Layer layer;
    layer.name = name;
    layer.kind = LayerKind::input;
    layer.op = "Input";
    layer.attrs = inputs.batched_by_node.empty() ? InputAttrs{Shape(shape.begin() + 1, shape.end())}
                                                 : InputAttrs{shape, /*batched=*/false};
    try {
      ctx.emit(std::move(layer), name);
    } catch (...) {
      rethrow_with_context("onnx input '" + name + "'");
    }
  }
}

// Layers some graph output depends on (and the inputs), in their order.
std::vector<bool> live_layers(const Context& ctx, const onnx::GraphProto& graph) {
  const auto& layers = ctx.layers();
  std::vector<bool> live(layers.size(), false);
  bool any_output = false;
  for (const auto& out : graph.output()) {
    try {
      const auto& t = ctx.tensor(out.name());
      if (!t.is_data) continue;  // a constant output costs nothing
      if (t.unmodelled) {        // computed by the nodes left out, from the layers they read
        for (int layer : ctx.layers_read_by_left_out()) live[static_cast<size_t>(layer)] = true;
        any_output = any_output || !ctx.layers_read_by_left_out().empty();
        continue;
      }
      live[static_cast<size_t>(ctx.layer_of(out.name()))] = true;
      any_output = true;
    } catch (...) {
      rethrow_with_context("graph output '" + out.name() + "'");
    }
  }
  if (!any_output) throw Error("no graph output depends on the model's inputs");
  for (size_t i = layers.size(); i-- > 0;) {
    if (layers[i].kind == LayerKind::input) live[i] = true;
    if (!live[i]) continue;
    for (int in : layers[i].inputs) live[static_cast<size_t>(in)] = true;
  }
  return live;
}

}  // namespace

Network import_onnx_bytes(const std::string& bytes, const std::string& display_name,
                          const ImportOptions& options) {
  const onnx::ModelProto model = onnx_import::parse_model(bytes, display_name);
  const onnx::GraphProto& graph = model.graph();
  const int64_t opset = onnx_import::default_opset(model);
  auto inputs = onnx_import::resolve_inputs(graph, options);
  const auto inferred = onnx_import::infer_onnx_shapes(model, inputs.shapes);
  auto walk = [&] {
    auto walked = std::make_unique<Context>(options, opset, inputs.import_batch, inferred);
    onnx_import::define_initializers(*walked, graph);
    add_input_layers(*walked, inputs);
    onnx_import::import_nodes(*walked, graph);
    return walked;
  };
  std::unique_ptr<Context> walked = walk();
  if (!walked->stacking_node().empty() && inputs.shapes.size() == 1) {
    onnx_import::drop_batch_dim(walked->stacking_node(), options, inputs);
    walked = walk();
  }
  Context& ctx = *walked;

  const auto live = live_layers(ctx, graph);
  Network net(network_name(graph, display_name), inputs.import_batch, inputs.dtype);
  std::vector<int> new_id(live.size(), -1);
  std::unordered_set<std::string> counted_weights;
  for (size_t i = 0; i < live.size(); ++i) {
    if (!live[i]) continue;
    Layer layer = ctx.layers()[i];
    if (const auto* names = ctx.constant_operand_names(static_cast<int>(i))) {
      auto counted_before = [&](size_t k) {
        return (*names)[k].empty() || !counted_weights.insert((*names)[k]).second;
      };
      if (auto* conv = std::get_if<ConvAttrs>(&layer.attrs)) {
        conv->shared_weights = counted_before(0);  // its bias goes with its weight
      } else {
        auto& shared = std::get<EltwiseAttrs>(layer.attrs).shared_operands;
        for (size_t k = 0; k < names->size(); ++k) {
          if (counted_before(k)) shared.push_back(k);
        }
      }
    }
    for (int& in : layer.inputs) in = new_id[static_cast<size_t>(in)];
    new_id[i] = net.add(std::move(layer));
  }
  net.infer_shapes();
  UnmodelledNodes left_out = ctx.left_out();
  const bool only_inputs = std::all_of(net.layers().begin(), net.layers().end(),
                                       [](const Layer& l) { return l.kind == LayerKind::input; });
  if (only_inputs && !left_out.empty()) {
    throw Error("onnx node '" + left_out.first +
                "': an op whose output size depends on the data (unsupported), with nothing "
                "before it that a layer models");
  }
  for (const auto& node : graph.node()) left_out.graph_nodes += node.op_type() != "Constant";
  if (!left_out.empty()) net.set_unmodelled_nodes(std::move(left_out));
  if (inputs.final_batch != inputs.import_batch) {
    try {
      net.set_batch(inputs.final_batch);
    } catch (...) {
      rethrow_with_context("imported at the file's batch of " +
                           std::to_string(inputs.import_batch) + ", setting the batch to " +
                           std::to_string(inputs.final_batch));
    }
  }
  return net;
}

Network import_onnx(const std::string& path, const ImportOptions& options) {
  return import_onnx_bytes(read_text_file(path), path, options);
}

}  // namespace np
