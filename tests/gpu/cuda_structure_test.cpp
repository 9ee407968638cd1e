// Checks that hold with or without a GPU (this suite's only tests that never skip): the cuda
// backend is compiled in when configured, and without a device it reports why, cleanly; the
// host-side planning, status mapping and NVML decoding of src/backends/cuda; and that cuDNN's
// sub-libraries load (descriptors need no device).
#include <gtest/gtest.h>

#include <string>

#include "gpu/gpu_support.hpp"
#include "neuralpower/backend_registry.hpp"

#ifdef NP_CUDA_BACKEND_LINKED
#include "backends/cuda/check.hpp"
#include "backends/cuda/conv_algorithm.hpp"
#include "backends/cuda/cudnn_descriptors.hpp"
#include "backends/cuda/layer_plan.hpp"
#include "backends/cuda/nvml_library.hpp"
#include "backends/cuda/timing.hpp"
#endif

namespace np::test {
namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(CudaBackendStructure, ProbeAgreesWithTheBuild) {
  const BackendStatus* status = cuda_status();
  ASSERT_NE(status, nullptr);
#ifdef NP_CUDA_BACKEND_LINKED
  EXPECT_TRUE(cuda_compiled());
  EXPECT_TRUE(status->compiled);
  if (status->devices.empty()) {
    EXPECT_TRUE(starts_with(status->message, "no CUDA device: ")) << status->message;
  } else {
    for (const auto& device : status->devices) {
      EXPECT_EQ(device.backend, "cuda");
      EXPECT_FALSE(device.name.empty());
      EXPECT_NE(device.library_version.find("cuDNN "), std::string::npos);
      EXPECT_NE(device.detail.find("PCI "), std::string::npos);
    }
  }
#else
  EXPECT_FALSE(cuda_compiled());
  EXPECT_FALSE(status->compiled);
#endif
}

TEST(CudaBackendStructure, MakeBackendFailsWithTheReasonWhenThereIsNoDevice) {
  if (cuda_unavailable_reason().empty()) GTEST_SKIP() << "a CUDA device is present";
  try {
    (void)make_backend("cuda");
    FAIL() << "make_backend(\"cuda\") succeeded without a device";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cuda"), std::string::npos) << message;
    if (cuda_compiled()) {
      EXPECT_NE(message.find("no CUDA device"), std::string::npos) << message;
    } else {
      EXPECT_NE(message.find("not compiled in"), std::string::npos) << message;
    }
  }
}

TEST(CudaBackendStructure, PowerMeterSaysWhyWhenThereIsNoDevice) {
  if (cuda_unavailable_reason().empty()) GTEST_SKIP() << "a CUDA device is present";
  const auto meter = make_power_meter("cuda");
  ASSERT_NE(meter, nullptr);
  EXPECT_FALSE(meter->available());
  EXPECT_FALSE(meter->status().empty());
  const MeterReadings readings = meter->read();
  EXPECT_FALSE(readings.energy_mj.has_value());
  // Without a device nothing can be locked, so this cannot touch any clock.
  std::string message;
  EXPECT_FALSE(meter->lock_clocks(message));
  EXPECT_FALSE(message.empty());
  meter->unlock_clocks();
}

#ifdef NP_CUDA_BACKEND_LINKED

TEST(CudaPlanning, ConvPaddingSplitsAsymmetricPadsIntoAnExplicitPart) {
  ConvAttrs conv;
  conv.pad_top = 1, conv.pad_bottom = 2, conv.pad_left = 3, conv.pad_right = 3;
  const cuda::ConvPadding p = cuda::plan_conv_padding(conv);
  EXPECT_EQ(p.pad_h, 1);
  EXPECT_EQ(p.pad_w, 3);
  EXPECT_EQ(p.extra_top, 0);
  EXPECT_EQ(p.extra_bottom, 1);
  EXPECT_EQ(p.extra_left + p.extra_right, 0);
  EXPECT_TRUE(p.needs_explicit_pad());
  EXPECT_EQ(cuda::padded_input_shape({2, 3, 10, 11}, p), (Shape{2, 3, 11, 11}));
  conv.pad_bottom = 1;
  EXPECT_FALSE(cuda::plan_conv_padding(conv).needs_explicit_pad());
}

TEST(CudaPlanning, PoolingGoesToCudnnOnlyWhenItComputesTheSameWindows) {
  PoolAttrs pool;
  pool.kernel_h = pool.kernel_w = 3;
  pool.stride_h = pool.stride_w = 2;
  pool.pad_top = pool.pad_bottom = pool.pad_left = pool.pad_right = 1;
  EXPECT_TRUE(cuda::plan_pool(pool, {1, 4, 11, 11}, {1, 4, 6, 6}).use_cudnn);
  pool.ceil_mode = true;  // 10x10, k3 s2 p0: floor gives 4, ceil 5
  pool.pad_top = pool.pad_bottom = pool.pad_left = pool.pad_right = 0;
  const cuda::PoolPlan ceil_plan = cuda::plan_pool(pool, {1, 3, 10, 10}, {1, 3, 5, 5});
  EXPECT_FALSE(ceil_plan.use_cudnn);
  EXPECT_EQ(ceil_plan.reason, "ceil mode adds a window");
  pool.ceil_mode = false;
  pool.pad_bottom = 1;
  EXPECT_FALSE(cuda::plan_pool(pool, {1, 3, 10, 10}, {1, 3, 5, 4}).use_cudnn);
  PoolAttrs global;
  global.global = true;
  const cuda::PoolPlan global_plan = cuda::plan_pool(global, {2, 8, 7, 5}, {2, 8, 1, 1});
  EXPECT_TRUE(global_plan.use_cudnn);
  EXPECT_EQ(global_plan.kernel_h, 7);
  EXPECT_EQ(global_plan.kernel_w, 5);
}

TEST(CudaPlanning, BroadcastStridesAreZeroOnBroadcastDims) {
  const cuda::BroadcastIndex se = cuda::broadcast_index({2, 6, 1, 1}, {2, 6, 4, 4});
  EXPECT_FALSE(se.is_full);
  EXPECT_EQ(se.out_dims, (std::array<int64_t, 6>{1, 1, 2, 6, 4, 4}));
  EXPECT_EQ(se.strides, (std::array<int64_t, 6>{0, 0, 6, 1, 0, 0}));
  const cuda::BroadcastIndex scale = cuda::broadcast_index({3, 1, 1}, {2, 3, 4, 4});
  EXPECT_EQ(scale.strides, (std::array<int64_t, 6>{0, 0, 0, 1, 0, 0}));
  const cuda::BroadcastIndex full = cuda::broadcast_index({2, 3}, {2, 3});
  EXPECT_TRUE(full.is_full);
  EXPECT_EQ(full.strides, (std::array<int64_t, 6>{0, 0, 0, 0, 3, 1}));
  EXPECT_THROW(cuda::broadcast_index({3}, {2, 4}), Error);
}

TEST(CudaPlanning, PermuteWalksTheInputStridesInOutputOrder) {
  const cuda::PermuteIndex nhwc = cuda::permute_index({2, 3, 4, 5}, {0, 2, 3, 1});
  EXPECT_EQ(nhwc.out_dims, (std::array<int64_t, 6>{1, 1, 2, 4, 5, 3}));
  EXPECT_EQ(nhwc.in_strides, (std::array<int64_t, 6>{0, 0, 60, 5, 1, 20}));
}

TEST(CudaPlanning, AxisSplitsAndNchwViews) {
  const cuda::AxisSplit split = cuda::split_at_axis({2, 3, 4, 5}, -1);
  EXPECT_EQ(split.outer, 24);
  EXPECT_EQ(split.axis, 5);
  EXPECT_EQ(split.inner, 1);
  const cuda::AxisSplit middle = cuda::split_at_axis({2, 7, 3}, 1);
  EXPECT_EQ(middle.outer, 2);
  EXPECT_EQ(middle.axis, 7);
  EXPECT_EQ(middle.inner, 3);
  EXPECT_EQ(cuda::as_nchw({4, 10}), (std::array<int64_t, 4>{4, 10, 1, 1}));
  EXPECT_EQ(cuda::as_nchw({2, 3, 4, 5, 6}), (std::array<int64_t, 4>{2, 3, 120, 1}));
  EXPECT_THROW(cuda::split_at_axis({2, 3}, 2), Error);
}

TEST(CudaPlanning, FootprintCountsParametersInTheirStorageType) {
  Layer conv;
  conv.name = "c";
  conv.kind = LayerKind::conv;
  ConvAttrs a;
  a.out_channels = 8;
  a.kernel_h = a.kernel_w = 3;
  a.pad_top = 1, a.pad_bottom = 2, a.pad_left = a.pad_right = 1;
  conv.attrs = a;
  conv.output_shape = {2, 8, 11, 10};
  const cuda::LayerFootprint f = cuda::layer_footprint(conv, {{2, 4, 10, 10}}, DataType::fp32);
  EXPECT_EQ(f.input_bytes, 2 * 4 * 10 * 10 * 4);
  EXPECT_EQ(f.output_bytes, 2 * 8 * 11 * 10 * 4);
  EXPECT_EQ(f.parameter_bytes, (8 * 4 * 9 + 8) * 4);
  EXPECT_EQ(f.scratch_bytes, 2 * 4 * 11 * 10 * 4);  // one extra row padded explicitly
  Layer bn;
  bn.name = "b";
  bn.kind = LayerKind::bn;
  bn.attrs = BnAttrs{};
  bn.output_shape = {2, 6, 5, 5};
  const cuda::LayerFootprint half = cuda::layer_footprint(bn, {{2, 6, 5, 5}}, DataType::fp16);
  EXPECT_EQ(half.input_bytes, 2 * 6 * 5 * 5 * 2);
  EXPECT_EQ(half.parameter_bytes, 4 * 6 * 4);  // cuDNN wants fp32 statistics
  // A layer far too large is counted, not overflowed: it must become DeviceOutOfMemory.
  Layer fc;
  fc.name = "f";
  fc.kind = LayerKind::fc;
  fc.attrs = FcAttrs{1'000'000, true};
  fc.output_shape = {2, 1'000'000};
  EXPECT_EQ(cuda::layer_footprint(fc, {{2, 100'000}}, DataType::fp32).parameter_bytes,
            (int64_t{100'000} * 1'000'000 + 1'000'000) * 4);
}

TEST(CudaPlanning, MathModeNamesTheLibrarySettings) {
  EXPECT_EQ(cuda::math_mode(DataType::fp32, false), "fp32 (CUDNN_FMA_MATH, CUBLAS_COMPUTE_32F)");
  EXPECT_NE(cuda::math_mode(DataType::fp32, true).find("TF32"), std::string::npos);
  EXPECT_THROW(cuda::require_int32(int64_t{1} << 31, "a dim"), UnsupportedLayer);
  EXPECT_NO_THROW(cuda::require_int32((int64_t{1} << 31) - 1, "a dim"));
}

TEST(CudaChecks, StatusesBecomeTheRightExceptions) {
  EXPECT_THROW(NP_CUDA_CHECK(cudaErrorMemoryAllocation), DeviceOutOfMemory);
  EXPECT_THROW(NP_CUDA_CHECK(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED),
               DeviceOutOfMemory);
  EXPECT_THROW(NP_CUDA_CHECK(CUBLAS_STATUS_ALLOC_FAILED), DeviceOutOfMemory);
  EXPECT_THROW(NP_CUDA_CHECK(CUDNN_STATUS_NOT_SUPPORTED_SHAPE), UnsupportedLayer);
  EXPECT_THROW(NP_CUDA_CHECK(CUBLAS_STATUS_NOT_SUPPORTED), UnsupportedLayer);
  EXPECT_NO_THROW(NP_CUDA_CHECK(cudaSuccess));
  EXPECT_NO_THROW(NP_CUDA_CHECK(CUDNN_STATUS_SUCCESS));
  try {
    NP_CUDA_CHECK(CUDNN_STATUS_BAD_PARAM);
    FAIL() << "no exception";
  } catch (const UnsupportedLayer&) {
    FAIL() << "BAD_PARAM is not 'unsupported'";
  } catch (const Error& e) {
    // "CUDNN_STATUS_BAD_PARAM failed: CUDNN_STATUS_BAD_PARAM (2000) [.../file.cpp:123]"
    const std::string message = e.what();
    EXPECT_NE(message.find("failed: CUDNN_STATUS_BAD_PARAM (2000)"), std::string::npos) << message;
    EXPECT_NE(message.find("cuda_structure_test.cpp:"), std::string::npos) << message;
  }
}

// A kernel that faults leaves a sticky error: every later call fails, so the profiler must stop
// rather than write a failed row for each configuration left.
TEST(CudaChecks, StickyErrorsAreADeviceLost) {
  for (cudaError_t sticky :
       {cudaErrorIllegalAddress, cudaErrorLaunchFailure, cudaErrorIllegalInstruction,
        cudaErrorMisalignedAddress, cudaErrorHardwareStackError, cudaErrorECCUncorrectable}) {
    EXPECT_EQ(cuda::classify(sticky), cuda::FailureKind::device_lost) << cudaGetErrorName(sticky);
  }
  EXPECT_EQ(cuda::classify(cudaErrorMemoryAllocation), cuda::FailureKind::out_of_memory);
  EXPECT_EQ(cuda::classify(cudaErrorInvalidValue), cuda::FailureKind::other);
  try {
    NP_CUDA_CHECK(cudaErrorIllegalAddress);
    FAIL() << "no exception";
  } catch (const DeviceLost& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cudaErrorIllegalAddress"), std::string::npos) << message;
    EXPECT_NE(message.find("restart the process"), std::string::npos) << message;
    EXPECT_EQ(failure_reason(e).rfind("device lost: ", 0), 0u) << failure_reason(e);
  }
  // Context added on the way up keeps the kind, so the loops still recognise it.
  EXPECT_THROW(
      {
        try {
          NP_CUDA_CHECK(cudaErrorLaunchFailure);
        } catch (...) {
          rethrow_with_context("cuda: layer 'conv1' (conv)");
        }
      },
      DeviceLost);
}

TEST(CudaChecks, AnExecutionFailureIsADeviceLostOnlyWhenTheDeviceSaysSo) {
  // Without a device, synchronising returns a non-sticky error: the failure stays an Error.
  if (!cuda_unavailable_reason().empty()) {
    EXPECT_EQ(cuda::classify(CUDNN_STATUS_EXECUTION_FAILED), cuda::FailureKind::other);
    EXPECT_EQ(cuda::classify(CUBLAS_STATUS_EXECUTION_FAILED), cuda::FailureKind::other);
    try {
      NP_CUDA_CHECK(CUDNN_STATUS_EXECUTION_FAILED);
      FAIL() << "no exception";
    } catch (const DeviceLost&) {
      FAIL() << "no device was lost";
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(cuda::with_device_state(cuda::FailureKind::unsupported),
            cuda::FailureKind::unsupported);
}

TEST(CudaNvml, AGpuLostIsADeviceLost) {
  EXPECT_THROW(
      cuda::check_status(cuda::nvml::kErrorGpuIsLost, "nvmlDeviceGetPowerUsage", "x.cpp", 1),
      DeviceLost);
  EXPECT_THROW(
      cuda::check_status(cuda::nvml::kErrorNotSupported, "nvmlDeviceGetPowerUsage", "x.cpp", 1),
      Error);
}

cudnnConvolutionFwdAlgoPerf_t perf(cudnnConvolutionFwdAlgo_t algo, cudnnMathType_t math,
                                   size_t memory, cudnnStatus_t status = CUDNN_STATUS_SUCCESS) {
  cudnnConvolutionFwdAlgoPerf_t p{};
  p.algo = algo;
  p.mathType = math;
  p.memory = memory;
  p.status = status;
  return p;
}

TEST(CudaConvAlgorithm, StrictFp32SkipsTensorOpsAndRunsTheChoiceWithFmaMath) {
  const std::vector<cudnnConvolutionFwdAlgoPerf_t> results{
      perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_TENSOR_OP_MATH, 0),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, CUDNN_DEFAULT_MATH, 1 << 20),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_FMA_MATH, 0)};
  const cuda::ConvAlgorithmChoice strict = cuda::choose_conv_algorithm(results, 1 << 29, true);
  EXPECT_EQ(strict.index, 1);
  // DEFAULT_MATH would let cuDNN use TF32 on Hopper: strict fp32 sets FMA_MATH after the
  // search, as PyTorch does with TF32 off.
  EXPECT_EQ(strict.math, CUDNN_FMA_MATH);
  EXPECT_NE(strict.rejected.find("(tensor-op math)"), std::string::npos) << strict.rejected;
  const cuda::ConvAlgorithmChoice tf32 = cuda::choose_conv_algorithm(results, 1 << 29, false);
  EXPECT_EQ(tf32.index, 0);
  EXPECT_EQ(tf32.math, CUDNN_TENSOR_OP_MATH);
  // The workspace cap and failed statuses rule algorithms out too.
  const cuda::ConvAlgorithmChoice capped = cuda::choose_conv_algorithm(results, 1 << 10, true);
  EXPECT_EQ(capped.index, 2);
  EXPECT_NE(capped.rejected.find("(workspace 1.0 MiB)"), std::string::npos) << capped.rejected;
  const cuda::ConvAlgorithmChoice none = cuda::choose_conv_algorithm(
      {perf(CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_DEFAULT_MATH, 0, CUDNN_STATUS_NOT_SUPPORTED)},
      1 << 29, true);
  EXPECT_EQ(none.index, -1);
  EXPECT_NE(none.rejected.find("FFT:"), std::string::npos) << none.rejected;
  EXPECT_EQ(cuda::math_type_name(CUDNN_FMA_MATH), "FMA_MATH");
}

TEST(CudaGraphCopies, AReplayOfAShortLayerLastsAtLeastFiftyMicroseconds) {
  EXPECT_EQ(cuda::graph_copies_for(0.002), 25);  // a 2 µs layer: 25 copies per replay
  EXPECT_EQ(cuda::graph_copies_for(0.0049), 11);
  EXPECT_EQ(cuda::graph_copies_for(0.05), 1);
  EXPECT_EQ(cuda::graph_copies_for(3.0), 1);
  EXPECT_EQ(cuda::graph_copies_for(1e-6), 256);  // capped
  for (double ms : {0.0013, 0.002, 0.0031, 0.0077, 0.012, 0.049}) {
    EXPECT_GE(cuda::graph_copies_for(ms) * ms, 0.05 - 1e-12) << ms;
    EXPECT_LT((cuda::graph_copies_for(ms) - 1) * ms, 0.05) << ms;  // no more than needed
  }
  const cuda::LaunchSplit split = cuda::split_runs(103, 25);
  EXPECT_EQ(split.replays, 4);
  EXPECT_EQ(split.singles, 3);
  EXPECT_EQ(split.replays * 25 + split.singles, 103);
  EXPECT_EQ(cuda::split_runs(7, 1).replays, 7);
  EXPECT_THROW(cuda::split_runs(-1, 3), Error);
}

TEST(CudaNvml, FieldAndSampleValuesDecodeByType) {
  cuda::nvml::Value v{};
  v.ullVal = 123456789012ull;
  EXPECT_EQ(cuda::nvml::value_of(cuda::nvml::kValueUnsignedLongLong, v), 123456789012.0);
  v.uiVal = 1980;
  EXPECT_EQ(cuda::nvml::value_of(cuda::nvml::kValueUnsignedInt, v), 1980.0);
  v.dVal = 1.5;
  EXPECT_EQ(cuda::nvml::value_of(cuda::nvml::kValueDouble, v), 1.5);
  EXPECT_FALSE(cuda::nvml::value_of(static_cast<cuda::nvml::ValueType>(42), v).has_value());
  EXPECT_EQ(cuda::nvml::kTemperatureVersion1, 12u | (1u << 24));  // NVML_STRUCT_VERSION
}

TEST(CudaChecks, RethrowKeepsTheKindAndAddsContext) {
  try {
    try {
      throw DeviceOutOfMemory("needs 4 GiB");
    } catch (...) {
      rethrow_with_context("cuda: layer 'fc'");
    }
  } catch (const DeviceOutOfMemory& e) {
    EXPECT_EQ(std::string(e.what()), "cuda: layer 'fc': needs 4 GiB");
  }
  EXPECT_THROW(
      {
        try {
          throw UnsupportedLayer("int8");
        } catch (...) {
          rethrow_with_context("x");
        }
      },
      UnsupportedLayer);
}

TEST(CudaNvml, ClockEventReasonsDecodeToNames) {
  EXPECT_EQ(cuda::nvml::decode_clock_event_reasons(0), "none");
  EXPECT_EQ(cuda::nvml::decode_clock_event_reasons(0x4 | 0x8), "sw_power_cap,hw_slowdown");
  EXPECT_EQ(cuda::nvml::decode_clock_event_reasons(0x1), "gpu_idle");
  EXPECT_EQ(cuda::nvml::decode_clock_event_reasons(0x40 | 0x10000),
            "hw_thermal_slowdown,unknown_0x10000");
}

TEST(CudaNvml, LibraryLoadsOrSaysWhy) {
  const auto& lib = cuda::nvml::Library::get();
  if (lib.loaded) {
    EXPECT_NE(lib.init, nullptr);
    EXPECT_NE(lib.handle_by_pci_bus_id, nullptr);
  } else {
    EXPECT_FALSE(lib.error.empty());
    EXPECT_EQ(cuda::nvml::driver_version(), "");
  }
}

// cuDNN 9 loads its operation sub-libraries (libcudnn_ops, libcudnn_cnn) on first use; a
// descriptor needs no device, so a broken install shows here rather than on the GPU machine.
TEST(CudnnLibraries, DescriptorsWorkWithoutADevice) {
  cuda::TensorDescriptor x, y;
  cuda::FilterDescriptor w;
  cuda::ConvolutionDescriptor conv;
  cuda::set_nchw(x, DataType::fp32, {2, 4, 10, 10});
  NP_CUDA_CHECK(
      cudnnSetFilter4dDescriptor(w.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 8, 4, 3, 3));
  NP_CUDA_CHECK(cudnnSetConvolution2dDescriptor(conv.get(), 1, 1, 2, 2, 1, 1,
                                                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  int n = 0, c = 0, h = 0, wd = 0;
  NP_CUDA_CHECK(
      cudnnGetConvolution2dForwardOutputDim(conv.get(), x.get(), w.get(), &n, &c, &h, &wd));
  EXPECT_EQ(n, 2);
  EXPECT_EQ(c, 8);
  EXPECT_EQ(h, 5);
  EXPECT_EQ(wd, 5);
  EXPECT_THROW(cuda::set_nchw(y, DataType::int8, {1, 1, 1, 1}), UnsupportedLayer);
  EXPECT_GE(cudnnGetVersion() / 10000, 9u);
}

#endif  // NP_CUDA_BACKEND_LINKED

}  // namespace
}  // namespace np::test
