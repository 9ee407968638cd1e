#pragma once
// What the ONNX importer knows about one tensor of the graph: either data (computed from the
// network's inputs by a layer) or a constant (weights, shape arithmetic) with its shape and,
// when the file holds them and they are few enough, its values.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/shape.hpp"

namespace np::onnx_import {

// Constants with more elements than this keep their shape only: shape arithmetic never needs
// more, and weights are costed from their dims.
inline constexpr int64_t kMaxFoldedElements = int64_t{1} << 20;

struct Values {
  bool integral = true;       // ints (int, bool and index types) or reals (float types)
  std::vector<int64_t> ints;  // when integral
  std::vector<double> reals;  // when not
  size_t size() const { return integral ? ints.size() : reals.size(); }
  double real(size_t i) const { return integral ? static_cast<double>(ints[i]) : reals[i]; }
  // Throws np::Error when a real value is not an integer inside int64's range.
  int64_t integer(size_t i) const;
};

// Spatial padding of a Pad node, waiting to be folded into the conv or pool that reads it.
struct PendingPad {
  std::string node;
  int64_t top = 0, left = 0, bottom = 0, right = 0;
};

// A Transpose that moves dim 0 and that only Gathers along the new dim 0 read (Swin's q, k, v
// taken from one [3, windows, heads, tokens, dim] tensor): each Gather becomes a slice of the
// transpose's input and a transpose of the rest, so that dim 0 stays the batch's.
struct PendingTranspose {
  std::string node;
  std::vector<int64_t> perm;
};

struct Tensor {
  bool is_data = false;
  int layer = -1;         // data: the layer producing it (before any pending pad)
  Shape shape;            // full shape; data has the batch at dim 0; constants may hold zeros
  int32_t elem_type = 0;  // onnx::TensorProto_DataType
  std::optional<Values> values;               // constants only
  std::optional<PendingPad> pad;              // data only
  std::optional<PendingTranspose> transpose;  // data only; `layer` is the transpose's input
  // Data computed by nodes left out (a detector's post-processing): no layer, `layer` is -1.
  bool unmodelled = false;
  // The output of an ONNX Constant node (attention's 1/sqrt(d)): a number of the graph, not a
  // weight of the model (weights are initializers).
  bool graph_constant = false;
  // 8-bit integers in the file (a QuantizeLinear's output, or a DequantizeLinear's of one):
  // the op reading it runs in int8 once a runtime fuses the pair (QDQ format).
  bool int8 = false;
  // The integers themselves: a QuantizeLinear's output not yet dequantized.
  bool quantized = false;
};

}  // namespace np::onnx_import
