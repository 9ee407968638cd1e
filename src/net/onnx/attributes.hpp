#pragma once
// Typed access to a node's attributes; a present attribute of the wrong type is an error.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace np::onnx_import {

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name);

std::optional<int64_t> int_attribute(const onnx::NodeProto& node, const std::string& name);
int64_t int_attribute(const onnx::NodeProto& node, const std::string& name, int64_t fallback);
std::optional<double> float_attribute(const onnx::NodeProto& node, const std::string& name);
double float_attribute(const onnx::NodeProto& node, const std::string& name, double fallback);
std::string string_attribute(const onnx::NodeProto& node, const std::string& name,
                             const std::string& fallback);
std::optional<std::vector<int64_t>> ints_attribute(const onnx::NodeProto& node,
                                                   const std::string& name);
// Ints attribute that must have `count` entries when present.
std::vector<int64_t> ints_attribute(const onnx::NodeProto& node, const std::string& name,
                                    const std::vector<int64_t>& fallback);

}  // namespace np::onnx_import
