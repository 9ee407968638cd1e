#pragma once
// The layer vocabulary of the network IR. Kind names (to_string) are the stable names used in
// every output: show, predict, datasets and model files.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "neuralpower/shape.hpp"

namespace np {

enum class LayerKind {
  input,
  conv,
  pool,
  fc,
  matmul,  // a product of two activations (attention), or of an activation and a constant tensor
  bn,
  act,
  add,
  mul,
  max,
  concat,
  lrn,
  softmax,
  layernorm,
  transpose,  // moves data: costs bytes, no FLOPs
  slice,      // a contiguous part along one axis (ShuffleNet's channel split): costs bytes
  resize,     // spatial up- or downsampling (segmentation heads, FPN): nearest or bilinear
  reshape,    // zero cost from here on: views, no data movement in inference
  flatten,
  dropout,
  identity,
  cast,
  unknown,  // an op the IR does not model, kept only with --allow-unknown, costs zero
};

std::string_view to_string(LayerKind kind);
// Throws np::Error naming the text when it is not a kind name.
LayerKind layer_kind_from_string(std::string_view name);
// Kinds whose cost is zero by definition (views and inference no-ops).
bool is_zero_cost(LayerKind kind);

enum class DataType { fp32, fp16, bf16, int8 };
std::string_view to_string(DataType type);
DataType data_type_from_string(std::string_view name);
int64_t element_bytes(DataType type);

struct InputAttrs {
  Shape sample_shape;  // shape without the batch dim, e.g. {3, 224, 224}
  // false: the input has no batch dim (a detector's one image, C x H x W, which the graph itself
  // stacks into a batch of one); sample_shape is then its whole shape and the network's batch is
  // 1, for good.
  bool batched = true;
};

// The sliding window conv and pool share: kernel, stride and padding over height and width.
struct Window {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

