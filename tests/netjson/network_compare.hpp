#pragma once
// Field-by-field comparison of two networks, as text so that a failure shows what differs.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <type_traits>

#include "neuralpower/network.hpp"

namespace np::test {

inline std::string exact(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

inline std::string dims(const Shape& shape) { return "[" + shape_to_string(shape) + "]"; }

// Every field of the attributes. Kinds whose attributes the IR never reads (flatten, dropout,
// identity, cast) describe as nothing, whatever alternative an importer stored.
inline std::string describe_attrs(const Layer& layer) {
  switch (layer.kind) {
    case LayerKind::flatten:
    case LayerKind::dropout:
    case LayerKind::identity:
    case LayerKind::cast:
      return "";
    default:
      break;
  }
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, NoAttrs>) {
          return "none";
        } else if constexpr (std::is_same_v<T, InputAttrs>) {
          return "input " + dims(a.sample_shape) + (a.batched ? "" : " unbatched");
        } else if constexpr (std::is_same_v<T, ConvAttrs>) {
          return "conv out=" + std::to_string(a.out_channels) + " k=" + std::to_string(a.kernel_h) +
                 "," + std::to_string(a.kernel_w) + " s=" + std::to_string(a.stride_h) + "," +
                 std::to_string(a.stride_w) + " p=" + std::to_string(a.pad_top) + "," +
                 std::to_string(a.pad_left) + "," + std::to_string(a.pad_bottom) + "," +
                 std::to_string(a.pad_right) + " d=" + std::to_string(a.dilation_h) + "," +
                 std::to_string(a.dilation_w) + " g=" + std::to_string(a.groups) +
                 " bias=" + std::to_string(a.bias) + " shared=" + std::to_string(a.shared_weights);
        } else if constexpr (std::is_same_v<T, PoolAttrs>) {
          return "pool mode=" + std::to_string(static_cast<int>(a.mode)) +
                 " global=" + std::to_string(a.global) + " k=" + std::to_string(a.kernel_h) + "," +
                 std::to_string(a.kernel_w) + " s=" + std::to_string(a.stride_h) + "," +
                 std::to_string(a.stride_w) + " p=" + std::to_string(a.pad_top) + "," +
                 std::to_string(a.pad_left) + "," + std::to_string(a.pad_bottom) + "," +
                 std::to_string(a.pad_right) + " ceil=" + std::to_string(a.ceil_mode) +
                 " include_pad=" + std::to_string(a.count_include_pad);
        } else if constexpr (std::is_same_v<T, FcAttrs>) {
          return "fc out=" + std::to_string(a.out_features) + " bias=" + std::to_string(a.bias);
        } else if constexpr (std::is_same_v<T, BnAttrs>) {
          return "bn eps=" + exact(a.epsilon);
        } else if constexpr (std::is_same_v<T, ActAttrs>) {
          return "act " + std::string(to_string(a.function)) + " alpha=" + exact(a.alpha) +
                 " beta=" + exact(a.beta);
        } else if constexpr (std::is_same_v<T, EltwiseAttrs>) {
          std::string text = "eltwise";
          for (const auto& s : a.constant_operands) text += " " + dims(s);
          return text;
        } else if constexpr (std::is_same_v<T, ConcatAttrs>) {
          std::string text = "concat axis=" + std::to_string(a.axis);
          for (const auto& s : a.constant_operands) text += " " + dims(s);
          return text;
        } else if constexpr (std::is_same_v<T, MatmulAttrs>) {
          return "matmul ta=" + std::to_string(a.transpose_a) +
                 " tb=" + std::to_string(a.transpose_b) + " b=" + dims(a.constant_b);
        } else if constexpr (std::is_same_v<T, LrnAttrs>) {
          return "lrn size=" + std::to_string(a.size) + " alpha=" + exact(a.alpha) +
                 " beta=" + exact(a.beta) + " bias=" + exact(a.bias);
        } else if constexpr (std::is_same_v<T, SoftmaxAttrs>) {
          return "softmax axis=" + std::to_string(a.axis);
        } else if constexpr (std::is_same_v<T, LayerNormAttrs>) {
          return "layernorm axis=" + std::to_string(a.axis) + " eps=" + exact(a.epsilon) +
                 " affine=" + std::to_string(a.affine);
        } else if constexpr (std::is_same_v<T, TransposeAttrs>) {
          std::string text = "transpose";
          for (auto p : a.perm) text += " " + std::to_string(p);
          return text + " leading_in " + std::to_string(a.leading_in);
        } else if constexpr (std::is_same_v<T, SliceAttrs>) {
          return "slice axis=" + std::to_string(a.axis) + " " + std::to_string(a.start) + ":" +
                 std::to_string(a.end) + ":" + std::to_string(a.step);
        } else if constexpr (std::is_same_v<T, ResizeAttrs>) {
          return "resize " + std::string(to_string(a.mode)) + " " + std::to_string(a.out_height) +
                 "x" + std::to_string(a.out_width) + " scale " + exact(a.scale_h) + "x" +
                 exact(a.scale_w);
        } else if constexpr (std::is_same_v<T, ReshapeAttrs>) {
          return "reshape " + dims(a.sample_shape) + " leading_in " + std::to_string(a.leading_in);
        } else {
          static_assert(std::is_same_v<T, UnknownAttrs>);
          return "unknown " + dims(a.sample_shape);
        }
      },
      layer.attrs);
}

inline std::string describe_layer(const Network& net, int id) {
  const Layer& layer = net.layer(id);
  std::string text = "'" + layer.name + "' " + std::string(to_string(layer.kind)) + " op='" +
                     layer.op + "' inputs=";
  for (int input : layer.inputs) text += net.layer(input).name + ";";
  return text + " " + describe_attrs(layer) + " -> " + dims(layer.output_shape);
}

inline void expect_same_network(const Network& expected, const Network& actual) {
  EXPECT_EQ(expected.name(), actual.name());
  EXPECT_EQ(expected.batch(), actual.batch());
  EXPECT_EQ(expected.dtype(), actual.dtype());
  ASSERT_EQ(expected.size(), actual.size());
  for (int id = 0; id < expected.size(); ++id) {
    EXPECT_EQ(describe_layer(expected, id), describe_layer(actual, id)) << "layer #" << id;
  }
}

}  // namespace np::test
