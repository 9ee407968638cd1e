// Writer of our JSON network format: one layer per line, defaults left out, so that files
// stay readable and diffable; reading the output gives back the same network.
#include "net/json/network_json_format.hpp"
#include "net/json/shape_values.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/network_json.hpp"

namespace np {
namespace {

using json::Json;

// A value on one line with a space after ':' and ',': {"a": [1, 2], "b": "x"}.
void append_inline(const Json& value, std::string& out) {
  if (value.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& item : value.items()) {
      out += first ? "" : ", ";
      first = false;
      out += Json(item.key()).dump() + ": ";
      append_inline(item.value(), out);
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    for (size_t i = 0; i < value.size(); ++i) {
      if (i) out += ", ";
      append_inline(value[i], out);
    }
    out += ']';
  } else {
    out += value.dump();
  }
}

Json height_width(int64_t h, int64_t w) { return h == w ? Json(h) : Json::array({h, w}); }

Json pads(int64_t top, int64_t left, int64_t bottom, int64_t right) {
  if (top == bottom && left == right) return height_width(top, left);
  return Json::array({top, left, bottom, right});
}

template <typename Attrs>
const Attrs& attrs_of(const Layer& layer) {
  const auto* attrs = std::get_if<Attrs>(&layer.attrs);
  if (!attrs) {
    throw Error("its attributes do not match its kind " + std::string(to_string(layer.kind)));
  }
  return *attrs;
}

void write_pads(const Window& w, Json& out) {
  if (w.has_padding()) out["pad"] = pads(w.pad_top, w.pad_left, w.pad_bottom, w.pad_right);
}

void write_conv(const ConvAttrs& a, Json& out) {
  out["out_channels"] = a.out_channels;
  out["kernel"] = height_width(a.kernel_h, a.kernel_w);
  if (a.stride_h != 1 || a.stride_w != 1) out["stride"] = height_width(a.stride_h, a.stride_w);
  write_pads(a, out);
  if (a.dilation_h != 1 || a.dilation_w != 1) {
    out["dilation"] = height_width(a.dilation_h, a.dilation_w);
  }
  if (a.groups != 1) out["groups"] = a.groups;
  if (!a.bias) out["bias"] = false;
  if (a.shared_weights) out["shared_weights"] = true;
}

void write_pool(const PoolAttrs& a, Json& out) {
  out["mode"] = a.mode == PoolMode::max ? "max" : "avg";
  if (a.global) out["global"] = true;
  const bool default_window =
      a.kernel_h == 1 && a.kernel_w == 1 && a.stride_h == 1 && a.stride_w == 1;
  if (!a.global || !default_window) {
    out["kernel"] = height_width(a.kernel_h, a.kernel_w);
    out["stride"] = height_width(a.stride_h, a.stride_w);
  }
  write_pads(a, out);
  if (a.ceil_mode) out["ceil_mode"] = true;
  if (a.count_include_pad) out["count_include_pad"] = true;
}

void write_act(const ActAttrs& a, Json& out) {
  const std::string function(to_string(a.function));
  out["function"] = function;
  const ActAttrs defaults = make_activation(function);
  if (a.alpha != defaults.alpha) out["alpha"] = a.alpha;
  if (a.beta != defaults.beta) out["beta"] = a.beta;
}

void write_attrs(const Layer& layer, Json& out) {
  switch (layer.kind) {
    case LayerKind::input:
      out["shape"] = attrs_of<InputAttrs>(layer).sample_shape;
      if (!attrs_of<InputAttrs>(layer).batched) out["batched"] = false;
      break;
    case LayerKind::conv:
      write_conv(attrs_of<ConvAttrs>(layer), out);
      break;
    case LayerKind::pool:
      write_pool(attrs_of<PoolAttrs>(layer), out);
      break;
    case LayerKind::fc: {
      const auto& a = attrs_of<FcAttrs>(layer);
      out["out_features"] = a.out_features;
      if (!a.bias) out["bias"] = false;
      break;
    }
    case LayerKind::matmul: {
      const auto& a = attrs_of<MatmulAttrs>(layer);
      if (a.transpose_a) out["transpose_a"] = true;
      if (a.transpose_b) out["transpose_b"] = true;
      if (!a.constant_b.empty()) out["constant_b"] = a.constant_b;
      break;
    }
    case LayerKind::bn: {
      const auto& a = attrs_of<BnAttrs>(layer);
      if (a.epsilon != json::kDefaultBn.epsilon) out["epsilon"] = a.epsilon;
      break;
    }
    case LayerKind::act:
      write_act(attrs_of<ActAttrs>(layer), out);
      break;
    case LayerKind::add:
    case LayerKind::mul:
    case LayerKind::max: {
      const auto& a = attrs_of<EltwiseAttrs>(layer);
      if (!a.constant_operands.empty()) out["constant_operands"] = a.constant_operands;
      if (!a.shared_operands.empty()) out["shared_constant_operands"] = a.shared_operands;
      break;
    }
    case LayerKind::concat: {
      const auto& a = attrs_of<ConcatAttrs>(layer);
      if (a.axis != json::kDefaultConcatAxis) out["axis"] = a.axis;
      if (!a.constant_operands.empty()) out["constant_operands"] = a.constant_operands;
      break;
    }
    case LayerKind::lrn: {
      const auto& a = attrs_of<LrnAttrs>(layer);
      const auto& d = json::kDefaultLrn;
      if (a.size != d.size) out["size"] = a.size;
      if (a.alpha != d.alpha) out["alpha"] = a.alpha;
      if (a.beta != d.beta) out["beta"] = a.beta;
      if (a.bias != d.bias) out["bias"] = a.bias;
      break;
    }
    case LayerKind::softmax: {
      const auto& a = attrs_of<SoftmaxAttrs>(layer);
      if (a.axis != json::kDefaultSoftmaxAxis) out["axis"] = a.axis;
      break;
    }
    case LayerKind::layernorm: {
      const auto& a = attrs_of<LayerNormAttrs>(layer);
      const auto& d = json::kDefaultLayerNorm;
      if (a.axis != d.axis) out["axis"] = a.axis;
      if (a.epsilon != d.epsilon) out["epsilon"] = a.epsilon;
      if (a.affine != d.affine) out["affine"] = a.affine;
      break;
    }
    case LayerKind::transpose: {
      const auto& a = attrs_of<TransposeAttrs>(layer);
      out["perm"] = a.perm;
      if (a.leading_in > 0) out["leading_in"] = a.leading_in;
      break;
    }
    case LayerKind::slice: {
      const auto& a = attrs_of<SliceAttrs>(layer);
      out["axis"] = a.axis;
      out["start"] = a.start;
      out["end"] = a.end;
      if (a.step != json::kDefaultSliceStep) out["step"] = a.step;
      break;
    }
    case LayerKind::resize: {
      const auto& a = attrs_of<ResizeAttrs>(layer);
      out["mode"] = to_string(a.mode);
      if (a.out_height > 0) {
        out["size"] = height_width(a.out_height, a.out_width);
      } else {
        out["scale"] =
            a.scale_h == a.scale_w ? Json(a.scale_h) : Json::array({a.scale_h, a.scale_w});
      }
      break;
    }
    case LayerKind::reshape: {
      const auto& a = attrs_of<ReshapeAttrs>(layer);
      out["shape"] = a.sample_shape;
      if (a.leading_in > 0) out["leading_in"] = a.leading_in;
      break;
    }
    case LayerKind::unknown:
      out["shape"] = attrs_of<UnknownAttrs>(layer).sample_shape;
      break;
    case LayerKind::flatten:
    case LayerKind::dropout:
    case LayerKind::identity:
    case LayerKind::cast:
      break;
  }
}

Json layer_json(const Network& net, int id) {
  const Layer& layer = net.layer(id);
  Json out = Json::object();
  out["name"] = layer.name;
  out["kind"] = to_string(layer.kind);
  if (!layer.op.empty()) out["op"] = layer.op;
  // An omitted "inputs" means the previous layer, so only other wiring is written out.
  const bool reads_previous = layer.inputs.size() == 1 && layer.inputs[0] == id - 1;
  if (layer.kind != LayerKind::input && !reads_previous) {
    Json inputs = Json::array();
    for (int input : layer.inputs) inputs.push_back(net.layer(input).name);
    out["inputs"] = std::move(inputs);
  }
  write_attrs(layer, out);
  if (layer.dtype) out["dtype"] = to_string(*layer.dtype);
  return out;
}

}  // namespace

std::string write_network_json(const Network& net) {
  try {
    std::string out = "{\n";
    out += "  \"format\": " + Json(json::kFormatName).dump() + ",\n";
    out += "  \"version\": " + std::to_string(json::kFormatVersion) + ",\n";
    out += "  \"name\": " + Json(net.name()).dump() + ",\n";
    out += "  \"batch\": " + std::to_string(net.batch()) + ",\n";
    out += "  \"dtype\": " + Json(to_string(net.dtype())).dump() + ",\n";
    if (const UnmodelledNodes& left_out = net.unmodelled_nodes(); !left_out.empty()) {
      Json nodes = {
          {"first", left_out.first}, {"graph_nodes", left_out.graph_nodes}, {"ops", left_out.ops}};
      out += "  \"unmodelled_nodes\": ";
      append_inline(nodes, out);
      out += ",\n";
    }
    out += "  \"layers\": [\n";
    for (int id = 0; id < net.size(); ++id) {
      out += "    ";
      try {
        append_inline(layer_json(net, id), out);
      } catch (...) {
        rethrow_with_context("layer '" + net.layer(id).name + "' (" +
                             std::string(to_string(net.layer(id).kind)) + ")");
      }
      out += id + 1 < net.size() ? ",\n" : "\n";
    }
    out += "  ]\n}\n";
    return out;
  } catch (...) {
    rethrow_with_context("writing network '" + net.name() + "' as JSON");
  }
}

}  // namespace np
