// One-layer networks and their canonical text (the dataset's `config` column).
#include <charconv>
#include <map>
#include <type_traits>

#include "neuralpower/config_text.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

std::string number(double v) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::string("nan");
}

std::string list(const std::vector<int64_t>& values, char separator) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    out += (i ? std::string(1, separator) : std::string()) + std::to_string(values[i]);
  }
  return out;
}

std::string pair(int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); }

// " k=3x3 s=1x1 p=1,1,1,1"
std::string window_text(const Window& w) {
  return " k=" + pair(w.kernel_h, w.kernel_w) + " s=" + pair(w.stride_h, w.stride_w) +
         " p=" + list({w.pad_top, w.pad_left, w.pad_bottom, w.pad_right}, ',');
}

std::string attributes(const LayerAttrs& attrs) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, ConvAttrs>) {
          return " out=" + std::to_string(a.out_channels) + window_text(a) +
                 " d=" + pair(a.dilation_h, a.dilation_w) + " g=" + std::to_string(a.groups) +
                 " bias=" + (a.bias ? "1" : "0");
        } else if constexpr (std::is_same_v<T, PoolAttrs>) {
          std::string text = std::string(" mode=") + (a.mode == PoolMode::max ? "max" : "avg");
          if (a.global) return text + " global";
          return text + window_text(a) + " ceil=" + (a.ceil_mode ? "1" : "0") +
                 " cip=" + (a.count_include_pad ? "1" : "0");
        } else if constexpr (std::is_same_v<T, FcAttrs>) {
          return " out=" + std::to_string(a.out_features) + " bias=" + (a.bias ? "1" : "0");
        } else if constexpr (std::is_same_v<T, MatmulAttrs>) {
          return std::string(" ta=") + (a.transpose_a ? "1" : "0") +
                 " tb=" + (a.transpose_b ? "1" : "0") +
                 (a.constant_b.empty() ? "" : " const=" + shape_to_string(a.constant_b));
        } else if constexpr (std::is_same_v<T, BnAttrs>) {
          return " eps=" + number(a.epsilon);
        } else if constexpr (std::is_same_v<T, ActAttrs>) {
          return " fn=" + std::string(to_string(a.function)) + " a=" + number(a.alpha) +
                 " b=" + number(a.beta);
        } else if constexpr (std::is_same_v<T, EltwiseAttrs>) {
          if (a.constant_operands.empty()) return "";
          std::string text = " const=";
          for (size_t i = 0; i < a.constant_operands.size(); ++i) {
            text += (i ? ";" : "") + shape_to_string(a.constant_operands[i]);
          }
          return text;
        } else if constexpr (std::is_same_v<T, ConcatAttrs>) {
          std::string text = " axis=" + std::to_string(a.axis);
          for (size_t i = 0; i < a.constant_operands.size(); ++i) {
            text += (i ? ";" : " const=") + shape_to_string(a.constant_operands[i]);
          }
          return text;
        } else if constexpr (std::is_same_v<T, LrnAttrs>) {
          return " size=" + std::to_string(a.size) + " alpha=" + number(a.alpha) +
                 " beta=" + number(a.beta) + " bias=" + number(a.bias);
        } else if constexpr (std::is_same_v<T, SoftmaxAttrs>) {
          return " axis=" + std::to_string(a.axis);
        } else if constexpr (std::is_same_v<T, LayerNormAttrs>) {
          return " axis=" + std::to_string(a.axis) + " eps=" + number(a.epsilon) +
                 " affine=" + (a.affine ? "1" : "0");
        } else if constexpr (std::is_same_v<T, TransposeAttrs>) {
          return " perm=" + list(a.perm, ',') +
                 (a.leading_in > 0 ? " leading_in=" + std::to_string(a.leading_in) : "");
        } else if constexpr (std::is_same_v<T, SliceAttrs>) {
          return " axis=" + std::to_string(a.axis) + " start=" + std::to_string(a.start) +
                 " end=" + std::to_string(a.end) + " step=" + std::to_string(a.step);
        } else if constexpr (std::is_same_v<T, ResizeAttrs>) {
          const std::string mode = " mode=" + std::string(to_string(a.mode));
          if (a.out_height > 0) return mode + " size=" + pair(a.out_height, a.out_width);
          return mode + " scale=" + number(a.scale_h) + "x" + number(a.scale_w);
        } else if constexpr (std::is_same_v<T, ReshapeAttrs>) {
          return " shape=" + shape_to_string(a.sample_shape) +
                 (a.leading_in > 0 ? " leading_in=" + std::to_string(a.leading_in) : "");
        } else if constexpr (std::is_same_v<T, UnknownAttrs>) {
          return " shape=" + shape_to_string(a.sample_shape);
        } else {
          return "";
        }
      },
      attrs);
}

}  // namespace

