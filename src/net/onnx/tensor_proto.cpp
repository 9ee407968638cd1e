#include "tensor_proto.hpp"

#include <cmath>
#include <cstring>

#include "attributes.hpp"
#include "neuralpower/error.hpp"
#include "shape_ops.hpp"

namespace np::onnx_import {
namespace {

using onnx::TensorProto;

size_t raw_element_size(int32_t type) {
  switch (type) {
    case TensorProto::INT64:
    case TensorProto::UINT64:
    case TensorProto::DOUBLE:
      return 8;
    case TensorProto::INT32:
    case TensorProto::UINT32:
    case TensorProto::FLOAT:
      return 4;
    case TensorProto::INT16:
    case TensorProto::UINT16:
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
      return 2;
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      return 1;
    default:
      return 0;
  }
}

template <typename T>
T load(const std::string& raw, size_t index) {
  T value;
  std::memcpy(&value, raw.data() + index * sizeof(T), sizeof(T));
  return value;
}

Values raw_values(const std::string& raw, int32_t type, size_t count) {
  Values v;
  v.integral = is_integral_type(type);
  for (size_t i = 0; i < count; ++i) {
    switch (type) {
      case TensorProto::INT64:
        v.ints.push_back(load<int64_t>(raw, i));
        break;
      case TensorProto::UINT64: {
        const uint64_t u = load<uint64_t>(raw, i);
        v.ints.push_back(u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX
                                                              : static_cast<int64_t>(u));
        break;
      }
      case TensorProto::INT32:
        v.ints.push_back(load<int32_t>(raw, i));
        break;
      case TensorProto::UINT32:
        v.ints.push_back(load<uint32_t>(raw, i));
        break;
      case TensorProto::INT16:
        v.ints.push_back(load<int16_t>(raw, i));
        break;
      case TensorProto::UINT16:
        v.ints.push_back(load<uint16_t>(raw, i));
        break;
      case TensorProto::INT8:
        v.ints.push_back(load<int8_t>(raw, i));
        break;
      case TensorProto::UINT8:
      case TensorProto::BOOL:
        v.ints.push_back(load<uint8_t>(raw, i));
        break;
      case TensorProto::FLOAT:
        v.reals.push_back(load<float>(raw, i));
        break;
      case TensorProto::DOUBLE:
        v.reals.push_back(load<double>(raw, i));
        break;
      default:
        break;
    }
  }
  return v;
}

// Values from the typed repeated fields; nullopt when the field for the type is empty.
std::optional<Values> field_values(const TensorProto& proto, size_t count) {
  Values v;
  v.integral = is_integral_type(proto.data_type());
  switch (proto.data_type()) {
    case TensorProto::INT64:
      if (proto.int64_data_size() == 0) return std::nullopt;
      v.ints.assign(proto.int64_data().begin(), proto.int64_data().end());
      break;
    case TensorProto::UINT32:
    case TensorProto::UINT64:
      if (proto.uint64_data_size() == 0) return std::nullopt;
      for (uint64_t u : proto.uint64_data()) {
        v.ints.push_back(u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX
                                                              : static_cast<int64_t>(u));
      }
      break;
    case TensorProto::INT32:
    case TensorProto::INT16:
    case TensorProto::UINT16:
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      if (proto.int32_data_size() == 0) return std::nullopt;
      v.ints.assign(proto.int32_data().begin(), proto.int32_data().end());
      break;
    case TensorProto::FLOAT:
      if (proto.float_data_size() == 0) return std::nullopt;
      v.reals.assign(proto.float_data().begin(), proto.float_data().end());
      break;
    case TensorProto::DOUBLE:
      if (proto.double_data_size() == 0) return std::nullopt;
      v.reals.assign(proto.double_data().begin(), proto.double_data().end());
      break;
    default:
      return std::nullopt;
  }
  if (v.size() != count) {
    throw Error("holds " + std::to_string(v.size()) + " values, its dims need " +
                std::to_string(count));
  }
  return v;
}

}  // namespace

int64_t Values::integer(size_t i) const {
  if (integral) return ints[i];
  const double r = reals[i];
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  if (!std::isfinite(r) || r >= 9223372036854775808.0 || r < -9223372036854775808.0) {
    throw Error("value " + std::to_string(r) + " is not a valid integer");
  }
  return static_cast<int64_t>(r);
}

bool is_integral_type(int32_t elem_type) {
  switch (elem_type) {
    case TensorProto::FLOAT:
    case TensorProto::DOUBLE:
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
    case TensorProto::COMPLEX64:
    case TensorProto::COMPLEX128:
    case TensorProto::STRING:
    case TensorProto::UNDEFINED:
      return false;
    default:
      return true;
  }
}

void check_raw_data_size(const TensorProto& proto) {
  if (proto.raw_data().empty() || proto.data_location() == TensorProto::EXTERNAL) return;
  const size_t element = raw_element_size(proto.data_type());
  if (element == 0) return;  // no fixed size: neither reader takes its values
  const Shape dims(proto.dims().begin(), proto.dims().end());
  const auto needed = static_cast<size_t>(count_elements(dims)) * element;
  if (proto.raw_data().size() != needed) {
    throw Error("holds " + std::to_string(proto.raw_data().size()) + " bytes, its dims " +
                shape_to_string(dims) + " need " + std::to_string(needed));
  }
}

Tensor read_tensor_proto(const TensorProto& proto, const std::string& what) {
  try {
    Tensor t;
    t.elem_type = proto.data_type();
    t.shape.assign(proto.dims().begin(), proto.dims().end());
    const int64_t count = count_elements(t.shape);
    if (t.shape.size() > 8) {
      throw Error("has " + std::to_string(t.shape.size()) + " dims");
    }
    if (proto.data_location() == TensorProto::EXTERNAL) return t;  // values stay in their file
    check_raw_data_size(proto);
    if (count == 0) {
      t.values = Values{is_integral_type(t.elem_type), {}, {}};
      return t;
    }
    const auto n = static_cast<size_t>(count);
    if (proto.has_raw_data() && !proto.raw_data().empty()) {
      const size_t element = raw_element_size(t.elem_type);
      const bool foldable = t.elem_type != TensorProto::FLOAT16 &&
                            t.elem_type != TensorProto::BFLOAT16 && element != 0;
      if (foldable && count <= kMaxFoldedElements) {
        t.values = raw_values(proto.raw_data(), t.elem_type, n);
      }
      return t;
    }
    if (count <= kMaxFoldedElements) t.values = field_values(proto, n);
    return t;
  } catch (...) {
    rethrow_with_context(what);
  }
}

Tensor read_constant_node(const onnx::NodeProto& node) {
  Tensor t;
  if (const auto* attr = find_attribute(node, "value")) {
    return read_tensor_proto(attr->t(), "its value");
  }
  if (auto i = int_attribute(node, "value_int")) {
    t.elem_type = TensorProto::INT64;
    t.values = Values{true, {*i}, {}};
    return t;
  }
  if (auto ints = ints_attribute(node, "value_ints")) {
    if (static_cast<int64_t>(ints->size()) > kMaxFoldedElements) throw Error("too many values");
    t.elem_type = TensorProto::INT64;
    t.shape = {static_cast<int64_t>(ints->size())};
    t.values = Values{true, *ints, {}};
    return t;
  }
  if (auto f = float_attribute(node, "value_float")) {
    t.elem_type = TensorProto::FLOAT;
    t.values = Values{false, {}, {*f}};
    return t;
  }
  if (const auto* attr = find_attribute(node, "value_floats")) {
    t.elem_type = TensorProto::FLOAT;
    t.shape = {static_cast<int64_t>(attr->floats_size())};
    t.values = Values{false, {}, {attr->floats().begin(), attr->floats().end()}};
    return t;
  }
  if (const auto* attr = find_attribute(node, "sparse_value")) {
    t.elem_type = attr->sparse_tensor().values().data_type();
    t.shape.assign(attr->sparse_tensor().dims().begin(), attr->sparse_tensor().dims().end());
    count_elements(t.shape);
    return t;
  }
  throw Error("Constant has no value attribute this importer reads");
}

}  // namespace np::onnx_import
