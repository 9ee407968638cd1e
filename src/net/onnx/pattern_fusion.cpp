#include "pattern_fusion.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "attributes.hpp"
#include "op_handlers.hpp"
#include "shape_ops.hpp"

namespace np::onnx_import {
namespace {

class GraphIndex {
 public:
  GraphIndex(const onnx::GraphProto& graph, const std::unordered_set<std::string>& constants,
             const ScalarLookup& scalar)
      : graph_(graph), constants_(constants), scalar_(scalar) {
    for (int i = 0; i < graph.node_size(); ++i) {
      for (const auto& out : graph.node(i).output()) producer_[out] = i;
      for (const auto& in : graph.node(i).input()) consumers_[in].push_back(i);
    }
    for (const auto& out : graph.output()) outputs_.insert(out.name());
  }

  const onnx::NodeProto& node(int i) const { return graph_.node(i); }
  // Input or output k of node i, "" when the node has fewer (a malformed file).
  const std::string& input(int i, int k) const {
    return k < node(i).input_size() ? node(i).input(k) : none_;
  }
  const std::string& output(int i) const {
    return node(i).output_size() > 0 ? node(i).output(0) : none_;
  }
  bool is(int i, const char* op) const {
    return i >= 0 && node(i).op_type() == op && node(i).domain().empty();
  }
  bool is_constant(const std::string& name) const { return constants_.count(name) != 0; }

  int producer(const std::string& name) const {
    const auto it = producer_.find(name);
    return it == producer_.end() ? -1 : it->second;
  }
  // The one node reading `name`, when nothing else (no other node, no graph output) does.
  int only_consumer(const std::string& name) const {
    const auto it = consumers_.find(name);
    if (name.empty() || it == consumers_.end() || it->second.size() != 1 || outputs_.count(name)) {
      return -1;
    }
    return it->second[0];
  }
  // The other operand of a two-input node one of whose inputs is `name`.
  std::string other_operand(int i, const std::string& name) const {
    const auto& n = node(i);
    if (n.input_size() != 2) return {};
    if (n.input(0) == name && n.input(1) != name) return n.input(1);
    if (n.input(1) == name && n.input(0) != name) return n.input(0);
    return {};
  }
  // A constant whose value, when the file keeps it, is `value`.
  bool constant_near(const std::string& name, double value) const {
    if (name.empty() || !is_constant(name)) return false;
    const auto known = scalar_(name);
    return !known || std::fabs(*known - value) <= 1e-3 * std::fabs(value);
  }

 private:
  const onnx::GraphProto& graph_;
  const std::unordered_set<std::string>& constants_;
  const ScalarLookup& scalar_;
  const std::string none_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::unordered_set<std::string> outputs_;
};

// x / sqrt(2) or x * (1 / sqrt(2)) feeding the Erf; returns x.
std::string gelu_scaled_input(const GraphIndex& g, int scale) {
  const auto& n = g.node(scale);
  if (g.is(scale, "Div") && n.input_size() == 2 && !g.is_constant(n.input(0)) &&
      g.constant_near(n.input(1), std::sqrt(2.0))) {
    return n.input(0);
  }
  if (g.is(scale, "Mul") && n.input_size() == 2) {
    for (int k = 0; k < 2; ++k) {
      if (!g.is_constant(n.input(k)) && g.constant_near(n.input(1 - k), std::sqrt(0.5))) {
        return n.input(k);
      }
    }
  }
  return {};
}

std::optional<Fusion> match_gelu(const GraphIndex& g, int erf) {
  const int scale = g.producer(g.input(erf, 0));
  if (scale < 0 || g.only_consumer(g.output(scale)) != erf) return std::nullopt;
  const std::string x = gelu_scaled_input(g, scale);
  if (x.empty()) return std::nullopt;
  const int plus_one = g.only_consumer(g.output(erf));
  if (!g.is(plus_one, "Add") || !g.constant_near(g.other_operand(plus_one, g.output(erf)), 1.0)) {
    return std::nullopt;
  }
  const std::string sum = g.output(plus_one);
  const int product = g.only_consumer(sum);
  if (!g.is(product, "Mul")) return std::nullopt;
  const std::string other = g.other_operand(product, sum);
  Fusion f;
  f.kind = FusionKind::gelu;
  f.primary = erf;
  f.input = x;
  if (other == x) {  // (x * (1 + erf)) * 0.5
    const int half = g.only_consumer(g.output(product));
    if (!g.is(half, "Mul") || !g.constant_near(g.other_operand(half, g.output(product)), 0.5)) {
      return std::nullopt;
    }
    f.nodes = {scale, erf, plus_one, product, half};
  } else {  // (x * 0.5) * (1 + erf)
    const int half = g.producer(other);
    if (!g.is(half, "Mul") || g.only_consumer(other) != product ||
        !g.constant_near(g.other_operand(half, x), 0.5)) {
      return std::nullopt;
    }
    f.nodes = {half, scale, erf, plus_one, product};
  }
  return f;
}

// x * sigmoid(x), or x * hardsigmoid(x) with torch's slope of 1/6 (hard-swish).
std::optional<Fusion> match_gated_by_self(const GraphIndex& g, int gate) {
  const std::string& x = g.input(gate, 0);
  const int product = g.only_consumer(g.output(gate));
  if (x.empty() || !g.is(product, "Mul") || g.other_operand(product, g.output(gate)) != x ||
      g.is_constant(x)) {
    return std::nullopt;
  }
  Fusion f;
  f.kind = FusionKind::silu;
  if (g.is(gate, "HardSigmoid")) {
    const auto* alpha = find_attribute(g.node(gate), "alpha");
    const auto* beta = find_attribute(g.node(gate), "beta");
    const bool torch_slope = alpha && std::fabs(alpha->f() - 1.0 / 6.0) < 1e-4;
    const bool torch_offset = !beta || std::fabs(beta->f() - 0.5) < 1e-4;
    if (!torch_slope || !torch_offset) return std::nullopt;
    f.kind = FusionKind::hard_swish;
  }
  f.primary = gate;
  f.input = x;
  f.nodes = {gate, product};
  return f;
}

std::optional<Fusion> match_matmul_bias(const GraphIndex& g, int matmul) {
  const auto& n = g.node(matmul);
  if (n.input_size() != 2 || g.is_constant(n.input(0)) || !g.is_constant(n.input(1))) {
    return std::nullopt;
  }
  const int add = g.only_consumer(g.output(matmul));
  if (!g.is(add, "Add")) return std::nullopt;
  const std::string bias = g.other_operand(add, g.output(matmul));
  if (bias.empty() || !g.is_constant(bias)) return std::nullopt;
  Fusion f;
  f.kind = FusionKind::matmul_bias;
  f.primary = matmul;
  f.input = n.input(0);
  f.bias = bias;
  f.nodes = {matmul, add};
  return f;
}

// The module scope the fused nodes share ("/features/features.1/block/block.4"), else the
// primary node's name.
std::string fused_name(const onnx::GraphProto& graph, const Fusion& f) {
  std::string prefix = graph.node(f.nodes[0]).name();
  for (int i : f.nodes) {
    const std::string& name = graph.node(i).name();
    size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n]) ++n;
    prefix.resize(n);
  }
  const size_t slash = prefix.rfind('/');
  prefix = slash == std::string::npos ? "" : prefix.substr(0, slash);
  if (prefix.empty()) return node_display_name(graph.node(f.primary));
  return prefix;
}

}  // namespace

