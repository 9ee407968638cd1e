// The cpu backend beyond single-layer numerics: zoo networks layer by layer, whole-network
// runs, timing behaviour, errors on bad input, the device description.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "backends/common/canonical_data.hpp"
#include "backends/cpu/cpu_inspect.hpp"
#include "backends/test_nets.hpp"
#include "common/test_names.hpp"
#include "neuralpower/load.hpp"

namespace np::test {
namespace {

std::unique_ptr<Backend> cpu() { return make_backend("cpu"); }

Network zoo(const std::string& name) {
  ImportOptions options;
  options.batch = 1;
  return load_network(name, options);
}

ConvAttrs conv3x3(int64_t out) {
  ConvAttrs a;
  a.out_channels = out;
  a.kernel_h = a.kernel_w = 3;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = 1;
  return a;
}

class CpuZoo : public ::testing::TestWithParam<std::string> {};

// Every layer of the network prepares, runs and matches the reference on canonical data.
TEST_P(CpuZoo, EveryLayerMatchesTheReference) {
  const Network net = zoo(GetParam());
  auto backend = cpu();
  int computed = 0;
  for (int id = 0; id < net.size(); ++id) {
    expect_matches_reference(*backend, net, id, RunSettings{}, 1e-4);
    computed += !is_zero_cost(net.layer(id).kind);
    if (HasFailure()) break;  // one failing layer is enough to read
  }
  EXPECT_GT(computed, 10);
}

TEST_P(CpuZoo, WholeNetworkRunsAndTimesEveryLayer) {
  const Network net = zoo(GetParam());
  auto prepared = cpu()->prepare_network(net, RunSettings{});
  // Fastest of three for both timings: a loaded machine can stretch any single run.
  double one = prepared->timed_runs(1);
  double sum = std::numeric_limits<double>::infinity();
  for (int repeat = 0; repeat < 3; ++repeat) {
    if (repeat > 0) one = std::min(one, prepared->timed_runs(1));
    const std::vector<double> layers = prepared->timed_layers(1);
    ASSERT_EQ(layers.size(), static_cast<size_t>(net.size()));
    double layer_sum = 0;
    for (int id = 0; id < net.size(); ++id) {
      const auto& layer = net.layer(id);
      if (layer.kind == LayerKind::input) {
        EXPECT_EQ(layers[static_cast<size_t>(id)], 0.0) << layer.name;
      }
      if (layer.kind == LayerKind::conv || layer.kind == LayerKind::fc) {
        EXPECT_GT(layers[static_cast<size_t>(id)], 0.0) << layer.name;
      }
      layer_sum += layers[static_cast<size_t>(id)];
    }
    sum = std::min(sum, layer_sum);
  }
  EXPECT_GT(one, 0.0);
  // Layer by layer with a wait around each is the same work as the whole run.
  EXPECT_GT(sum, 0.3 * one);
  EXPECT_LT(sum, 3.0 * one);
}

INSTANTIATE_TEST_SUITE_P(Networks, CpuZoo,
                         ::testing::Values("resnet18", "convnext_tiny", "shufflenet_v2_x1_0"),
                         ParamName());

// The reference applied layer after layer from the canonical network inputs.
std::vector<std::vector<float>> chained_reference(const Network& net) {
  std::vector<std::vector<float>> values(static_cast<size_t>(net.size()));
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    if (layer.kind == LayerKind::input || layer.kind == LayerKind::unknown) {
      values[static_cast<size_t>(id)] = reference_layer_output(net, id);
      continue;
    }
    std::vector<RefTensor> inputs, parameters;
    std::vector<Shape> shapes;
    for (int input : layer.inputs) {
      shapes.push_back(net.layer(input).output_shape);
      inputs.push_back({shapes.back(), values[static_cast<size_t>(input)]});
    }
    for (const auto& t : canonical_parameters(layer, shapes)) {
      parameters.push_back({t.shape, t.values()});
    }
    values[static_cast<size_t>(id)] =
        reference_forward(layer, inputs, parameters, layer.output_shape);
  }
  return values;
}

class CpuZooNetworkRun : public ::testing::TestWithParam<std::string> {};

// Buffers reused across the network never clobber a tensor before its last reader: the
// network's outputs equal the reference chained through every layer.
TEST_P(CpuZooNetworkRun, OutputsEqualTheChainedReference) {
  const Network net = zoo(GetParam());
  auto prepared = cpu()->prepare_network(net, RunSettings{});
  prepared->timed_runs(2);  // a second run must not read what the first left behind
  const auto expected = chained_reference(net);
  std::vector<bool> read(static_cast<size_t>(net.size()), false);
  for (const auto& layer : net.layers()) {
    for (int input : layer.inputs) read[static_cast<size_t>(input)] = true;
  }
  int outputs = 0;
  for (int id = 0; id < net.size(); ++id) {
    if (read[static_cast<size_t>(id)]) continue;
    ++outputs;
    const auto comparison = compare_outputs(cpu::network_layer_output(*prepared, id),
                                            expected[static_cast<size_t>(id)], 1e-3);
    EXPECT_TRUE(comparison.ok) << net.layer(id).name << ": " << comparison.message;
  }
  EXPECT_GE(outputs, 1);
}

INSTANTIATE_TEST_SUITE_P(Networks, CpuZooNetworkRun,
                         ::testing::Values("resnet18", "shufflenet_v2_x1_0", "googlenet",
                                           "mobilenet_v3_small"),
                         ParamName());

TEST(CpuNetwork, RunForLastsAtLeastTheRequestedTime) {
  auto built = single_layer_net(make_layer("c", LayerKind::conv, conv3x3(8)), {{1, 8, 16, 16}});
  auto prepared = cpu()->prepare_network(built.net, RunSettings{});
  const auto start = std::chrono::steady_clock::now();
  const int64_t runs = prepared->run_for(0.05);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(runs, 1);
  EXPECT_GE(seconds, 0.05);
}

TEST(CpuTiming, MoreIterationsTakeLonger) {
  auto built = single_layer_net(make_layer("c", LayerKind::conv, conv3x3(32)), {{1, 32, 28, 28}});
  auto prepared = cpu()->prepare(built.net, built.id, RunSettings{});
  // The fastest of a few repeats: a shared machine can preempt any single timing, never make
  // it shorter than the work.
  const auto fastest_of = [&](int runs) {
    double best = prepared->timed_runs(runs);
    for (int repeat = 1; repeat < 5; ++repeat) best = std::min(best, prepared->timed_runs(runs));
    return best;
  };
  const double five = fastest_of(5);
  const double fifty = fastest_of(50);
  EXPECT_GT(five, 0.0);
  EXPECT_GT(fifty, five);
  EXPECT_LT(fastest_of(0), 1.0);  // no runs: nothing but reading the clock
}

TEST(CpuTiming, RunForLastsAtLeastTheRequestedTime) {
  auto built = single_layer_net(make_layer("c", LayerKind::conv, conv3x3(8)), {{1, 8, 16, 16}});
  auto prepared = cpu()->prepare(built.net, built.id, RunSettings{});
  const auto start = std::chrono::steady_clock::now();
  const int64_t runs = prepared->run_for(0.05);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(runs, 1);
  EXPECT_GE(seconds, 0.05);
}

TEST(CpuTiming, ZeroCostLayersTakeNoTimeAndReturnTheirInput) {
  auto built = single_layer_net(make_layer("f", LayerKind::flatten, NoAttrs{}), {{2, 4, 3, 3}});
  auto prepared = cpu()->prepare(built.net, built.id, RunSettings{});
  EXPECT_LT(prepared->timed_runs(1000), 1.0);  // 1000 runs of nothing: well under a millisecond
  EXPECT_EQ(prepared->algorithm(), "none");
  EXPECT_EQ(prepared->output(), reference_layer_output(built.net, 0));
}

TEST(CpuTiming, TwoThreadsRunTheSameNumbers) {
  auto built = single_layer_net(make_layer("c", LayerKind::conv, conv3x3(16)), {{2, 8, 12, 12}});
  RunSettings two;
  two.threads = 2;
  const auto one_thread = cpu()->prepare(built.net, built.id, RunSettings{})->output();
  const auto two_threads = cpu()->prepare(built.net, built.id, two)->output();
  EXPECT_TRUE(compare_outputs(two_threads, one_thread, 1e-5).ok);
}

TEST(CpuErrors, UnsupportedDataTypesAreNamed) {
  auto built = single_layer_net(make_layer("c", LayerKind::conv, conv3x3(4)), {{1, 4, 5, 5}});
  for (DataType type : {DataType::fp16, DataType::int8}) {
    RunSettings settings;
    settings.dtype = type;
    try {
      cpu()->prepare(built.net, built.id, settings);
      ADD_FAILURE() << "no error for " << to_string(type);
    } catch (const UnsupportedLayer& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(to_string(type))), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("'c'"), std::string::npos) << e.what();
    }
  }
}

