#pragma once
// The state of one import: what is known about every tensor so far, the layers emitted, and
// ONNX's own shape inference to cross-check them against.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "neuralpower/error.hpp"
#include "neuralpower/import_options.hpp"
#include "neuralpower/layer.hpp"
#include "neuralpower/network.hpp"
#include "onnx/onnx_pb.h"
#include "tensor.hpp"

namespace np::onnx_import {

// Shapes from ONNX shape inference, by tensor name; -1 marks a dim it left unknown.
using InferredShapes = std::unordered_map<std::string, std::vector<int64_t>>;

// An op, or a form of one, that the IR does not model. The importer reports it as an error,
// or with --allow-unknown keeps the node as a zero-cost `unknown` layer.
class Unsupported : public Error {
 public:
  using Error::Error;
};

// The node's name, else its first output's name (torch leaves old exports unnamed).
std::string node_display_name(const onnx::NodeProto& node);
// "onnx node 'NAME' (OP)", the prefix of every message about a node.
std::string node_label(const onnx::NodeProto& node);
// Whether the node's op is of ONNX's default domain ("" or "ai.onnx").
bool default_domain(const onnx::NodeProto& node);

class Context {
 public:
  Context(const ImportOptions& options, int64_t opset, int64_t batch, InferredShapes inferred);

  const ImportOptions& options() const { return options_; }
  int64_t opset() const { return opset_; }
  int64_t batch() const { return batch_; }

  bool knows(const std::string& name) const { return tensors_.count(name) != 0; }
  const Tensor& tensor(const std::string& name) const;
  void define(const std::string& name, Tensor tensor);

  // Input k of the node; nullptr when absent or left empty (an omitted optional input).
  const Tensor* input(const onnx::NodeProto& node, int k) const;
  const Tensor& required_input(const onnx::NodeProto& node, int k) const;
  // All inputs, nullptr for the absent ones.
  std::vector<const Tensor*> inputs(const onnx::NodeProto& node) const;
  // A data input. A Pad waiting for its conv or pool is accepted only with `accept_pad`.
  const Tensor& data_input(const onnx::NodeProto& node, int k, bool accept_pad = false) const;
  // The layer producing a data tensor (no pending pad).
  int layer_of(const std::string& tensor_name) const;
  bool is_data(const onnx::NodeProto& node, int k) const;

  // Adds a layer: infers its output shape, checks it against ONNX's shape inference for
  // `output` and defines `output` as its data. An empty `output` marks an intermediate layer
  // of a node mapped to several. Returns the layer id.
  int emit(Layer layer, const std::string& output);

  // What reads each tensor: the op types of the nodes, "graph output" for an output.
  void set_readers(std::unordered_map<std::string, std::vector<std::string>> readers) {
    readers_ = std::move(readers);
  }
  const std::vector<std::string>& readers(const std::string& tensor) const;

  // The constant tensors an elementwise layer reads, in the order of its constant_operands, or a
  // conv's weight: a tensor shared by many nodes is counted once among the network's
  // parameters, by the first layer that stays in the network.
  void set_constant_operand_names(int layer, std::vector<std::string> names) {
    constant_operand_names_[layer] = std::move(names);
  }
  const std::vector<std::string>* constant_operand_names(int layer) const {
    const auto it = constant_operand_names_.find(layer);
    return it == constant_operand_names_.end() ? nullptr : &it->second;
  }

  // Leaves a node out (a detector's data-dependent post-processing, or a node reading its
  // output): its outputs become unmodelled data; the layers it reads stay in the network.
  void leave_out(const onnx::NodeProto& node);
  bool reads_unmodelled(const onnx::NodeProto& node) const;
  const UnmodelledNodes& left_out() const { return left_out_; }
  const std::vector<int>& layers_read_by_left_out() const { return read_by_left_out_; }

  // An Unsqueeze that puts a dim of 1 in front of a 3-dim input, which reaches it through layers
  // that keep its shape (a detector stacking its one normalised C x H x W image): that input
  // has no batch dim. The first such node, empty if none.
  void note_stacking(const onnx::NodeProto& node, int layer, const Shape& out);
  const std::string& stacking_node() const { return stacking_node_; }

  // Shape ONNX inferred for a tensor, nullptr when it has none.
  const std::vector<int64_t>* inferred(const std::string& name) const;
  const std::vector<Layer>& layers() const { return layers_; }
  // Gives the layers from `first` on their own data type (the layers of one quantized node).
  void set_dtype_from(size_t first, DataType dtype) {
    for (size_t i = first; i < layers_.size(); ++i) layers_[i].dtype = dtype;
  }

 private:
  std::string unique_name(const std::string& base);
  void cross_check(const std::string& output, const Layer& layer);

  const ImportOptions& options_;
  int64_t opset_;
  int64_t batch_;
  InferredShapes inferred_;
  bool trust_inferred_ = true;  // false once ONNX's inference is known to have diverged
  std::unordered_map<std::string, Tensor> tensors_;
  std::unordered_map<std::string, std::vector<std::string>> readers_;
  std::vector<Layer> layers_;
  std::unordered_set<std::string> layer_names_;
  std::unordered_map<int, std::vector<std::string>> constant_operand_names_;
  UnmodelledNodes left_out_;
  std::string stacking_node_;
  std::vector<int> read_by_left_out_;
};

}  // namespace np::onnx_import