Network extract_layer(const Network& net, int id) {
  const Layer& layer = net.layer(id);
  if (layer.kind == LayerKind::input) {
    throw Error("layer '" + layer.name + "' of " + net.name() + " is an input, not a layer to run");
  }
  // The inputs' dim 0 is the batch of the layer run alone: the network's batch, or for a layer
  // behind one that moves dim 0 (attention heads, windows) the replicas' stacked dim 0.
  const int64_t batch =
      layer.inputs.empty() ? net.batch() : net.layer(layer.inputs[0]).output_shape.at(0);
  // A layer of its own data type (int8 in a QDQ graph) runs alone in that type.
  Network one(net.name() + "/" + layer.name, batch, net.dtype_of(id));
  std::map<int, int> mapped;  // source input id -> id in `one`; a repeated input stays one tensor
  Layer copy = layer;
  copy.inputs.clear();
  for (int input : layer.inputs) {
    auto it = mapped.find(input);
    if (it == mapped.end()) {
      const Shape& shape = net.layer(input).output_shape;
      if (!shape.empty() && shape[0] != batch) {
        throw Error("layer '" + layer.name + "': input '" + net.layer(input).name + "' of shape " +
                    shape_to_string(shape) + " has another dim 0 than " + std::to_string(batch) +
                    "; such a layer is not run alone");
      }
      if (shape.size() < 2) {
        throw Error("layer '" + layer.name + "': input '" + net.layer(input).name + "' of shape " +
                    shape_to_string(shape) + " has no sample dims");
      }
      Layer in;
      in.name = "x" + std::to_string(mapped.size());
      in.kind = LayerKind::input;
      in.op = "Input";
      in.attrs = InputAttrs{Shape(shape.begin() + 1, shape.end())};
      it = mapped.emplace(input, one.add(std::move(in))).first;
    }
    copy.inputs.push_back(it->second);
  }
  copy.name = std::string(to_string(layer.kind));
  copy.output_shape.clear();
  copy.dtype.reset();
  one.add(std::move(copy));
  one.infer_shapes();
  return one;
}

Network one_layer_network(const std::string& name, int64_t batch, DataType dtype,
                          const std::vector<Shape>& input_sample_shapes, LayerKind kind,
                          LayerAttrs attrs) {
  Network one(name, batch, dtype);
  Layer layer;
  for (const Shape& sample : input_sample_shapes) {
    Layer in;
    in.name = "x" + std::to_string(layer.inputs.size());
    in.kind = LayerKind::input;
    in.op = "Input";
    in.attrs = InputAttrs{sample};
    layer.inputs.push_back(one.add(std::move(in)));
  }
  layer.name = std::string(to_string(kind));
  layer.kind = kind;
  layer.op = "generated";
  layer.attrs = std::move(attrs);
  one.add(std::move(layer));
  one.infer_shapes();
  return one;
}

std::string config_text(const Network& one) {
  if (one.size() < 2) throw Error("config_text: '" + one.name() + "' has no layer to run");
  const Layer& layer = one.layer(one.size() - 1);
  std::string text = std::string(to_string(layer.kind)) + " in=";
  for (size_t i = 0; i < layer.inputs.size(); ++i) {
    text += (i ? ";" : "") + shape_to_string(one.layer(layer.inputs[i]).output_shape);
  }
  return text + attributes(layer.attrs) + " " + std::string(to_string(one.dtype()));
}

}  // namespace np