TEST(CpuErrors, EvenLrnWindowIsUnsupportedWithTheSize) {
  auto built = single_layer_net(make_layer("norm", LayerKind::lrn, LrnAttrs{4, 1e-4, 0.75, 1.0}),
                                {{1, 8, 3, 3}});
  try {
    cpu()->prepare(built.net, built.id, RunSettings{});
    FAIL() << "an even lrn window was accepted";
  } catch (const UnsupportedLayer& e) {
    EXPECT_NE(std::string(e.what()).find("lrn size 4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'norm'"), std::string::npos) << e.what();
  }
}

TEST(CpuNetwork, EachNetworkInputHoldsItsOwnCanonicalData) {
  auto built = single_layer_net(make_layer("sum", LayerKind::add, EltwiseAttrs{}),
                                {{1, 2, 3, 3}, {1, 2, 3, 3}});
  auto backend = cpu();
  const auto first = backend->prepare(built.net, 0, RunSettings{})->output();
  const auto second = backend->prepare(built.net, 1, RunSettings{})->output();
  EXPECT_EQ(first, reference_layer_output(built.net, 0));
  EXPECT_EQ(second, reference_layer_output(built.net, 1));
  EXPECT_NE(first, second);
  // The network run starts from the same data.
  auto prepared = backend->prepare_network(built.net, RunSettings{});
  const auto sum = cpu::network_layer_output(*prepared, built.id);
  ASSERT_EQ(sum.size(), first.size());
  for (size_t i = 0; i < sum.size(); ++i) EXPECT_FLOAT_EQ(sum[i], first[i] + second[i]);
}

