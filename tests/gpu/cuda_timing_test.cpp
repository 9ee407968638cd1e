// Timing, power and memory behaviour of the cuda backend: timed_runs is positive, scales with
// the iteration count and agrees with and without graphs; run_for lasts its window; a whole
// network times as a whole and layer by layer; the NVML energy counter moves during a window;
// a layer far too large fails with DeviceOutOfMemory before allocating. Skips without a CUDA
// device. Never locks clocks: the lent GPU machines forbid changing clock settings.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "backends/test_nets.hpp"
#include "gpu/gpu_support.hpp"
#include "neuralpower/backend_registry.hpp"
#include "neuralpower/load.hpp"

namespace np::test {
namespace {

SingleLayerNet conv_net(int64_t batch, int64_t channels, int64_t size) {
  ConvAttrs a;
  a.out_channels = channels;
  a.kernel_h = a.kernel_w = 3;
  a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = 1;
  return single_layer_net(make_layer("conv", LayerKind::conv, a), {{batch, channels, size, size}});
}

// Median ms per run over `trials` timed_runs(iterations).
double median_per_run(PreparedLayer& layer, int iterations, int trials = 7) {
  std::vector<double> per_run;
  for (int t = 0; t < trials; ++t) per_run.push_back(layer.timed_runs(iterations) / iterations);
  std::sort(per_run.begin(), per_run.end());
  return per_run[per_run.size() / 2];
}

class CudaTiming : public ::testing::Test {
 protected:
  void SetUp() override { NP_SKIP_WITHOUT_CUDA(); }
};

TEST_F(CudaTiming, TimedRunsArePositiveAndScaleWithIterations) {
  const auto built = conv_net(2, 64, 56);
  auto layer = cuda_backend().prepare(built.net, built.id, RunSettings{});
  const double one = median_per_run(*layer, 100);
  const double two = median_per_run(*layer, 200);
  EXPECT_GT(one, 0.0);
  EXPECT_NEAR(two / one, 1.0, 0.2) << "per-run ms at 100 and 200 iterations: " << one << ", " << two
                                   << "; " << layer->algorithm();
  EXPECT_EQ(layer->timed_runs(0), 0.0);
  EXPECT_THROW(layer->timed_runs(-1), Error);
}

TEST_F(CudaTiming, GraphsAndDirectLaunchesAgreeWithinTwentyPercent) {
  // A few hundred microseconds per run: device time, not the host's launch cost, dominates
  // both ways (for microsecond layers direct launches are host-bound, which graphs remove).
  const auto built = conv_net(8, 128, 56);
  RunSettings graphs, direct;
  direct.use_graphs = false;
  auto with_graph = cuda_backend().prepare(built.net, built.id, graphs);
  auto without = cuda_backend().prepare(built.net, built.id, direct);
  EXPECT_NE(with_graph->algorithm().find("CUDA graph"), std::string::npos);
  EXPECT_NE(without->algorithm().find("direct launches"), std::string::npos);
  const double g = median_per_run(*with_graph, 50);
  const double d = median_per_run(*without, 50);
  std::cout << "conv 8x128x56x56 3x3: " << g << " ms with graphs, " << d << " ms without; "
            << with_graph->algorithm() << "\n";
  EXPECT_NEAR(d / g, 1.0, 0.2) << "graph " << g << " ms, direct " << d << " ms";
}

TEST_F(CudaTiming, RunForLastsTheWindowAndCountsRuns) {
  const auto built = conv_net(2, 64, 56);
  auto layer = cuda_backend().prepare(built.net, built.id, RunSettings{});
  const auto start = std::chrono::steady_clock::now();
  const int64_t runs = layer->run_for(0.3);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(runs, 0);
  EXPECT_GE(elapsed.count(), 0.3);
  EXPECT_LT(elapsed.count(), 1.0);
  // The runs fill the window: their device time is most of it.
  const double per_run_ms = median_per_run(*layer, 100);
  EXPECT_GT(runs * per_run_ms, 0.8 * 300.0) << runs << " runs of " << per_run_ms << " ms";
  EXPECT_THROW(layer->run_for(-1), Error);
}

TEST_F(CudaTiming, NetworkTimesAsAWholeAndLayerByLayer) {
  ImportOptions options;
  options.batch = 2;
  const Network net = load_network("resnet18", options);
  auto prepared = cuda_backend().prepare_network(net, RunSettings{});
  std::vector<double> whole;
  for (int t = 0; t < 5; ++t) whole.push_back(prepared->timed_runs(20) / 20);
  std::sort(whole.begin(), whole.end());
  const double per_run = whole[2];
  const std::vector<double> layers = prepared->timed_layers(10);
  ASSERT_EQ(layers.size(), static_cast<size_t>(net.size()));
  double sum = 0;
  for (int id = 0; id < net.size(); ++id) {
    const double ms = layers[static_cast<size_t>(id)];
    if (is_zero_cost(net.layer(id).kind)) {
      EXPECT_EQ(ms, 0.0) << net.layer(id).name;
    } else {
      EXPECT_GT(ms, 0.0) << net.layer(id).name;
    }
    sum += ms;
  }
  std::cout << "resnet18 batch 2: " << per_run << " ms per run, layers sum to " << sum << " ms\n";
  EXPECT_GT(per_run, 0.0);
  EXPECT_GT(sum, 0.5 * per_run);
  EXPECT_LT(sum, 2.0 * per_run);
  EXPECT_GT(prepared->run_for(0.2), 0);
}

TEST_F(CudaTiming, FcFarTooLargeIsDeviceOutOfMemoryBeforeAllocating) {
  // 10^11 weights: 400 GB in fp32.
  const auto built =
      single_layer_net(make_layer("huge", LayerKind::fc, FcAttrs{1'000'000, true}), {{2, 100'000}});
  try {
    (void)cuda_backend().prepare(built.net, built.id, RunSettings{});
    FAIL() << "a layer of 400 GB was prepared";
  } catch (const DeviceOutOfMemory& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("needs"), std::string::npos) << message;
    EXPECT_NE(message.find("parameters"), std::string::npos) << message;
  }
  // The device is still usable afterwards.
  const auto small = conv_net(1, 8, 8);
  EXPECT_GT(cuda_backend().prepare(small.net, small.id, RunSettings{})->timed_runs(3), 0.0);
}

TEST(CudaPowerMeter, EnergyCounterMovesDuringAWindow) {
  NP_SKIP_WITHOUT_CUDA();
  const auto meter = make_power_meter("cuda");
  ASSERT_EQ(meter->name(), "nvml");
  std::cout << "nvml: " << meter->status() << "\n";
  if (!meter->available()) GTEST_SKIP() << "NVML energy unavailable: " << meter->status();
  EXPECT_DOUBLE_EQ(meter->update_period_ms(), 100.0);
  const auto built = conv_net(32, 256, 56);  // heavy enough to draw real power
  auto layer = cuda_backend().prepare(built.net, built.id, RunSettings{});
  layer->run_for(0.5);  // warm-up: clocks and power settle
  const MeterReadings before = meter->read();
  const auto start = std::chrono::steady_clock::now();
  const int64_t runs = layer->run_for(1.5);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const MeterReadings after = meter->read();
  ASSERT_TRUE(before.energy_mj && after.energy_mj);
  const double joules = (*after.energy_mj - *before.energy_mj) / 1e3;
  const double watts = joules / elapsed.count();
  std::cout << "run_for(1.5): " << runs << " runs, " << joules << " J in " << elapsed.count()
            << " s = " << watts << " W; power reading "
            << (after.power_w ? std::to_string(*after.power_w) : "-") << " W, SM "
            << (after.sm_clock_mhz ? std::to_string(*after.sm_clock_mhz) : "-") << " MHz, mem "
            << (after.mem_clock_mhz ? std::to_string(*after.mem_clock_mhz) : "-") << " MHz, "
            << (after.temperature_c ? std::to_string(*after.temperature_c) : "-") << " C, limit "
            << (after.power_limit_w ? std::to_string(*after.power_limit_w) : "-")
            << " W, clock event reasons " << after.throttle_reasons << "\n";
  EXPECT_GT(joules, 0.0);
  EXPECT_GT(watts, 20.0);    // an H100/H200 idles near 70 W and draws far more under load
  EXPECT_LT(watts, 1500.0);  // nothing lent here draws more
  // A virtual machine may pass the energy counter through but not the clocks or the clock
  // event reasons: that is the VM, not the backend.
  if (!after.sm_clock_mhz || after.throttle_reasons.empty()) {
    GTEST_SKIP() << "energy counter works; this machine exposes no "
                 << (!after.sm_clock_mhz ? "SM clock" : "clock event reasons") << " reading ("
                 << meter->status() << ")";
  }
  EXPECT_GT(*after.sm_clock_mhz, 0.0);
}

TEST_F(CudaTiming, ShortLayersReplayAGraphOfSeveralCopies) {
  // A relu of 4096 values runs in a few µs: one replay would time the host's launch.
  Layer relu;
  relu.name = "relu";
  relu.kind = LayerKind::act;
  relu.attrs = ActAttrs{};
  const auto built = single_layer_net(relu, {{1, 64, 8, 8}});
  auto layer = cuda_backend().prepare(built.net, built.id, RunSettings{});
  const LayerRunInfo info = layer->run_info();
  const double per_run = median_per_run(*layer, 1000);
  std::cout << "relu 1x64x8x8: " << per_run * 1e3 << " us per run, " << info.graph_copies
            << " runs per replay; " << layer->algorithm() << "\n";
  EXPECT_GT(info.graph_copies, 1) << layer->algorithm();
  EXPECT_NE(layer->algorithm().find("runs per replay"), std::string::npos) << layer->algorithm();
  EXPECT_GT(per_run, 0.0);
  EXPECT_GE(per_run * info.graph_copies, 0.03);  // a replay lasts tens of µs
  // Iteration counts that are not multiples of the copies still time that many runs.
  const double odd = median_per_run(*layer, info.graph_copies * 40 + 7);
  EXPECT_NEAR(odd / per_run, 1.0, 0.25);
}

TEST_F(CudaTiming, RunBatchesTimesEachBatchWithTheNextOneQueued) {
  const auto built = conv_net(2, 64, 56);
  auto layer = cuda_backend().prepare(built.net, built.id, RunSettings{});
  const double per_run = median_per_run(*layer, 100);
  std::vector<double> batches;
  const auto start = std::chrono::steady_clock::now();
  layer->run_batches(20, [&](double ms) {
    batches.push_back(ms / 20);
    return batches.size() < 10;
  });
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(batches.size(), 10u);
  for (double ms : batches) EXPECT_NEAR(ms / per_run, 1.0, 0.2) << ms << " vs " << per_run;
  // 11 batches ran (one was queued when the callback said stop), back to back.
  EXPECT_LT(elapsed.count() * 1e3, 11 * 20 * per_run * 1.5 + 5);
}

}  // namespace
}  // namespace np::test
