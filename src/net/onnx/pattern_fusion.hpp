#pragma once
// Subgraphs torch exports for one PyTorch module, mapped to one layer: the erf form of GELU
// (x * 0.5 * (1 + erf(x / sqrt 2)), any operand order), SiLU (x * sigmoid(x)), hard-swish
// before opset 14 (x * hardsigmoid(x) with slope 1/6) and a Linear on a tensor of rank > 2
// (MatMul by a constant, then Add of a constant bias).
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "import_context.hpp"

namespace np::onnx_import {

enum class FusionKind { gelu, silu, hard_swish, matmul_bias };

struct Fusion {
  FusionKind kind = FusionKind::gelu;
  std::vector<int> nodes;  // indices into graph.node(); none of their inner outputs leaks
  int anchor = -1;         // the last node: where the layer is emitted
  int primary = -1;        // the node that names the pattern in messages (Erf, Sigmoid, MatMul)
  std::string input;       // the data tensor the pattern reads
  std::string bias;        // matmul_bias: the constant added
};

// Known scalar value of a constant tensor (initializer or Constant node), if any.
using ScalarLookup = std::function<std::optional<double>(const std::string&)>;

// `constants`: names of tensors that do not depend on the inputs.
std::vector<Fusion> find_fusions(const onnx::GraphProto& graph,
                                 const std::unordered_set<std::string>& constants,
                                 const ScalarLookup& scalar);

// Emits the layer(s) of a fusion when the main loop reaches its anchor.
void emit_fusion(Context& ctx, const onnx::GraphProto& graph, const Fusion& fusion);

}  // namespace np::onnx_import