TEST(CpuNetwork, Bf16NetworkRuns) {
  RunSettings settings;
  settings.dtype = DataType::bf16;
  if (cpu()->device().detail.find("bf16 supported") == std::string::npos) {
    GTEST_SKIP() << "no bf16 on this cpu";
  }
  const Network net = zoo("shufflenet_v2_x1_0");
  auto prepared = cpu()->prepare_network(net, settings);
  EXPECT_GT(prepared->timed_runs(1), 0.0);
  const auto layers = prepared->timed_layers(1);
  EXPECT_EQ(layers.size(), static_cast<size_t>(net.size()));
}

TEST(CpuErrors, UnmodelledLayersAreData) {
  Network net("u", 1);
  net.add(make_layer("data", LayerKind::input, InputAttrs{{3, 4}}));
  net.add(make_layer("mystery", LayerKind::unknown, UnknownAttrs{{5}}, {0}));
  net.infer_shapes();
  auto prepared = cpu()->prepare(net, 1, RunSettings{});
  EXPECT_EQ(prepared->algorithm(), "none");
  EXPECT_EQ(prepared->output(), reference_layer_output(net, 1));
}

TEST(CpuErrors, BadLayerIdsAndSettingsAreErrorsNotCrashes) {
  auto built = single_layer_net(make_layer("c", LayerKind::conv, conv3x3(4)), {{1, 4, 5, 5}});
  auto backend = cpu();
  EXPECT_THROW(backend->prepare(built.net, -1, RunSettings{}), Error);
  EXPECT_THROW(backend->prepare(built.net, built.net.size(), RunSettings{}), Error);
  RunSettings no_threads;
  no_threads.threads = 0;
  EXPECT_THROW(backend->prepare(built.net, built.id, no_threads), Error);
  EXPECT_THROW(backend->prepare_network(built.net, no_threads), Error);
  EXPECT_THROW(backend->prepare_network(Network("empty", 1), RunSettings{}), Error);
  auto prepared = backend->prepare(built.net, built.id, RunSettings{});
  EXPECT_THROW(prepared->timed_runs(-1), Error);
  EXPECT_THROW(prepared->run_for(-1.0), Error);
  EXPECT_THROW(make_backend("cpu", 1), Error);
}

TEST(CpuErrors, ShapesThatDisagreeWithTheAttributesAreRejected) {
  auto built = single_layer_net(make_layer("c", LayerKind::conv, conv3x3(4)), {{1, 4, 5, 5}});
  // A hand-edited network: the conv now claims 6 output channels it has no weights for.
  std::get<ConvAttrs>(built.net.mutable_layer(built.id).attrs).out_channels = 6;
  try {
    cpu()->prepare(built.net, built.id, RunSettings{});
    FAIL() << "inconsistent shapes were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'c'"), std::string::npos) << e.what();
  }
}

TEST(CpuErrors, ALayerLargerThanMemoryIsDeviceOutOfMemory) {
  // 2^36 fp32 elements (256 GiB) per tensor: refused before anything is allocated.
  auto built =
      single_layer_net(make_layer("huge", LayerKind::act, ActAttrs{}), {{16, 256, 4096, 4096}});
  EXPECT_THROW(cpu()->prepare(built.net, built.id, RunSettings{}), DeviceOutOfMemory);
  EXPECT_THROW(cpu()->prepare_network(built.net, RunSettings{}), DeviceOutOfMemory);
}

TEST(CpuDevice, DescribesTheMachine) {
  const DeviceInfo info = cpu()->device();
  EXPECT_EQ(info.backend, "cpu");
  EXPECT_FALSE(info.name.empty());
  EXPECT_NE(info.driver.find("Linux"), std::string::npos) << info.driver;
  EXPECT_NE(info.runtime_version.find("oneDNN 2."), std::string::npos) << info.runtime_version;
  EXPECT_NE(info.detail.find("isa "), std::string::npos) << info.detail;
}

TEST(CpuDevice, ProbeListsTheCpuAndSaysWhyCudaIsMissing) {
  const auto statuses = probe_backends();
  ASSERT_GE(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].backend, "cpu");
  EXPECT_TRUE(statuses[0].compiled);
  ASSERT_EQ(statuses[0].devices.size(), 1u);
  for (const auto& status : statuses) {
    if (status.backend == "cuda" && !status.compiled) {
      EXPECT_NE(status.message.find("not compiled in"), std::string::npos) << status.message;
    }
  }
}

}  // namespace
}  // namespace np::test
