#pragma once
// Small ONNX models built in the tests with onnx's protobuf classes.
#include <cstdint>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace np::test {

// A dim of a graph input: a value (possibly bad on purpose), or a named dynamic dim.
struct Dim {
  Dim(int64_t v) : value(v) {}      // NOLINT: dims read best as plain numbers
  Dim(const char* p) : param(p) {}  // NOLINT
  int64_t value = 0;
  std::string param;
};

class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 17, const std::string& graph_name = "test");

  ModelBuilder& input(const std::string& name, const std::vector<Dim>& dims,
                      int32_t elem_type = onnx::TensorProto::FLOAT);
  // A float initializer with dims only, as in weight-free files.
  ModelBuilder& weight(const std::string& name, const std::vector<int64_t>& dims);
  // An initializer of another element type (an int8 weight, an int32 bias), dims only.
  ModelBuilder& weight(const std::string& name, const std::vector<int64_t>& dims,
                       int32_t elem_type);
  // An 8-bit zero point with data (int8, or uint8 with `elem_type`); dims {} for a scalar.
  ModelBuilder& zero_point(const std::string& name, int32_t elem_type = onnx::TensorProto::INT8,
                           const std::vector<int64_t>& dims = {});
  // Initializers with data; dims default to a vector of the values.
  ModelBuilder& ints(const std::string& name, const std::vector<int64_t>& values,
                     std::vector<int64_t> dims = {-1});
  ModelBuilder& floats(const std::string& name, const std::vector<float>& values,
                       std::vector<int64_t> dims = {-1});
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "");
  ModelBuilder& output(const std::string& name);

  onnx::ModelProto& proto() { return model_; }
  std::string bytes() const;

 private:
  onnx::ModelProto model_;
};

void set_attribute(onnx::NodeProto& node, const std::string& name, int64_t value);
void set_attribute(onnx::NodeProto& node, const std::string& name,
                   const std::vector<int64_t>& values);
void set_attribute(onnx::NodeProto& node, const std::string& name, float value);
void set_attribute(onnx::NodeProto& node, const std::string& name, const std::string& value);

}  // namespace np::test
