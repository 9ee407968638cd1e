#pragma once
// A network: a DAG of layers kept in topological order (every input id is smaller than the
// layer's own id), with shapes inferred from the input shapes and one batch size.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "neuralpower/layer.hpp"

namespace np {

// Nodes of the source graph that no layer stands for: a detector's data-dependent
// post-processing (boxes selected by score, non-maximum suppression), whose work depends on the
// image, and everything that reads it. Listed with their share of the graph in every output;
// no cost is counted for them.
struct UnmodelledNodes {
  std::map<std::string, int64_t> ops;  // op type -> nodes left out
  std::string first;                   // the first node left out: where the modelled part ends
  int64_t graph_nodes = 0;             // compute nodes of the source graph (Constant excluded)

  int64_t count() const;
  bool empty() const { return ops.empty(); }
  // "2,310 of 2,595 graph nodes (89.0%) from 'NAME' on: NonZero 6, TopK 3, ..."
  std::string summary() const;
};

class Network {
 public:
  Network() = default;
  Network(std::string name, int64_t batch, DataType dtype = DataType::fp32);

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  int64_t batch() const { return batch_; }
  DataType dtype() const { return dtype_; }
  void set_dtype(DataType dtype) { dtype_ = dtype; }
  // The data type layer `id` computes in: its own, else the network's.
  DataType dtype_of(int id) const { return layer(id).dtype.value_or(dtype_); }
  // Layers whose own data type differs from the network's (int8 layers of a QDQ graph).
  int layers_in_other_dtypes() const;

  // Appends a layer; its inputs must name earlier layers and its name must be new and
  // non-empty. Returns its id. Shapes are not inferred here (call infer_shapes).
  int add(Layer layer);

  const std::vector<Layer>& layers() const { return layers_; }
  const Layer& layer(int id) const { return layers_.at(static_cast<size_t>(id)); }
  Layer& mutable_layer(int id) { return layers_.at(static_cast<size_t>(id)); }
  int size() const { return static_cast<int>(layers_.size()); }
  std::optional<int> find(const std::string& name) const;

  // Computes every output_shape from the input layers' sample shapes and the batch; throws
  // np::Error naming the layer on an inconsistency (channel mismatch, empty output, ...).
  void infer_shapes();
  // Sets the batch and re-infers shapes.
  void set_batch(int64_t batch);
  // False when an input has no batch dim (InputAttrs::batched): the batch is then 1 for good.
  bool has_batch_dim() const;

  // Layers of kind `unknown` (imported with --allow-unknown): listed as unmodelled.
  std::vector<std::string> unmodelled_layers() const;
  // The source graph's nodes left out (a detector's post-processing); empty for most networks.
  const UnmodelledNodes& unmodelled_nodes() const { return unmodelled_nodes_; }
  void set_unmodelled_nodes(UnmodelledNodes nodes) { unmodelled_nodes_ = std::move(nodes); }

 private:
  std::string name_;
  int64_t batch_ = 1;
  DataType dtype_ = DataType::fp32;
  std::vector<Layer> layers_;
  std::unordered_map<std::string, int> index_;
  UnmodelledNodes unmodelled_nodes_;
};

// A transpose as a plain permutation of a plain tensor: one that moves dim 0 permutes each
// replica, i.e. the input viewed as [replicas, leading_in, ...] by a permutation of rank + 1.
// Backends and reference ops run this.
struct PlainTranspose {
  Shape input;
  std::vector<int64_t> perm;
};
PlainTranspose plain_transpose(const TransposeAttrs& attrs, const Shape& input);

// Output shape of one layer given its input shapes (used by infer_shapes and by importers to
// cross-check a source's own shape information).
Shape infer_output_shape(const Layer& layer, const std::vector<Shape>& input_shapes, int64_t batch);

}  // namespace np