std::vector<Fusion> find_fusions(const onnx::GraphProto& graph,
                                 const std::unordered_set<std::string>& constants,
                                 const ScalarLookup& scalar) {
  const GraphIndex g(graph, constants, scalar);
  std::vector<Fusion> fusions;
  std::vector<bool> claimed(static_cast<size_t>(graph.node_size()), false);
  const auto take = [&](std::optional<Fusion> f) {
    if (!f) return;
    for (int i : f->nodes) {
      if (claimed[static_cast<size_t>(i)]) return;
    }
    for (int i : f->nodes) claimed[static_cast<size_t>(i)] = true;
    f->anchor = *std::max_element(f->nodes.begin(), f->nodes.end());
    fusions.push_back(std::move(*f));
  };
  for (int i = 0; i < graph.node_size(); ++i) {
    if (g.is(i, "Erf")) take(match_gelu(g, i));
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    if (g.is(i, "Sigmoid") || g.is(i, "HardSigmoid")) take(match_gated_by_self(g, i));
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    if (g.is(i, "MatMul")) take(match_matmul_bias(g, i));
  }
  return fusions;
}

void emit_fusion(Context& ctx, const onnx::GraphProto& graph, const Fusion& fusion) {
  const std::string& output = graph.node(fusion.anchor).output(0);
  const std::string name = fused_name(graph, fusion);
  if (fusion.kind == FusionKind::matmul_bias) {
    Layer fc = matmul_layer(ctx, graph.node(fusion.primary));
    const Shape& bias = ctx.tensor(fusion.bias).shape;
    const int64_t n = std::get<FcAttrs>(fc.attrs).out_features;
    const bool is_bias = !bias.empty() && bias.back() == n && count_elements(bias) == n;
    if (is_bias) {
      fc.name = name;
      fc.op = "MatMul+Add";
      std::get<FcAttrs>(fc.attrs).bias = true;
      ctx.emit(std::move(fc), output);
      return;
    }
    // Not a bias vector: keep the Add as its own layer.
    const int id = ctx.emit(std::move(fc), "");
    EltwiseAttrs add;
    add.constant_operands.push_back(bias);
    ctx.emit(node_layer(graph.node(fusion.anchor), LayerKind::add, add, {id}), output);
    return;
  }
  Layer layer;
  layer.name = name;
  layer.kind = LayerKind::act;
  if (fusion.kind == FusionKind::gelu) {
    layer.op = "Gelu(erf)";
    layer.attrs = make_activation("gelu");
  } else if (fusion.kind == FusionKind::silu) {
    layer.op = "SiLU";
    layer.attrs = make_activation("silu");
  } else {
    layer.op = "HardSwish(x*HardSigmoid)";
    layer.attrs = make_activation("hard_swish");
  }
  layer.inputs = {ctx.layer_of(fusion.input)};
  ctx.emit(std::move(layer), output);
}

}  // namespace np::onnx_import
