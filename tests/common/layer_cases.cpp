#include "common/layer_cases.hpp"

namespace np::test {

ConvAttrs conv_attrs(int64_t out, int64_t kernel, int64_t stride, int64_t pad, int64_t groups) {
  ConvAttrs a;
  a.out_channels = out;
  a.kernel_h = a.kernel_w = kernel;
  a.stride_h = a.stride_w = stride;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
  a.groups = groups;
  return a;
}

void PrintTo(const LayerCase& c, std::ostream* out) {
  *out << c.name << ": " << to_string(c.layer.kind) << " in";
  for (const auto& shape : c.inputs) *out << " " << shape_to_string(shape);
}

namespace {

ConvAttrs conv(int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t groups = 1) {
  return conv_attrs(out, k, stride, pad, groups);
}

PoolAttrs pool(PoolMode mode, int64_t k, int64_t stride, int64_t pad) {
  PoolAttrs a;
  a.mode = mode;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
  return a;
}

ActAttrs act(Activation fn, double alpha = 0, double beta = 0) {
  ActAttrs a;
  a.function = fn;
  a.alpha = alpha;
  a.beta = beta;
  return a;
}

LayerCase make_case(std::string name, LayerKind kind, LayerAttrs attrs, std::vector<Shape> inputs) {
  return {name, make_layer(name, kind, std::move(attrs)), std::move(inputs)};
}

// Convolutions: the paths of cuDNN's and oneDNN's algorithm choice (GEMM, Winograd, FFT on the
// larger ones), groups, depthwise, dilation, asymmetric padding (an explicit pad on cuda).
std::vector<LayerCase> conv_cases() {
  std::vector<LayerCase> cases;
  cases.push_back(make_case("conv3x3_pad1", LayerKind::conv, conv(8, 3, 1, 1), {{2, 5, 9, 9}}));
  cases.push_back(make_case("conv1x1_nobias", LayerKind::conv,
                            [] {
                              auto a = conv(16, 1, 1, 0);
                              a.bias = false;
                              return a;
                            }(),
                            {{1, 12, 7, 7}}));
  cases.push_back(make_case("conv_stride2_asymmetric_pad", LayerKind::conv,
                            [] {
                              auto a = conv(6, 3, 2, 0);
                              a.pad_top = 1, a.pad_left = 0, a.pad_bottom = 2, a.pad_right = 1;
                              return a;
                            }(),
                            {{1, 4, 10, 11}}));
  cases.push_back(make_case("conv_dilation2", LayerKind::conv,
                            [] {
                              auto a = conv(5, 3, 1, 2);
                              a.dilation_h = 2, a.dilation_w = 2;
                              return a;
                            }(),
                            {{1, 3, 12, 12}}));
  cases.push_back(make_case("conv_rect_kernel", LayerKind::conv,
                            [] {
                              auto a = conv(4, 1, 1, 0);
                              a.kernel_h = 5, a.kernel_w = 3, a.stride_h = 2, a.pad_top = 2;
                              a.pad_bottom = 2, a.pad_left = 1, a.pad_right = 1;
                              return a;
                            }(),
                            {{2, 3, 11, 8}}));
  cases.push_back(make_case("conv_groups2", LayerKind::conv, conv(8, 3, 1, 1, 2), {{1, 6, 8, 8}}));
  cases.push_back(
      make_case("conv_depthwise", LayerKind::conv, conv(16, 3, 2, 1, 16), {{2, 16, 10, 10}}));
  cases.push_back(
      make_case("conv_depthwise_7x7", LayerKind::conv, conv(8, 7, 1, 3, 8), {{1, 8, 9, 9}}));
  cases.push_back(
      make_case("conv_resnet_3x3", LayerKind::conv, conv(64, 3, 1, 1), {{2, 64, 28, 28}}));
  cases.push_back(
      make_case("conv_large_reduction", LayerKind::conv, conv(32, 3, 1, 1), {{1, 256, 6, 6}}));
  cases.push_back(make_case("conv_stem_7x7", LayerKind::conv, conv(16, 7, 2, 3), {{2, 3, 32, 32}}));
  return cases;
}

// Pooling: cuDNN for symmetric floor windows, a kernel of ours for ceil mode and asymmetric pads.
std::vector<LayerCase> pool_cases() {
  std::vector<LayerCase> cases;
  cases.push_back(
      make_case("maxpool_3s2p1", LayerKind::pool, pool(PoolMode::max, 3, 2, 1), {{2, 4, 11, 11}}));
  auto ceil_max = pool(PoolMode::max, 3, 2, 0);
  ceil_max.ceil_mode = true;
  cases.push_back(make_case("maxpool_ceil", LayerKind::pool, ceil_max, {{1, 3, 10, 10}}));
  auto avg_ex = pool(PoolMode::avg, 3, 2, 1);
  cases.push_back(make_case("avgpool_exclude_pad", LayerKind::pool, avg_ex, {{1, 3, 9, 9}}));
  auto avg_in = avg_ex;
  avg_in.count_include_pad = true;
  cases.push_back(make_case("avgpool_include_pad", LayerKind::pool, avg_in, {{1, 3, 9, 9}}));
  auto avg_in_ceil = pool(PoolMode::avg, 3, 2, 1);
  avg_in_ceil.count_include_pad = true;
  avg_in_ceil.ceil_mode = true;
  cases.push_back(
      make_case("avgpool_include_pad_ceil", LayerKind::pool, avg_in_ceil, {{1, 3, 10, 10}}));
  auto avg_ex_ceil = avg_in_ceil;
  avg_ex_ceil.count_include_pad = false;
  cases.push_back(
      make_case("avgpool_exclude_pad_ceil", LayerKind::pool, avg_ex_ceil, {{1, 3, 10, 10}}));
  auto asym = pool(PoolMode::max, 2, 2, 0);
  asym.pad_bottom = 1, asym.pad_right = 1;
  cases.push_back(make_case("maxpool_asymmetric_pad", LayerKind::pool, asym, {{1, 2, 7, 7}}));
  PoolAttrs global_avg;
  global_avg.mode = PoolMode::avg;
  global_avg.global = true;
  cases.push_back(make_case("global_avgpool", LayerKind::pool, global_avg, {{2, 8, 7, 5}}));
  PoolAttrs global_max = global_avg;
  global_max.mode = PoolMode::max;
  cases.push_back(make_case("global_maxpool", LayerKind::pool, global_max, {{2, 8, 6, 6}}));
  return cases;
}

// Fully connected, norms, softmax.
std::vector<LayerCase> fc_norm_cases() {
  std::vector<LayerCase> cases;
  cases.push_back(make_case("fc", LayerKind::fc, FcAttrs{10, true}, {{3, 20}}));
  cases.push_back(make_case("fc_nobias", LayerKind::fc, FcAttrs{7, false}, {{2, 33}}));
  cases.push_back(make_case("fc_rank4_last_dim", LayerKind::fc, FcAttrs{12, true}, {{2, 3, 4, 9}}));
  cases.push_back(make_case("fc_rank3", LayerKind::fc, FcAttrs{5, true}, {{2, 6, 8}}));
  cases.push_back(make_case("fc_classifier", LayerKind::fc, FcAttrs{1000, true}, {{4, 512}}));
  cases.push_back(make_case("bn", LayerKind::bn, BnAttrs{1e-5}, {{2, 6, 5, 5}}));
  cases.push_back(make_case("bn_rank2", LayerKind::bn, BnAttrs{1e-3}, {{4, 10}}));
  cases.push_back(make_case("bn_rank3", LayerKind::bn, BnAttrs{1e-5}, {{2, 3, 7}}));
  cases.push_back(make_case("lrn5", LayerKind::lrn, LrnAttrs{5, 0.5, 0.75, 1.0}, {{1, 9, 4, 4}}));
  cases.push_back(make_case("lrn3", LayerKind::lrn, LrnAttrs{3, 0.2, 0.5, 2.0}, {{2, 4, 3, 3}}));
  cases.push_back(make_case("softmax_rank2", LayerKind::softmax, SoftmaxAttrs{1}, {{3, 10}}));
  cases.push_back(
      make_case("softmax_channels", LayerKind::softmax, SoftmaxAttrs{1}, {{2, 5, 3, 3}}));
  cases.push_back(make_case("softmax_last", LayerKind::softmax, SoftmaxAttrs{-1}, {{2, 3, 4, 6}}));
  cases.push_back(make_case("softmax_middle", LayerKind::softmax, SoftmaxAttrs{1}, {{2, 7, 3}}));
  cases.push_back(make_case("layernorm_last", LayerKind::layernorm, LayerNormAttrs{-1, 1e-5, true},
                            {{2, 5, 16}}));
  cases.push_back(make_case("layernorm_chw", LayerKind::layernorm, LayerNormAttrs{1, 1e-6, true},
                            {{2, 4, 3, 3}}));
  cases.push_back(make_case("layernorm_long_rows", LayerKind::layernorm,
                            LayerNormAttrs{1, 1e-5, true}, {{2, 16, 24, 24}}));
  cases.push_back(make_case("layernorm_plain", LayerKind::layernorm,
                            LayerNormAttrs{-1, 1e-5, false}, {{3, 2, 4, 8}}));
  return cases;
}

// Activations: cuDNN's (relu, relu6, sigmoid, tanh) and a kernel of ours (the rest) on cuda.
std::vector<LayerCase> activation_cases() {
  std::vector<LayerCase> cases;
  const Shape x{2, 3, 5, 5};
  cases.push_back(make_case("relu", LayerKind::act, act(Activation::relu), {x}));
  cases.push_back(make_case("leaky_relu", LayerKind::act, act(Activation::leaky_relu, 0.1), {x}));
  cases.push_back(make_case("relu6", LayerKind::act, act(Activation::clip, 0, 6), {x}));
  cases.push_back(make_case("clip_narrow", LayerKind::act, act(Activation::clip, -0.3, 0.4), {x}));
  cases.push_back(make_case("sigmoid", LayerKind::act, act(Activation::sigmoid), {x}));
  cases.push_back(
      make_case("hard_sigmoid", LayerKind::act, act(Activation::hard_sigmoid, 0.2, 0.5), {x}));
  cases.push_back(make_case("hard_sigmoid_steep", LayerKind::act,
                            act(Activation::hard_sigmoid, 2.0, 0.5), {x}));
  cases.push_back(make_case("hard_swish", LayerKind::act, act(Activation::hard_swish), {x}));
  cases.push_back(make_case("gelu", LayerKind::act, act(Activation::gelu), {x}));
  cases.push_back(make_case("silu", LayerKind::act, act(Activation::silu), {x}));
  cases.push_back(make_case("tanh", LayerKind::act, act(Activation::tanh), {x}));
  cases.push_back(make_case("relu_rank2", LayerKind::act, act(Activation::relu), {{3, 17}}));
  return cases;
}

// Elementwise with broadcasting and constant operands.
std::vector<LayerCase> eltwise_cases() {
  std::vector<LayerCase> cases;
  cases.push_back(make_case("add", LayerKind::add, EltwiseAttrs{}, {{2, 4, 5, 5}, {2, 4, 5, 5}}));
  cases.push_back(
      make_case("mul_se_broadcast", LayerKind::mul, EltwiseAttrs{}, {{2, 6, 4, 4}, {2, 6, 1, 1}}));
  cases.push_back(make_case("mul_broadcast_first", LayerKind::mul, EltwiseAttrs{},
                            {{2, 6, 1, 1}, {2, 6, 4, 4}}));
  cases.push_back(make_case("add_three", LayerKind::add, EltwiseAttrs{},
                            {{1, 3, 4, 4}, {1, 3, 4, 4}, {1, 1, 4, 4}}));
  cases.push_back(make_case("max", LayerKind::max, EltwiseAttrs{}, {{2, 3, 4, 4}, {2, 3, 4, 4}}));
  cases.push_back(
      make_case("max_broadcast", LayerKind::max, EltwiseAttrs{}, {{2, 3, 4, 4}, {2, 1, 4, 1}}));
  cases.push_back(
      make_case("add_constant_bias", LayerKind::add, EltwiseAttrs{{{3, 1, 1}}}, {{2, 3, 4, 4}}));
  cases.push_back(make_case("mul_layer_scale_rank_mismatch", LayerKind::mul, EltwiseAttrs{{{8}}},
                            {{2, 3, 3, 8}}));
  cases.push_back(
      make_case("add_no_full_operand", LayerKind::add, EltwiseAttrs{{{3, 1, 5}}}, {{2, 1, 4, 1}}));
  cases.push_back(make_case("max_no_full_operand", LayerKind::max, EltwiseAttrs{},
                            {{2, 3, 1, 4}, {2, 1, 5, 1}}));
  cases.push_back(
      make_case("mul_scalar_constant", LayerKind::mul, EltwiseAttrs{{Shape{}}}, {{2, 3, 49, 32}}));
  cases.push_back(make_case("mul_two_constants", LayerKind::mul,
                            EltwiseAttrs{{{4, 1, 1}, {1, 1, 3}}}, {{1, 4, 3, 3}}));
  return cases;
}

// Attention's products (Q Kᵀ, A V), broadcasting, transposed operands, a constant B.
std::vector<LayerCase> matmul_cases() {
  std::vector<LayerCase> cases;
  cases.push_back(make_case("matmul_scores_qkt", LayerKind::matmul, MatmulAttrs{false, true, {}},
                            {{6, 7, 8}, {6, 7, 8}}));
  cases.push_back(make_case("matmul_weights_v", LayerKind::matmul, MatmulAttrs{},
                            {{2, 3, 7, 7}, {2, 3, 7, 5}}));
  cases.push_back(make_case("matmul_transposed_a", LayerKind::matmul, MatmulAttrs{true, false, {}},
                            {{3, 6, 4}, {3, 6, 5}}));
  cases.push_back(make_case("matmul_broadcast_b", LayerKind::matmul, MatmulAttrs{},
                            {{2, 3, 4, 5}, {2, 1, 5, 6}}));
  cases.push_back(make_case("matmul_constant_b", LayerKind::matmul,
                            MatmulAttrs{false, false, Shape{3, 5, 4}}, {{2, 3, 6, 5}}));
  return cases;
}

// Segmentation heads (bilinear to a given size) and FPN top-down paths (nearest 2x).
std::vector<LayerCase> resize_cases() {
  // To a size (h x w > 0) or, with sizes of 0, by the scales.
  auto resize = [](ResizeMode mode, int64_t h, int64_t w, double scale_h, double scale_w) {
    ResizeAttrs a;
    a.mode = mode;
    a.out_height = h;
    a.out_width = w;
    a.scale_h = scale_h;
    a.scale_w = scale_w;
    return a;
  };
  auto sized = [&](ResizeMode mode, int64_t h, int64_t w) { return resize(mode, h, w, 0, 0); };
  auto scaled = [&](ResizeMode mode, double h, double w) { return resize(mode, 0, 0, h, w); };
  std::vector<LayerCase> cases;
  cases.push_back(make_case("resize_nearest_2x", LayerKind::resize,
                            scaled(ResizeMode::nearest, 2, 2), {{2, 3, 5, 4}}));
  cases.push_back(make_case("resize_linear_2x", LayerKind::resize, scaled(ResizeMode::linear, 2, 2),
                            {{2, 3, 5, 4}}));
  cases.push_back(make_case("resize_linear_to_size", LayerKind::resize,
                            sized(ResizeMode::linear, 13, 9), {{1, 4, 5, 3}}));
  cases.push_back(make_case("resize_linear_down", LayerKind::resize,
                            sized(ResizeMode::linear, 3, 4), {{1, 2, 7, 9}}));
  cases.push_back(make_case("resize_nearest_uneven", LayerKind::resize,
                            scaled(ResizeMode::nearest, 1.5, 3), {{1, 2, 4, 3}}));
  return cases;
}

// Data movement and zero-cost kinds.
std::vector<LayerCase> data_movement_cases() {
  std::vector<LayerCase> cases;
  cases.push_back(make_case("concat_channels", LayerKind::concat, ConcatAttrs{1, {}},
                            {{2, 3, 4, 4}, {2, 5, 4, 4}, {2, 1, 4, 4}}));
  cases.push_back(make_case("concat_width", LayerKind::concat, ConcatAttrs{3, {}},
                            {{1, 2, 3, 4}, {1, 2, 3, 2}}));
  cases.push_back(make_case(
      "concat_many", LayerKind::concat, ConcatAttrs{1, {}},
      {{1, 2, 3, 3}, {1, 2, 3, 3}, {1, 2, 3, 3}, {1, 2, 3, 3}, {1, 2, 3, 3}, {1, 2, 3, 3}}));
  cases.push_back(
      make_case("concat_rank2", LayerKind::concat, ConcatAttrs{1, {}}, {{3, 4}, {3, 6}}));
  // ViT's class token in front of the patch tokens, per image.
  cases.push_back(
      make_case("concat_class_token", LayerKind::concat, ConcatAttrs{1, {{1, 1, 8}}}, {{3, 5, 8}}));
  cases.push_back(make_case("concat_two_constants_channels", LayerKind::concat,
                            ConcatAttrs{1, {{1, 2, 3, 3}, {1, 1, 3, 3}}}, {{2, 4, 3, 3}}));
  cases.push_back(make_case("transpose_nhwc", LayerKind::transpose, TransposeAttrs{{0, 2, 3, 1}},
                            {{2, 3, 4, 5}}));
  cases.push_back(make_case("transpose_nchw", LayerKind::transpose, TransposeAttrs{{0, 3, 1, 2}},
                            {{2, 4, 5, 3}}));
  cases.push_back(make_case("transpose_rank5", LayerKind::transpose,
                            TransposeAttrs{{0, 2, 1, 3, 4}}, {{1, 2, 3, 4, 2}}));
  // Attention's heads in front, per replica of a file batch of 3 (two replicas here).
  cases.push_back(make_case("transpose_moves_dim0", LayerKind::transpose,
                            TransposeAttrs{{1, 0, 2}, 3}, {{6, 4, 5}}));
  cases.push_back(make_case("transpose_moves_dim0_rank4", LayerKind::transpose,
                            TransposeAttrs{{2, 0, 3, 1}, 2}, {{4, 3, 2, 5}}));
  cases.push_back(
      make_case("reshape_moves_dim0", LayerKind::reshape, ReshapeAttrs{{2, 6, 5}, 3}, {{6, 4, 5}}));
  cases.push_back(
      make_case("slice_first_half", LayerKind::slice, SliceAttrs{1, 0, 4, 1}, {{2, 8, 3, 3}}));
  cases.push_back(make_case("slice_second_half_clamped", LayerKind::slice,
                            SliceAttrs{1, 4, 1000, 1}, {{2, 8, 3, 3}}));
  cases.push_back(
      make_case("slice_step2", LayerKind::slice, SliceAttrs{1, 1, 8, 2}, {{1, 8, 2, 2}}));
  cases.push_back(make_case("slice_negative_start", LayerKind::slice, SliceAttrs{-1, -3, 5, 1},
                            {{2, 3, 4, 5}}));
  cases.push_back(make_case("slice_rank2", LayerKind::slice, SliceAttrs{1, 2, 7, 1}, {{3, 9}}));
  cases.push_back(make_case("reshape", LayerKind::reshape, ReshapeAttrs{{2, -1}}, {{2, 4, 3, 3}}));
  cases.push_back(make_case("flatten", LayerKind::flatten, NoAttrs{}, {{2, 4, 3, 3}}));
  cases.push_back(make_case("dropout", LayerKind::dropout, NoAttrs{}, {{2, 4, 3, 3}}));
  cases.push_back(make_case("identity", LayerKind::identity, NoAttrs{}, {{2, 4, 3, 3}}));
  cases.push_back(make_case("cast", LayerKind::cast, NoAttrs{}, {{2, 5}}));
  return cases;
}

}  // namespace

const std::vector<LayerCase>& layer_cases() {
  static const std::vector<LayerCase> all = [] {
    std::vector<LayerCase> cases;
    for (auto group : {conv_cases(), pool_cases(), fc_norm_cases(), activation_cases(),
                       eltwise_cases(), matmul_cases(), resize_cases(), data_movement_cases()}) {
      cases.insert(cases.end(), group.begin(), group.end());
    }
    return cases;
  }();
  return all;
}

}  // namespace np::test
