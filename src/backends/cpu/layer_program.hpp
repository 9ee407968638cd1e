#pragma once
// One IR layer as a short list of oneDNN primitives with their arguments bound, built once and
// executed many times. Used for single layers (prepare) and for whole networks alike, so a
// layer costs the same work in both.
#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cpu/dnnl_support.hpp"
#include "neuralpower/network.hpp"

namespace np::cpu {

struct CpuContext {
  dnnl::engine engine;
  dnnl::stream stream;
  dnnl::memory::data_type type = dnnl::memory::data_type::f32;
  MemoryBudget budget;
};

// An activation tensor: its IR shape, its layout and the memory (descriptor + buffer) holding it.
struct TensorRef {
  Shape shape;
  Layout layout = Layout::plain;
  dnnl::memory memory;
};

// The layout of a layer's output given its inputs' (see Layout): convolutions produce
// channels-last, layers that work on any layout keep their input's, the rest are plain.
Layout output_layout(const Layer& layer, const std::vector<Shape>& input_shapes,
                     const std::vector<Layout>& input_layouts);
// The output layout of every layer of a network, in order.
std::vector<Layout> network_layouts(const Network& net);
// The layout a network run hands `layer` an input of `shape` in, for a layer measured alone
// (its inputs are network inputs there): channels-last for a rank-4 feature map of more than 4
// channels read by a kind that follows convolutions in CNNs (conv, pool, bn, act, lrn, concat,
// residual adds, squeeze-and-excitation products) or by an NCHW->NHWC transpose; plain for
// images (4 channels or fewer), for a tensor scaled by constants, and for fc, softmax,
// layernorm, slice and other transposes, whose inputs come from plain layers (flatten, matmul,
// a permute, ShuffleNet's channel shuffle). tests/backends/cpu_layouts_test.cpp holds the rule
// against the layouts of every zoo network.
Layout handed_input_layout(const Layer& layer, const Shape& shape);
// The layouts of a layer's inputs when it is prepared alone in `net`: the network's own for
// inputs computed by other layers, handed_input_layout for network inputs.
std::vector<Layout> prepared_input_layouts(const Network& net, int layer_id);

// Kinds whose output is their input seen through another descriptor, without any work, when
// the input's layout allows it (a reshape of a channels-last tensor needs a reorder).
bool output_is_view(const Layer& layer, const std::vector<TensorRef>& inputs);
// The view for such a layer.
TensorRef view_output(const Layer& layer, const TensorRef& input, Layout layout);
// Kinds whose output is data, not computed: input layers and unmodelled (`unknown`) layers.
bool output_is_data(const Layer& layer);

struct LayerProgram {
  void execute(dnnl::stream& stream) const;
  bool empty() const { return steps.empty(); }
  // The implementations of the primitives, e.g. "brgconv:avx512_core" or
  // "reorder:jit:uni+brgconv:avx512_core"; "none" when the layer does no work.
  std::string algorithm() const;

  struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, dnnl::memory> args;
    std::string implementation;
  };
  std::vector<Step> steps;
  std::vector<dnnl::memory> owned;  // weights, temporaries and scratchpads the steps use
};

// Builds the primitives computing `layer` from `inputs` into `output` (allocated by the
// caller with output_layout's layout). Weights and constants are filled with the canonical
// test data. Throws UnsupportedLayer or DeviceOutOfMemory with the reason.
LayerProgram build_layer(CpuContext& ctx, const Layer& layer, const std::vector<TensorRef>& inputs,
                         const TensorRef& output);

// Writes values given in canonical order (plain, fp32) into the tensor, whatever its layout
// and data type; and reads them back the same way.
void write_tensor(CpuContext& ctx, const dnnl::memory& memory, const Shape& shape,
                  const std::vector<float>& values);
std::vector<float> read_tensor(CpuContext& ctx, const TensorRef& tensor);

}  // namespace np::cpu
