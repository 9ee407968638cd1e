#include "attributes.hpp"

#include "neuralpower/error.hpp"

namespace np::onnx_import {
namespace {

const char* type_name(int type) {
  switch (type) {
    case onnx::AttributeProto_AttributeType_FLOAT:
      return "FLOAT";
    case onnx::AttributeProto_AttributeType_INT:
      return "INT";
    case onnx::AttributeProto_AttributeType_STRING:
      return "STRING";
    case onnx::AttributeProto_AttributeType_TENSOR:
      return "TENSOR";
    case onnx::AttributeProto_AttributeType_FLOATS:
      return "FLOATS";
    case onnx::AttributeProto_AttributeType_INTS:
      return "INTS";
    default:
      return "another type";
  }
}

const onnx::AttributeProto* typed(const onnx::NodeProto& node, const std::string& name,
                                  onnx::AttributeProto_AttributeType expected) {
  const onnx::AttributeProto* attr = find_attribute(node, name);
  if (attr && attr->type() != expected) {
    // Old exporters leave the type unset; trust the field that holds the value.
    const bool untyped = attr->type() == onnx::AttributeProto_AttributeType_UNDEFINED;
    if (!untyped) {
      throw Error("attribute '" + name + "' is " + type_name(attr->type()) + ", expected " +
                  type_name(expected));
    }
  }
  return attr;
}

}  // namespace

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& attr : node.attribute()) {
    if (attr.name() == name) return &attr;
  }
  return nullptr;
}

std::optional<int64_t> int_attribute(const onnx::NodeProto& node, const std::string& name) {
  const auto* attr = typed(node, name, onnx::AttributeProto_AttributeType_INT);
  if (!attr) return std::nullopt;
  return attr->i();
}

int64_t int_attribute(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  return int_attribute(node, name).value_or(fallback);
}

std::optional<double> float_attribute(const onnx::NodeProto& node, const std::string& name) {
  const auto* attr = typed(node, name, onnx::AttributeProto_AttributeType_FLOAT);
  if (!attr) return std::nullopt;
  return attr->f();
}

double float_attribute(const onnx::NodeProto& node, const std::string& name, double fallback) {
  return float_attribute(node, name).value_or(fallback);
}

std::string string_attribute(const onnx::NodeProto& node, const std::string& name,
                             const std::string& fallback) {
  const auto* attr = typed(node, name, onnx::AttributeProto_AttributeType_STRING);
  if (!attr) return fallback;
  return attr->s();
}

std::optional<std::vector<int64_t>> ints_attribute(const onnx::NodeProto& node,
                                                   const std::string& name) {
  const auto* attr = typed(node, name, onnx::AttributeProto_AttributeType_INTS);
  if (!attr) return std::nullopt;
  return std::vector<int64_t>(attr->ints().begin(), attr->ints().end());
}

std::vector<int64_t> ints_attribute(const onnx::NodeProto& node, const std::string& name,
                                    const std::vector<int64_t>& fallback) {
  auto values = ints_attribute(node, name);
  if (!values) return fallback;
  if (values->size() != fallback.size()) {
    throw Error("attribute '" + name + "' has " + std::to_string(values->size()) +
                " values, expected " + std::to_string(fallback.size()));
  }
  return *values;
}

}  // namespace np::onnx_import
