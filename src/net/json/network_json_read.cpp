// Reader of our JSON network format (docs/network-format.md).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/json/input_overrides.hpp"
#include "net/json/network_json_format.hpp"
#include "net/json/shape_values.hpp"
#include "net/json/topological_order.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/network_json.hpp"
#include "neuralpower/text_file.hpp"

namespace np {
namespace {

using json::Json;
using json::ObjectReader;

struct HeightWidth {
  int64_t h = 0, w = 0;
};

int64_t at_least(int64_t value, int64_t minimum, const std::string& key) {
  if (value < minimum) {
    throw Error("key '" + key + "' must be >= " + std::to_string(minimum) + ", got " +
                std::to_string(value));
  }
  return value;
}

int64_t window_value(int64_t value, int64_t minimum, const std::string& key) {
  return json::check_window_value(at_least(value, minimum, key), key);
}

// "kernel": 3 or [3, 5]; a missing key gives `fallback`, or is an error without one.
HeightWidth read_height_width(ObjectReader& r, const std::string& key,
                              std::optional<int64_t> fallback, int64_t minimum) {
  const Json* value = r.optional(key);
  if (!value) {
    if (!fallback) throw Error("missing key '" + key + "'");
    return {*fallback, *fallback};
  }
  if (value->is_array()) {
    const auto list = json::to_int_list(*value, key);
    if (list.size() != 2) {
      throw Error("key '" + key + "' must be an integer or [h, w], got " + json::brief(*value));
    }
    return {window_value(list[0], minimum, key), window_value(list[1], minimum, key)};
  }
  if (!value->is_number_integer()) {
    throw Error("key '" + key + "' must be an integer or [h, w], got " + json::brief(*value));
  }
  const int64_t v = window_value(json::to_int(*value, key), minimum, key);
  return {v, v};
}

struct Pads {
  int64_t top = 0, left = 0, bottom = 0, right = 0;
};

// "pad": 1, [h, w] (symmetric) or [top, left, bottom, right].
Pads read_pads(ObjectReader& r) {
  const Json* value = r.optional("pad");
  if (!value) return {};
  if (value->is_array()) {
    const auto list = json::to_int_list(*value, "pad");
    for (int64_t p : list) window_value(p, 0, "pad");
    if (list.size() == 2) return {list[0], list[1], list[0], list[1]};
    if (list.size() == 4) return {list[0], list[1], list[2], list[3]};
  } else if (value->is_number_integer()) {
    const int64_t p = window_value(json::to_int(*value, "pad"), 0, "pad");
    return {p, p, p, p};
  }
  throw Error("key 'pad' must be an integer, [h, w] or [top, left, bottom, right], got " +
              json::brief(*value));
}

// kernel, stride and pad; a missing kernel or stride is `fallback` (or an error without one).
Window read_window(ObjectReader& r, std::optional<int64_t> kernel_fallback,
                   std::optional<int64_t> stride_fallback) {
  const auto kernel = read_height_width(r, "kernel", kernel_fallback, 1);
  const auto stride = read_height_width(r, "stride", stride_fallback, 1);
  const Pads pads = read_pads(r);
  Window w;
  w.kernel_h = kernel.h;
  w.kernel_w = kernel.w;
  w.stride_h = stride.h;
  w.stride_w = stride.w;
  w.pad_top = pads.top;
  w.pad_left = pads.left;
  w.pad_bottom = pads.bottom;
  w.pad_right = pads.right;
  return w;
}

ConvAttrs read_conv(ObjectReader& r) {
  ConvAttrs a;
  a.out_channels = at_least(r.required_int("out_channels"), 1, "out_channels");
  a.set_window(read_window(r, std::nullopt, 1));
  const auto dilation = read_height_width(r, "dilation", 1, 1);
  a.dilation_h = dilation.h;
  a.dilation_w = dilation.w;
  a.groups = at_least(r.int_or("groups", 1), 1, "groups");
  a.bias = r.bool_or("bias", true);
  a.shared_weights = r.bool_or("shared_weights", false);
  return a;
}

PoolAttrs read_pool(ObjectReader& r) {
  PoolAttrs a;
  const std::string mode = r.required_string("mode");
  if (mode == "max") {
    a.mode = PoolMode::max;
  } else if (mode == "avg") {
    a.mode = PoolMode::avg;
  } else {
    throw Error("key 'mode' must be \"max\" or \"avg\", got \"" + mode + "\"");
  }
  a.global = r.bool_or("global", false);
  // A global pool's window is the whole input, so kernel and stride are only kept if given.
  const std::optional<int64_t> window_fallback =
      a.global ? std::optional<int64_t>(1) : std::nullopt;
  a.set_window(read_window(r, window_fallback, window_fallback));
  a.ceil_mode = r.bool_or("ceil_mode", false);
  a.count_include_pad = r.bool_or("count_include_pad", false);
  return a;
}

// A normalisation's epsilon: 0 is allowed (torch's BatchNorm2d(eps=0) exports it), a negative
// one would take the root of a negative variance.
double epsilon(ObjectReader& r, double fallback) {
  const double value = r.double_or("epsilon", fallback);
  if (!(value >= 0) || !std::isfinite(value)) {
    throw Error("key 'epsilon' must be finite and not negative, got " + json::brief(value));
  }
  return value;
}

ActAttrs read_act(ObjectReader& r) {
  ActAttrs a = make_activation(r.required_string("function"));
  a.alpha = r.double_or("alpha", a.alpha);
  a.beta = r.double_or("beta", a.beta);
  return a;
}

std::vector<Shape> read_constant_operands(ObjectReader& r) {
  std::vector<Shape> shapes;
  const Json* operands = r.optional("constant_operands");
  if (!operands) return shapes;
  if (!operands->is_array()) {
    throw Error("key 'constant_operands' must be a list of shapes, got " + json::brief(*operands));
  }
  for (const auto& shape : *operands) {
    // [] is a scalar (one number, as ONNX writes a constant 0.5).
    const bool scalar = shape.is_array() && shape.empty();
    shapes.push_back(scalar ? Shape{} : json::to_dims(shape, "constant_operands", 6, false));
  }
  return shapes;
}

EltwiseAttrs read_eltwise(ObjectReader& r) {
  EltwiseAttrs a;
  a.constant_operands = read_constant_operands(r);
  if (const Json* shared = r.optional("shared_constant_operands")) {
    for (int64_t i : json::to_int_list(*shared, "shared_constant_operands")) {
      if (i < 0 || i >= static_cast<int64_t>(a.constant_operands.size())) {
        throw Error("key 'shared_constant_operands': " + std::to_string(i) +
                    " is not an index into constant_operands");
      }
      if (std::find(a.shared_operands.begin(), a.shared_operands.end(), static_cast<size_t>(i)) !=
          a.shared_operands.end()) {
        throw Error("key 'shared_constant_operands': " + std::to_string(i) + " appears twice");
      }
      a.shared_operands.push_back(static_cast<size_t>(i));
    }
  }
  return a;
}

MatmulAttrs read_matmul(ObjectReader& r) {
  MatmulAttrs a;
  a.transpose_a = r.bool_or("transpose_a", false);
  a.transpose_b = r.bool_or("transpose_b", false);
  if (const Json* b = r.optional("constant_b"))
    a.constant_b = json::to_dims(*b, "constant_b", 6, false);
  return a;
}

// "size": [h, w] (or one integer for both), or "scale": [h, w] (or one number); exactly one.
ResizeAttrs read_resize(ObjectReader& r) {
  ResizeAttrs a;
  a.mode = resize_mode_from_string(r.required_string("mode"));
  const Json* scale = r.optional("scale");
  if (r.optional("size")) {
    if (scale) throw Error("a resize layer has 'size' or 'scale', not both");
    const auto size = read_height_width(r, "size", std::nullopt, 1);
    a.out_height = size.h;
    a.out_width = size.w;
    return a;
  }
  if (!scale) throw Error("a resize layer needs 'size' ([h, w]) or 'scale' ([h, w])");
  std::vector<double> factors;
  if (scale->is_array()) {
    for (const auto& v : *scale) factors.push_back(json::to_double(v, "scale"));
  } else {
    factors = {json::to_double(*scale, "scale"), json::to_double(*scale, "scale")};
  }
  if (factors.size() != 2) {
    throw Error("key 'scale' must be a number or [h, w], got " + json::brief(*scale));
  }
  for (double f : factors) {
    if (!(f > 0.0) || f > 1e6) {
      throw Error("key 'scale' must be positive and at most 1e6, got " + json::brief(*scale));
    }
  }
  a.scale_h = factors[0];
  a.scale_w = factors[1];
  return a;
}

LayerAttrs read_attrs(LayerKind kind, ObjectReader& r) {
  switch (kind) {
    case LayerKind::input:
      return InputAttrs{json::to_sample_shape(r.required("shape"), "shape"),
                        r.bool_or("batched", true)};
    case LayerKind::conv:
      return read_conv(r);
    case LayerKind::pool:
      return read_pool(r);
    case LayerKind::fc: {
      FcAttrs a;
      a.out_features = at_least(r.required_int("out_features"), 1, "out_features");
      a.bias = r.bool_or("bias", true);
      return a;
    }
    case LayerKind::matmul:
      return read_matmul(r);
    case LayerKind::bn:
      return BnAttrs{epsilon(r, json::kDefaultBn.epsilon)};
    case LayerKind::act:
      return read_act(r);
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max:
      return read_eltwise(r);
    case LayerKind::concat:
      return ConcatAttrs{r.int_or("axis", json::kDefaultConcatAxis), read_constant_operands(r)};
    case LayerKind::lrn: {
      LrnAttrs a;
      a.size = at_least(r.int_or("size", json::kDefaultLrn.size), 1, "size");
      a.alpha = r.double_or("alpha", json::kDefaultLrn.alpha);
      a.beta = r.double_or("beta", json::kDefaultLrn.beta);
      a.bias = r.double_or("bias", json::kDefaultLrn.bias);
      return a;
    }
    case LayerKind::softmax:
      return SoftmaxAttrs{r.int_or("axis", json::kDefaultSoftmaxAxis)};
    case LayerKind::layernorm: {
      LayerNormAttrs a;
      a.axis = r.int_or("axis", json::kDefaultLayerNorm.axis);
      a.epsilon = epsilon(r, json::kDefaultLayerNorm.epsilon);
      a.affine = r.bool_or("affine", json::kDefaultLayerNorm.affine);
      return a;
    }
    case LayerKind::transpose: {
      TransposeAttrs a;
      a.perm = json::to_int_list(r.required("perm"), "perm");
      a.leading_in = at_least(r.int_or("leading_in", 0), 0, "leading_in");
      return a;
    }
    case LayerKind::slice: {
      SliceAttrs a;
      a.axis = r.required_int("axis");
      a.start = r.required_int("start");
      a.end = r.required_int("end");
      a.step = at_least(r.int_or("step", json::kDefaultSliceStep), 1, "step");
      return a;
    }
    case LayerKind::resize:
      return read_resize(r);
    case LayerKind::reshape: {
      ReshapeAttrs a;
      a.leading_in = at_least(r.int_or("leading_in", 0), 0, "leading_in");
      // Per replica the shape is a whole shape, dim 0 included.
      a.sample_shape = a.leading_in > 0 ? json::to_dims(r.required("shape"), "shape", 6, false)
                                        : json::to_sample_shape(r.required("shape"), "shape", true);
      return a;
    }
    case LayerKind::unknown:
      return UnknownAttrs{json::to_sample_shape(r.required("shape"), "shape")};
    case LayerKind::flatten:
    case LayerKind::dropout:
    case LayerKind::identity:
    case LayerKind::cast:
      return NoAttrs{};
  }
  return NoAttrs{};
}

struct FileLayer {
  Layer layer;
  std::vector<std::string> inputs;
};

FileLayer read_layer(const Json& spec, size_t position, const std::string& previous) {
  std::string context = "layer #" + std::to_string(position + 1);
  try {
    ObjectReader r(spec, "a layer");
    FileLayer file_layer;
    Layer& layer = file_layer.layer;
    layer.name = r.required_string("name");
    if (layer.name.empty()) throw Error("key 'name' is empty");
    context = "layer '" + layer.name + "'";
    layer.kind = layer_kind_from_string(r.required_string("kind"));
    context += " (" + std::string(to_string(layer.kind)) + ")";
    layer.op = r.optional_string("op").value_or("");
    if (layer.kind == LayerKind::input) {
      file_layer.inputs = r.string_list_or("inputs", {});
      if (!file_layer.inputs.empty()) throw Error("an input layer reads no layers");
    } else if (r.has("inputs")) {
      file_layer.inputs = r.string_list_or("inputs", {});
    } else if (previous.empty()) {
      throw Error("missing key 'inputs' (the first layer of the file has no previous layer)");
    } else {
      file_layer.inputs = {previous};
    }
    layer.attrs = read_attrs(layer.kind, r);
    if (const auto text = r.optional_string("dtype")) {
      try {
        layer.dtype = data_type_from_string(*text);
      } catch (...) {
        rethrow_with_context("key 'dtype'");
      }
    }
    r.reject_unknown_keys();
    return file_layer;
  } catch (...) {
    rethrow_with_context(context);
  }
}

std::string file_stem(const std::string& display_name) {
  const std::string stem = std::filesystem::path(display_name).stem().string();
  return stem.empty() ? display_name : stem;
}

void check_format(ObjectReader& top) {
  if (!top.has("format") && top.has("layers") && top.required("layers").is_object()) {
    throw Error(
        "missing key 'format' (this looks like a Paleo net: read it with the Paleo importer)");
  }
  const std::string format = top.required_string("format");
  if (format != json::kFormatName) {
    throw Error("key 'format' must be \"" + std::string(json::kFormatName) + "\", got \"" + format +
                "\"");
  }
  const int64_t version = top.required_int("version");
  if (version != json::kFormatVersion) {
    throw Error("unsupported version " + std::to_string(version) + " (this reader knows version " +
                std::to_string(json::kFormatVersion) + ")");
  }
}

// {"first": NAME, "graph_nodes": N, "ops": {OP: COUNT, ...}}: what an importer left out.
UnmodelledNodes read_unmodelled_nodes(const Json& value) {
  ObjectReader r(value, "unmodelled_nodes");
  UnmodelledNodes nodes;
  nodes.first = r.required_string("first");
  nodes.graph_nodes = at_least(r.required_int("graph_nodes"), 1, "graph_nodes");
  const Json& ops = r.required("ops");
  if (!ops.is_object() || ops.empty()) {
    throw Error("key 'ops' must map op types to node counts, got " + json::brief(ops));
  }
  for (const auto& [op, count] : ops.items()) {
    nodes.ops[op] = at_least(json::to_int(count, op), 1, op);
  }
  if (nodes.count() > nodes.graph_nodes) {
    throw Error(std::to_string(nodes.count()) + " nodes left out of " +
                std::to_string(nodes.graph_nodes) + " graph nodes");
  }
  r.reject_unknown_keys();
  return nodes;
}

Network build_network(const Json& document, const std::string& display_name,
                      const ImportOptions& options) {
  ObjectReader top(document, "the file");
  check_format(top);
  const std::string name = top.optional_string("name").value_or(file_stem(display_name));
  const int64_t file_batch = at_least(top.int_or("batch", json::kDefaultBatch), 1, "batch");
  DataType dtype = DataType::fp32;
  if (const auto text = top.optional_string("dtype")) {
    try {
      dtype = data_type_from_string(*text);
    } catch (...) {
      rethrow_with_context("key 'dtype'");
    }
  }
  for (const char* free_text : {"source", "description", "notes"}) top.optional_string(free_text);
  UnmodelledNodes left_out;
  if (const Json* nodes = top.optional("unmodelled_nodes")) {
    try {
      left_out = read_unmodelled_nodes(*nodes);
    } catch (...) {
      rethrow_with_context("key 'unmodelled_nodes'");
    }
  }
  const Json& layers = top.required("layers");
  if (!layers.is_array() || layers.empty()) {
    throw Error("key 'layers' must be a non-empty list of layers, got " + json::brief(layers));
  }
  top.reject_unknown_keys();

  std::vector<FileLayer> file_layers;
  std::string previous;
  for (const auto& spec : layers) {
    file_layers.push_back(read_layer(spec, file_layers.size(), previous));
    previous = file_layers.back().layer.name;
  }

  std::vector<json::InputDecl> inputs;
  for (const auto& fl : file_layers) {
    if (fl.layer.kind == LayerKind::input) {
      inputs.push_back({fl.layer.name, std::get<InputAttrs>(fl.layer.attrs).sample_shape});
    }
  }
  const int64_t batch = json::apply_input_overrides(inputs, file_batch, options);
  for (auto& fl : file_layers) {
    for (const auto& input : inputs) {
      if (fl.layer.kind == LayerKind::input && fl.layer.name == input.name) {
        std::get<InputAttrs>(fl.layer.attrs).sample_shape = input.sample_shape;
      }
    }
  }

  std::vector<json::GraphNode> graph;
  for (const auto& fl : file_layers) graph.push_back({fl.layer.name, fl.inputs});
  Network net(name, batch, dtype);
  for (size_t index : json::topological_order(graph)) {
    Layer layer = std::move(file_layers[index].layer);
    for (const auto& input : file_layers[index].inputs) layer.inputs.push_back(*net.find(input));
    net.add(std::move(layer));
  }
  net.infer_shapes();
  net.set_unmodelled_nodes(std::move(left_out));
  return net;
}

}  // namespace

Network parse_network_json(const std::string& text, const std::string& display_name,
                           const ImportOptions& options) {
  try {
    return build_network(json::parse_strict(text), display_name, options);
  } catch (...) {
    rethrow_with_context(display_name);
  }
}

Network read_network_json(const std::string& path, const ImportOptions& options) {
  return parse_network_json(read_text_file(path), path, options);
}

}  // namespace np
