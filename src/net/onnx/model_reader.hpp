#pragma once
// Parsing an ONNX file: anything that is not a model (empty, truncated, another format) is a
// one-line np::Error, never a crash.
#include <cstdint>
#include <string>

#include "onnx/onnx_pb.h"

namespace np::onnx_import {

onnx::ModelProto parse_model(const std::string& bytes, const std::string& display_name);

// The opset of the default (ai.onnx) domain.
int64_t default_opset(const onnx::ModelProto& model);

}  // namespace np::onnx_import
