#include "neuralpower/layer.hpp"

#include <array>
#include <utility>

#include "neuralpower/error.hpp"

namespace np {
namespace {

constexpr std::array<std::pair<LayerKind, std::string_view>, 23> kKindNames{{
    {LayerKind::input, "input"},
    {LayerKind::conv, "conv"},
    {LayerKind::pool, "pool"},
    {LayerKind::fc, "fc"},
    {LayerKind::matmul, "matmul"},
    {LayerKind::bn, "bn"},
    {LayerKind::act, "act"},
    {LayerKind::add, "add"},
    {LayerKind::mul, "mul"},
    {LayerKind::max, "max"},
    {LayerKind::concat, "concat"},
    {LayerKind::lrn, "lrn"},
    {LayerKind::softmax, "softmax"},
    {LayerKind::layernorm, "layernorm"},
    {LayerKind::transpose, "transpose"},
    {LayerKind::slice, "slice"},
    {LayerKind::resize, "resize"},
    {LayerKind::reshape, "reshape"},
    {LayerKind::flatten, "flatten"},
    {LayerKind::dropout, "dropout"},
    {LayerKind::identity, "identity"},
    {LayerKind::cast, "cast"},
    {LayerKind::unknown, "unknown"},
}};

constexpr std::array<std::pair<Activation, std::string_view>, 9> kActivationNames{{
    {Activation::relu, "relu"},
    {Activation::leaky_relu, "leaky_relu"},
    {Activation::clip, "clip"},
    {Activation::sigmoid, "sigmoid"},
    {Activation::hard_sigmoid, "hard_sigmoid"},
    {Activation::hard_swish, "hard_swish"},
    {Activation::gelu, "gelu"},
    {Activation::silu, "silu"},
    {Activation::tanh, "tanh"},
}};

constexpr std::array<std::pair<ResizeMode, std::string_view>, 2> kResizeModeNames{{
    {ResizeMode::nearest, "nearest"},
    {ResizeMode::linear, "linear"},
}};

constexpr std::array<std::pair<DataType, std::string_view>, 4> kTypeNames{{
    {DataType::fp32, "fp32"},
    {DataType::fp16, "fp16"},
    {DataType::bf16, "bf16"},
    {DataType::int8, "int8"},
}};

template <typename Enum, size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table,
                         Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename Enum, size_t N>
Enum value_of(const std::array<std::pair<Enum, std::string_view>, N>& table, std::string_view name,
              const char* what) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  std::string known;
  for (const auto& [v, n] : table) known += (known.empty() ? "" : ", ") + std::string(n);
  throw Error(std::string("unknown ") + what + " '" + std::string(name) + "' (known: " + known +
              ")");
}

}  // namespace

std::string_view to_string(LayerKind kind) { return name_of(kKindNames, kind); }
LayerKind layer_kind_from_string(std::string_view name) {
  return value_of(kKindNames, name, "layer kind");
}

bool is_zero_cost(LayerKind kind) {
  switch (kind) {
    case LayerKind::input:
    case LayerKind::reshape:
    case LayerKind::flatten:
    case LayerKind::dropout:
    case LayerKind::identity:
    case LayerKind::cast:
    case LayerKind::unknown:
      return true;
    default:
      return false;
  }
}

std::string_view to_string(Activation fn) { return name_of(kActivationNames, fn); }
Activation activation_from_string(std::string_view name) {
  if (name == "relu6") return Activation::clip;
  return value_of(kActivationNames, name, "activation");
}

ActAttrs make_activation(std::string_view name) {
  ActAttrs attrs;
  attrs.function = activation_from_string(name);
  switch (attrs.function) {
    case Activation::clip:
      attrs.alpha = 0.0;
      attrs.beta = 6.0;
      break;
    case Activation::leaky_relu:
      attrs.alpha = 0.01;
      break;
    case Activation::hard_sigmoid:
      attrs.alpha = 0.2;
      attrs.beta = 0.5;
      break;
    default:
      break;
  }
  return attrs;
}

std::string_view to_string(ResizeMode mode) { return name_of(kResizeModeNames, mode); }
ResizeMode resize_mode_from_string(std::string_view name) {
  return value_of(kResizeModeNames, name, "resize mode");
}

std::string_view to_string(DataType type) { return name_of(kTypeNames, type); }
DataType data_type_from_string(std::string_view name) {
  return value_of(kTypeNames, name, "data type");
}

int64_t element_bytes(DataType type) {
  switch (type) {
    case DataType::fp32:
      return 4;
    case DataType::fp16:
    case DataType::bf16:
      return 2;
    case DataType::int8:
      return 1;
  }
  return 4;
}

}  // namespace np
