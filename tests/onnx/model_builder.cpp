#include "model_builder.hpp"

namespace np::test {

ModelBuilder::ModelBuilder(int64_t opset, const std::string& graph_name) {
  model_.set_ir_version(8);
  model_.set_producer_name("np_test_onnx");
  auto* entry = model_.add_opset_import();
  entry->set_domain("");
  entry->set_version(opset);
  model_.mutable_graph()->set_name(graph_name);
}

ModelBuilder& ModelBuilder::input(const std::string& name, const std::vector<Dim>& dims,
                                  int32_t elem_type) {
  auto* info = model_.mutable_graph()->add_input();
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(elem_type);
  auto* shape = tensor->mutable_shape();
  for (const Dim& d : dims) {
    auto* dim = shape->add_dim();
    if (d.param.empty()) {
      dim->set_dim_value(d.value);
    } else {
      dim->set_dim_param(d.param);
    }
  }
  return *this;
}

ModelBuilder& ModelBuilder::weight(const std::string& name, const std::vector<int64_t>& dims) {
  return weight(name, dims, onnx::TensorProto::FLOAT);
}

ModelBuilder& ModelBuilder::weight(const std::string& name, const std::vector<int64_t>& dims,
                                   int32_t elem_type) {
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(elem_type);
  for (int64_t d : dims) t->add_dims(d);
  return *this;
}

ModelBuilder& ModelBuilder::zero_point(const std::string& name, int32_t elem_type,
                                       const std::vector<int64_t>& dims) {
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(elem_type);
  int64_t count = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    count *= d;
  }
  for (int64_t i = 0; i < count; ++i) t->add_int32_data(0);
  return *this;
}

ModelBuilder& ModelBuilder::ints(const std::string& name, const std::vector<int64_t>& values,
                                 std::vector<int64_t> dims) {
  if (dims == std::vector<int64_t>{-1}) dims = {static_cast<int64_t>(values.size())};
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
  return *this;
}

ModelBuilder& ModelBuilder::floats(const std::string& name, const std::vector<float>& values,
                                   std::vector<int64_t> dims) {
  if (dims == std::vector<int64_t>{-1}) dims = {static_cast<int64_t>(values.size())};
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
  return *this;
}

onnx::NodeProto& ModelBuilder::node(const std::string& op, const std::vector<std::string>& inputs,
                                    const std::vector<std::string>& outputs,
                                    const std::string& name) {
  auto* n = model_.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& in : inputs) n->add_input(in);
  for (const auto& out : outputs) n->add_output(out);
  return *n;
}

ModelBuilder& ModelBuilder::output(const std::string& name) {
  auto* info = model_.mutable_graph()->add_output();
  info->set_name(name);
  info->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return *this;
}

std::string ModelBuilder::bytes() const { return model_.SerializeAsString(); }

namespace {
onnx::AttributeProto* add(onnx::NodeProto& node, const std::string& name,
                          onnx::AttributeProto_AttributeType type) {
  auto* attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(type);
  return attr;
}
}  // namespace

void set_attribute(onnx::NodeProto& node, const std::string& name, int64_t value) {
  add(node, name, onnx::AttributeProto_AttributeType_INT)->set_i(value);
}

void set_attribute(onnx::NodeProto& node, const std::string& name,
                   const std::vector<int64_t>& values) {
  auto* attr = add(node, name, onnx::AttributeProto_AttributeType_INTS);
  for (int64_t v : values) attr->add_ints(v);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, float value) {
  add(node, name, onnx::AttributeProto_AttributeType_FLOAT)->set_f(value);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, const std::string& value) {
  add(node, name, onnx::AttributeProto_AttributeType_STRING)->set_s(value);
}

}  // namespace np::test
