// Every layer kind on the cuda backend against the naive reference (tests/common) and the cpu
// backend, on the canonical test data: fp32 strict (1e-4), TF32 (1e-2), fp16 and bf16 where
// the layer runs in them, graphs on and off; then every layer of five zoo networks at batch 2
// against the cpu backend. Skips without a CUDA device.
#include <gtest/gtest.h>

#include <sstream>

#include "backends/test_nets.hpp"
#include "gpu/gpu_support.hpp"
#include "neuralpower/import.hpp"

namespace np::test {
namespace {

struct LayerCase {
  std::string name;
  Layer layer;
  std::vector<Shape> inputs;  // full shapes, batch first
};

LayerCase make_case(std::string name, LayerKind kind, LayerAttrs attrs, std::vector<Shape> inputs) {
  return {name, make_layer(name, kind, std::move(attrs)), std::move(inputs)};
}

ConvAttrs conv(int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t groups = 1) {
  ConvAttrs a;
  a.out_channels = out;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
  a.groups = groups;
  return a;
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

std::vector<LayerCase> all_cases() {
  std::vector<LayerCase> c;
  // Convolutions: cuDNN's paths (the algorithm search picks among GEMM, Winograd, FFT on the
  // larger ones), groups, depthwise, dilation, and asymmetric padding (explicit pad kernel).
  c.push_back(make_case("conv3x3_pad1", LayerKind::conv, conv(8, 3, 1, 1), {{2, 5, 9, 9}}));
  auto no_bias = conv(16, 1, 1, 0);
  no_bias.bias = false;
  c.push_back(make_case("conv1x1_nobias", LayerKind::conv, no_bias, {{1, 12, 7, 7}}));
  auto asym = conv(6, 3, 2, 0);
  asym.pad_top = 1, asym.pad_left = 0, asym.pad_bottom = 2, asym.pad_right = 1;
  c.push_back(make_case("conv_stride2_asymmetric_pad", LayerKind::conv, asym, {{1, 4, 10, 11}}));
  auto dilated = conv(5, 3, 1, 2);
  dilated.dilation_h = dilated.dilation_w = 2;
  c.push_back(make_case("conv_dilation2", LayerKind::conv, dilated, {{1, 3, 12, 12}}));
  auto rect = conv(4, 1, 1, 0);
  rect.kernel_h = 5, rect.kernel_w = 3, rect.stride_h = 2, rect.pad_top = rect.pad_bottom = 2;
  rect.pad_left = rect.pad_right = 1;
  c.push_back(make_case("conv_rect_kernel", LayerKind::conv, rect, {{2, 3, 11, 8}}));
  c.push_back(make_case("conv_groups2", LayerKind::conv, conv(8, 3, 1, 1, 2), {{1, 6, 8, 8}}));
  c.push_back(
      make_case("conv_depthwise", LayerKind::conv, conv(16, 3, 2, 1, 16), {{2, 16, 10, 10}}));
  c.push_back(
      make_case("conv_depthwise_7x7", LayerKind::conv, conv(8, 7, 1, 3, 8), {{1, 8, 9, 9}}));
  c.push_back(make_case("conv_resnet_3x3", LayerKind::conv, conv(64, 3, 1, 1), {{2, 64, 28, 28}}));
  c.push_back(
      make_case("conv_large_reduction", LayerKind::conv, conv(32, 3, 1, 1), {{1, 256, 6, 6}}));
  c.push_back(make_case("conv_stem_7x7", LayerKind::conv, conv(16, 7, 2, 3), {{2, 3, 32, 32}}));
  // Pooling: cuDNN for symmetric floor windows, our kernel for ceil mode and asymmetric pads.
  c.push_back(
      make_case("maxpool_3s2p1", LayerKind::pool, pool(PoolMode::max, 3, 2, 1), {{2, 4, 11, 11}}));
  auto ceil_max = pool(PoolMode::max, 3, 2, 0);
  ceil_max.ceil_mode = true;
  c.push_back(make_case("maxpool_ceil", LayerKind::pool, ceil_max, {{1, 3, 10, 10}}));
  auto avg_ex = pool(PoolMode::avg, 3, 2, 1);
  c.push_back(make_case("avgpool_exclude_pad", LayerKind::pool, avg_ex, {{1, 3, 9, 9}}));
  auto avg_in = avg_ex;
  avg_in.count_include_pad = true;
  c.push_back(make_case("avgpool_include_pad", LayerKind::pool, avg_in, {{1, 3, 9, 9}}));
  auto avg_in_ceil = avg_in;
  avg_in_ceil.ceil_mode = true;
  c.push_back(
      make_case("avgpool_include_pad_ceil", LayerKind::pool, avg_in_ceil, {{1, 3, 10, 10}}));
  auto avg_ex_ceil = avg_in_ceil;
  avg_ex_ceil.count_include_pad = false;
  c.push_back(
      make_case("avgpool_exclude_pad_ceil", LayerKind::pool, avg_ex_ceil, {{1, 3, 10, 10}}));
  auto asym_pool = pool(PoolMode::max, 2, 2, 0);
  asym_pool.pad_bottom = asym_pool.pad_right = 1;
  c.push_back(make_case("maxpool_asymmetric_pad", LayerKind::pool, asym_pool, {{1, 2, 7, 7}}));
  PoolAttrs global_avg;
  global_avg.mode = PoolMode::avg;
  global_avg.global = true;
  c.push_back(make_case("global_avgpool", LayerKind::pool, global_avg, {{2, 8, 7, 5}}));
  PoolAttrs global_max = global_avg;
  global_max.mode = PoolMode::max;
  c.push_back(make_case("global_maxpool", LayerKind::pool, global_max, {{2, 8, 6, 6}}));
  // Fully connected, norms, softmax.
  c.push_back(make_case("fc", LayerKind::fc, FcAttrs{10, true}, {{3, 20}}));
  c.push_back(make_case("fc_nobias", LayerKind::fc, FcAttrs{7, false}, {{2, 33}}));
  c.push_back(make_case("fc_rank4_last_dim", LayerKind::fc, FcAttrs{12, true}, {{2, 3, 4, 9}}));
  c.push_back(make_case("fc_classifier", LayerKind::fc, FcAttrs{1000, true}, {{4, 512}}));
  c.push_back(make_case("bn", LayerKind::bn, BnAttrs{1e-5}, {{2, 6, 5, 5}}));
  c.push_back(make_case("bn_rank2", LayerKind::bn, BnAttrs{1e-3}, {{4, 10}}));
  c.push_back(make_case("bn_rank3", LayerKind::bn, BnAttrs{1e-5}, {{2, 3, 7}}));
  c.push_back(make_case("lrn5", LayerKind::lrn, LrnAttrs{5, 0.5, 0.75, 1.0}, {{1, 9, 4, 4}}));
  c.push_back(make_case("lrn3", LayerKind::lrn, LrnAttrs{3, 0.2, 0.5, 2.0}, {{2, 4, 3, 3}}));
  c.push_back(make_case("softmax_rank2", LayerKind::softmax, SoftmaxAttrs{1}, {{3, 10}}));
  c.push_back(make_case("softmax_channels", LayerKind::softmax, SoftmaxAttrs{1}, {{2, 5, 3, 3}}));
  c.push_back(make_case("softmax_last", LayerKind::softmax, SoftmaxAttrs{-1}, {{2, 3, 4, 6}}));
  c.push_back(make_case("softmax_middle", LayerKind::softmax, SoftmaxAttrs{1}, {{2, 7, 3}}));
  c.push_back(make_case("layernorm_last", LayerKind::layernorm, LayerNormAttrs{-1, 1e-5, true},
                        {{2, 5, 16}}));
  c.push_back(make_case("layernorm_chw", LayerKind::layernorm, LayerNormAttrs{1, 1e-6, true},
                        {{2, 4, 3, 3}}));
  c.push_back(make_case("layernorm_long_rows", LayerKind::layernorm, LayerNormAttrs{1, 1e-5, true},
                        {{2, 16, 24, 24}}));
  c.push_back(make_case("layernorm_plain", LayerKind::layernorm, LayerNormAttrs{-1, 1e-5, false},
                        {{3, 2, 4, 8}}));
  // Activations: cuDNN (relu, relu6, sigmoid, tanh) and our kernel (the rest).
  const Shape x{2, 3, 5, 5};
  c.push_back(make_case("relu", LayerKind::act, act(Activation::relu), {x}));
  c.push_back(make_case("leaky_relu", LayerKind::act, act(Activation::leaky_relu, 0.1), {x}));
  c.push_back(make_case("relu6", LayerKind::act, act(Activation::clip, 0, 6), {x}));
  c.push_back(make_case("clip_narrow", LayerKind::act, act(Activation::clip, -0.3, 0.4), {x}));
  c.push_back(make_case("sigmoid", LayerKind::act, act(Activation::sigmoid), {x}));
  c.push_back(
      make_case("hard_sigmoid", LayerKind::act, act(Activation::hard_sigmoid, 0.2, 0.5), {x}));
  c.push_back(make_case("hard_swish", LayerKind::act, act(Activation::hard_swish), {x}));
  c.push_back(make_case("gelu", LayerKind::act, act(Activation::gelu), {x}));
  c.push_back(make_case("silu", LayerKind::act, act(Activation::silu), {x}));
  c.push_back(make_case("tanh", LayerKind::act, act(Activation::tanh), {x}));
  c.push_back(make_case("relu_rank2", LayerKind::act, act(Activation::relu), {{3, 17}}));
  // Elementwise with broadcasting and constant operands.
  c.push_back(make_case("add", LayerKind::add, EltwiseAttrs{}, {{2, 4, 5, 5}, {2, 4, 5, 5}}));
  c.push_back(
      make_case("mul_se_broadcast", LayerKind::mul, EltwiseAttrs{}, {{2, 6, 4, 4}, {2, 6, 1, 1}}));
  c.push_back(make_case("mul_broadcast_first", LayerKind::mul, EltwiseAttrs{},
                        {{2, 6, 1, 1}, {2, 6, 4, 4}}));
  c.push_back(make_case("add_three", LayerKind::add, EltwiseAttrs{},
                        {{1, 3, 4, 4}, {1, 3, 4, 4}, {1, 1, 4, 4}}));
  c.push_back(make_case("max", LayerKind::max, EltwiseAttrs{}, {{2, 3, 4, 4}, {2, 3, 4, 4}}));
  c.push_back(
      make_case("add_constant_bias", LayerKind::add, EltwiseAttrs{{{3, 1, 1}}}, {{2, 3, 4, 4}}));
  c.push_back(make_case("mul_layer_scale", LayerKind::mul, EltwiseAttrs{{{8}}}, {{2, 3, 3, 8}}));
  c.push_back(make_case("max_no_full_operand", LayerKind::max, EltwiseAttrs{},
                        {{2, 3, 1, 4}, {2, 1, 5, 1}}));
  c.push_back(make_case("mul_two_constants", LayerKind::mul, EltwiseAttrs{{{4, 1, 1}, {1, 1, 3}}},
                        {{1, 4, 3, 3}}));
  // Data movement and zero-cost kinds.
  c.push_back(make_case("concat_channels", LayerKind::concat, ConcatAttrs{1},
                        {{2, 3, 4, 4}, {2, 5, 4, 4}, {2, 1, 4, 4}}));
  c.push_back(
      make_case("concat_width", LayerKind::concat, ConcatAttrs{3}, {{1, 2, 3, 4}, {1, 2, 3, 2}}));
  c.push_back(make_case(
      "concat_many", LayerKind::concat, ConcatAttrs{1},
      {{1, 2, 3, 3}, {1, 2, 3, 3}, {1, 2, 3, 3}, {1, 2, 3, 3}, {1, 2, 3, 3}, {1, 2, 3, 3}}));
  c.push_back(make_case("concat_rank2", LayerKind::concat, ConcatAttrs{1}, {{3, 4}, {3, 6}}));
  c.push_back(make_case("transpose_nhwc", LayerKind::transpose, TransposeAttrs{{0, 2, 3, 1}},
                        {{2, 3, 4, 5}}));
  c.push_back(make_case("transpose_rank5", LayerKind::transpose, TransposeAttrs{{0, 2, 1, 3, 4}},
                        {{1, 2, 3, 4, 2}}));
  c.push_back(
      make_case("slice_first_half", LayerKind::slice, SliceAttrs{1, 0, 4, 1}, {{2, 8, 3, 3}}));
  c.push_back(make_case("slice_second_half_clamped", LayerKind::slice, SliceAttrs{1, 4, 1000, 1},
                        {{2, 8, 3, 3}}));
  c.push_back(make_case("slice_step2", LayerKind::slice, SliceAttrs{1, 1, 8, 2}, {{1, 8, 2, 2}}));
  c.push_back(make_case("slice_negative_start", LayerKind::slice, SliceAttrs{-1, -3, 5, 1},
                        {{2, 3, 4, 5}}));
  c.push_back(make_case("reshape", LayerKind::reshape, ReshapeAttrs{{2, -1}}, {{2, 4, 3, 3}}));
  c.push_back(make_case("flatten", LayerKind::flatten, NoAttrs{}, {{2, 4, 3, 3}}));
  c.push_back(make_case("dropout", LayerKind::dropout, NoAttrs{}, {{2, 4, 3, 3}}));
  c.push_back(make_case("identity", LayerKind::identity, NoAttrs{}, {{2, 4, 3, 3}}));
  return c;
}

// Prepares on cuda, compares with the reference and, when asked, with the cpu backend in fp32.
void expect_layer_correct(const Network& net, int id, const RunSettings& settings,
                          bool against_cpu) {
  const Layer& layer = net.layer(id);
  SCOPED_TRACE("layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) + ") " +
               shape_to_string(layer.output_shape) + " " + settings_name(settings));
  auto prepared = cuda_backend().prepare(net, id, settings);
  const std::vector<float> got = prepared->output();
  const double tolerance = tolerance_for(settings);
  const Comparison reference = compare_outputs(got, reference_layer_output(net, id), tolerance);
  EXPECT_TRUE(reference.ok) << "vs reference: " << reference.message << "; algorithm "
                            << prepared->algorithm();
  if (!against_cpu) return;
  auto cpu = cpu_backend().prepare(net, id, RunSettings{});
  const Comparison cpu_match = compare_outputs(got, cpu->output(), tolerance);
  EXPECT_TRUE(cpu_match.ok) << "vs cpu backend (" << cpu->algorithm() << "): " << cpu_match.message
                            << "; algorithm " << prepared->algorithm();
}

class CudaLayer : public ::testing::TestWithParam<LayerCase> {
 protected:
  void SetUp() override { NP_SKIP_WITHOUT_CUDA(); }
};

TEST_P(CudaLayer, Fp32MatchesTheReferenceAndTheCpuBackend) {
  const auto built = single_layer_net(GetParam().layer, GetParam().inputs);
  expect_layer_correct(built.net, built.id, RunSettings{}, true);
}

TEST_P(CudaLayer, Fp32WithoutGraphsMatchesTheReference) {
  RunSettings settings;
  settings.use_graphs = false;
  const auto built = single_layer_net(GetParam().layer, GetParam().inputs);
  expect_layer_correct(built.net, built.id, settings, false);
}

TEST_P(CudaLayer, Tf32MatchesTheReferenceToTf32Precision) {
  RunSettings settings;
  settings.allow_tf32 = true;
  const auto built = single_layer_net(GetParam().layer, GetParam().inputs);
  expect_layer_correct(built.net, built.id, settings, false);
}

void expect_reduced_precision(const LayerCase& c, DataType dtype) {
  RunSettings settings;
  settings.dtype = dtype;
  const auto built = single_layer_net(c.layer, c.inputs);
  try {
    (void)cuda_backend().prepare(built.net, built.id, settings);
  } catch (const UnsupportedLayer& e) {
    GTEST_SKIP() << "unsupported in " << to_string(dtype) << ": " << e.what();
  }
  expect_layer_correct(built.net, built.id, settings, false);
}

TEST_P(CudaLayer, Fp16MatchesTheReferenceToFp16PrecisionOrIsUnsupported) {
  expect_reduced_precision(GetParam(), DataType::fp16);
}

TEST_P(CudaLayer, Bf16MatchesTheReferenceToBf16PrecisionOrIsUnsupported) {
  expect_reduced_precision(GetParam(), DataType::bf16);
}

TEST_P(CudaLayer, AlgorithmNamesTheImplementationAndTimingsArePositive) {
  const auto built = single_layer_net(GetParam().layer, GetParam().inputs);
  auto prepared = cuda_backend().prepare(built.net, built.id, RunSettings{});
  const std::string algorithm = prepared->algorithm();
  if (is_zero_cost(GetParam().layer.kind)) {
    EXPECT_EQ(algorithm, "none");
    EXPECT_EQ(prepared->timed_runs(10), 0.0);
    return;
  }
  EXPECT_NE(algorithm.find("CUDA graph"), std::string::npos) << algorithm;
  EXPECT_GT(prepared->timed_runs(10), 0.0) << algorithm;
}

INSTANTIATE_TEST_SUITE_P(AllKinds, CudaLayer, ::testing::ValuesIn(all_cases()),
                         [](const auto& test_info) { return test_info.param.name; });

TEST(CudaLayerErrors, Int8IsUnsupported) {
  NP_SKIP_WITHOUT_CUDA();
  const auto built =
      single_layer_net(make_layer("c", LayerKind::conv, conv(4, 3, 1, 1)), {{1, 3, 8, 8}});
  RunSettings settings;
  settings.dtype = DataType::int8;
  EXPECT_THROW((void)cuda_backend().prepare(built.net, built.id, settings), UnsupportedLayer);
}

// Every layer of a zoo network at batch 2, prepared alone on both backends: what the
// profiler measures must be what the framework computes.
class CudaZooNetwork : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { NP_SKIP_WITHOUT_CUDA(); }
};

TEST_P(CudaZooNetwork, EveryLayerMatchesTheCpuBackend) {
  ImportOptions options;
  options.batch = 2;
  const Network net = load_network(GetParam(), options);
  const double tolerance = tolerance_for(RunSettings{});
  int compared = 0;
  std::vector<std::string> failures, cpu_unsupported;
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    const std::string what = "layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) +
                             ") " + shape_to_string(layer.output_shape);
    std::unique_ptr<PreparedLayer> gpu;
    try {
      gpu = cuda_backend().prepare(net, id, RunSettings{});
    } catch (const std::exception& e) {
      failures.push_back(what + ": cuda prepare failed: " + e.what());
      continue;
    }
    std::vector<float> expected;
    std::string source = "cpu";
    try {
      expected = cpu_backend().prepare(net, id, RunSettings{})->output();
    } catch (const UnsupportedLayer& e) {
      cpu_unsupported.push_back(what + ": " + e.what());
      expected = reference_layer_output(net, id);
      source = "reference";
    }
    const Comparison c = compare_outputs(gpu->output(), expected, tolerance);
    ++compared;
    if (!c.ok) {
      failures.push_back(what + " vs " + source + ": " + c.message + "; algorithm " +
                         gpu->algorithm());
    }
  }
  std::ostringstream listed;
  for (size_t i = 0; i < failures.size() && i < 20; ++i) listed << "\n  " << failures[i];
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << net.size() << " layers of "
                                << GetParam() << " differ:" << listed.str();
  EXPECT_EQ(compared, net.size());
  std::cout << GetParam() << ": " << compared << " layers compared, " << failures.size()
            << " differ, " << cpu_unsupported.size()
            << " checked against the reference (cpu unsupported)\n";
}

INSTANTIATE_TEST_SUITE_P(Zoo, CudaZooNetwork,
                         ::testing::Values("resnet18", "mobilenet_v3_large", "convnext_tiny",
                                           "shufflenet_v2_x1_0", "densenet121"),
                         [](const auto& test_info) { return test_info.param; });

}  // namespace
}  // namespace np::test