  bool has_padding() const { return pad_top || pad_left || pad_bottom || pad_right; }
  // Sets the window part of a ConvAttrs or PoolAttrs.
  void set_window(const Window& window) { *this = window; }
};

struct ConvAttrs : Window {
  int64_t out_channels = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  bool bias = true;
  // Weights an earlier layer also reads and counts (RetinaNet's heads, one set applied to
  // every FPN level): read here, not counted again among the parameters.
  bool shared_weights = false;
};

enum class PoolMode { max, avg };
struct PoolAttrs : Window {
  PoolMode mode = PoolMode::max;
  bool global = false;  // kernel = whole spatial extent
  bool ceil_mode = false;
  bool count_include_pad = false;
};

// y = x W (+ b) over the last dim of the input; a rank > 2 input keeps its leading dims
// (MatMul on [N, H, W, C]); Gemm and Linear give rank-2 inputs.
struct FcAttrs {
  int64_t out_features = 0;
  bool bias = true;
};

// Y = op(A) op(B) over the last two dims, numpy-style broadcasting over the leading ones
// (ONNX MatMul, attention's Q Kᵀ and A V). op transposes the last two dims of an operand
// when its flag is set. A is the first input; B the second input, or, when the layer has one
// input, a constant tensor of shape `constant_b` (a weight: parameters, read). Both inputs keep
// dim 0 aligned with the output's (same rank), so every shape scales with the batch.
struct MatmulAttrs {
  bool transpose_a = false;
  bool transpose_b = false;
  Shape constant_b;  // empty when B is a layer
};

struct BnAttrs {
  double epsilon = 1e-5;
};

enum class Activation {
  relu,
  leaky_relu,
  clip,  // relu6 is clip(0, 6)
  sigmoid,
  hard_sigmoid,
  hard_swish,
  gelu,
  silu,
  tanh,
};
std::string_view to_string(Activation fn);
Activation activation_from_string(std::string_view name);  // accepts "relu6" as clip(0,6)

struct ActAttrs {
  Activation function = Activation::relu;
  double alpha = 0.0;  // leaky slope, clip min, hard-sigmoid alpha
  double beta = 0.0;   // clip max, hard-sigmoid beta
};
// An activation by name with the usual defaults: relu6 = clip(0, 6), leaky_relu slope 0.01,
// hard_sigmoid 0.2x + 0.5 (ONNX), clip(0, 6) when no bounds are given.
ActAttrs make_activation(std::string_view name);

// add, mul, max: numpy-style broadcasting over all inputs. Operands that are weights (a
// layer-scale vector, a constant bias) are listed here: they count as parameters and are read.
struct EltwiseAttrs {
  std::vector<Shape> constant_operands;
  // Indices into constant_operands of tensors an earlier layer also reads and already counts as
  // its parameters (one scalar initializer shared by many nodes, as converted TF models have):
  // read here, not counted twice.
  std::vector<size_t> shared_operands = {};
};

// Constant operands (ViT's class token) come before the layer inputs along the axis. Each
// is one sample's tensor (dim 0 is 1) broadcast over dim 0: its elements are parameters.
struct ConcatAttrs {
  int64_t axis = 1;  // non-negative after import
  std::vector<Shape> constant_operands;
};

struct LrnAttrs {
  int64_t size = 5;
  double alpha = 1e-4, beta = 0.75, bias = 1.0;
};

struct SoftmaxAttrs {
  int64_t axis = -1;
};

struct LayerNormAttrs {
  int64_t axis = -1;  // normalised over dims [axis, rank)
  double epsilon = 1e-5;
  bool affine = true;  // has scale and bias of the normalised shape
};

// A network at batch B runs B / (file batch) replicas of the network as imported, each
// replica's tensors stacked along dim 0. A layer that keeps dim 0 (every layer but the two
// below) is the same either way; a transpose or reshape that moves dim 0 (attention heads and
// window partitioning put tokens, heads or windows in front) records its input's dim 0 of one
// replica as `leading_in` and works per replica, so that every shape stays a function of the
// batch and set_batch re-infers it exactly: dim 0 of such a layer is replicas x its dim 0 at
// the file's batch. Costs scale exactly linearly with the batch.

struct TransposeAttrs {
  std::vector<int64_t> perm;
  int64_t leading_in = 0;  // > 0 exactly when perm[0] != 0: the input's dim 0 per replica
};

struct SliceAttrs {
  int64_t axis = 1;  // never 0
  int64_t start = 0, end = 0,
          step = 1;  // end is clamped to the dim; negative values count from the end
};

// Scales height and width of an NCHW tensor (ONNX Resize and Upsample, torch's interpolate):
// to out_height x out_width when they are set (constant `sizes`), else to floor(in x scale)
// (constant `scales`). Batch and channels keep their size. Cost does not depend on the
// coordinate mapping (half_pixel, asymmetric, align_corners), so the IR keeps only the mode;
// the backends run half-pixel centres, as torch's align_corners=False does.
enum class ResizeMode { nearest, linear };
std::string_view to_string(ResizeMode mode);
ResizeMode resize_mode_from_string(std::string_view name);

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::nearest;
  int64_t out_height = 0, out_width = 0;  // 0: from the scales
  double scale_h = 0.0, scale_w = 0.0;    // used when out_height and out_width are 0
};

// Output sample shape (batch excluded); one -1 is inferred. Flatten is reshape to {-1}.
// A reshape that changes dim 0 (Swin's 1x8x8x7x7x96 to 64x49x96) has `leading_in` > 0, the
// input's dim 0 per replica, and `sample_shape` is then the whole output of one replica.
struct ReshapeAttrs {
  Shape sample_shape;
  int64_t leading_in = 0;
};

// An op the IR does not model (kept with --allow-unknown): its output sample shape comes
// from the source's own shape information.
struct UnknownAttrs {
  Shape sample_shape;
};

struct NoAttrs {};

using LayerAttrs =
    std::variant<NoAttrs, InputAttrs, ConvAttrs, PoolAttrs, FcAttrs, MatmulAttrs, BnAttrs, ActAttrs,
                 EltwiseAttrs, ConcatAttrs, LrnAttrs, SoftmaxAttrs, LayerNormAttrs, TransposeAttrs,
                 SliceAttrs, ResizeAttrs, ReshapeAttrs, UnknownAttrs>;

struct Layer {
  std::string name;
  LayerKind kind = LayerKind::identity;
  std::string op;           // the source's op name ("Conv", "MaxPool", "Convolution"), for display
  std::vector<int> inputs;  // ids of earlier layers
  LayerAttrs attrs;
  Shape output_shape;  // set by Network::infer_shapes
  // The layer's own data type where it differs from the network's: int8 for a layer of a
  // quantized (QDQ) ONNX graph whose inputs all come through DequantizeLinear.
  std::optional<DataType> dtype = std::nullopt;
};

}  // namespace np
