#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "neuralpower/config_text.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/random_layers.hpp"
#include "neuralpower/sampling_plan.hpp"

namespace np {
namespace {

std::vector<std::string> configs_of(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& c : plan.configs) out.push_back(c.config);
  return out;
}

PlanOptions small_nets_plan() {
  PlanOptions o;
  o.kind = PlanKind::nets;
  o.networks = {"lenet", "alexnet-2012"};
  o.batches = {1, 2, 4};
  return o;
}

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

TEST(SamplingPlan, TrainingNetworksFollowThePapersSplit) {
  const auto names = default_training_networks();
  for (const char* test : {"vgg-16", "nin", "cifar10-6conv", "alexnet-v2", "overfeat-fast"}) {
    EXPECT_FALSE(contains(names, test)) << test;
  }
  for (const char* modern :
       {"resnet50", "mobilenet_v2", "efficientnet_b0", "densenet121", "regnet_y_400mf",
        "convnext_tiny", "swin_t", "deeplabv3_mobilenet_v3_large", "vgg16"}) {
    EXPECT_FALSE(contains(names, modern)) << modern;
  }
  for (const char* train : {"alexnet-2012", "caffenet", "vgg-19", "googlenet-2014", "lenet",
                            "zf-net", "resnet18", "mobilenet_v3_small", "squeezenet1_0", "vit_b_16",
                            "maxvit_t", "fcn_resnet50", "ssdlite320_mobilenet_v3_large"}) {
    EXPECT_TRUE(contains(names, train)) << train;
  }
}

// A detector's input has no batch dim: its layers enter the plan once, at batch 1, whatever the
// batches asked for.
TEST(SamplingPlan, ADetectorsLayersEnterOnceAtBatchOne) {
  PlanOptions o;
  o.kind = PlanKind::nets;
  o.batches = {2, 4, 8};
  o.networks = {"ssdlite320_mobilenet_v3_large"};
  const Plan plan = make_plan(o);
  std::set<std::string> layers;
  int convs = 0;
  for (const auto& c : plan.configs) {
    EXPECT_TRUE(layers.insert(c.source_layer).second) << c.source_layer << " twice";
    if (c.kind != LayerKind::conv) continue;
    ++convs;
    EXPECT_EQ(c.net.layer(c.layer_id()).output_shape.at(0), 1) << c.config;
  }
  EXPECT_GT(convs, 20);
}

TEST(SamplingPlan, TorchvisionVgg16IsATwinOfTheTestNetwork) {
  // Why vgg16 is held out: its conv and fc layers are those of the paper's VGG-16.
  PlanOptions o;
  o.kind = PlanKind::nets;
  o.batches = {1};
  o.include_test_networks = true;
  o.networks = {"vgg-16"};
  std::set<std::string> paper;
  for (const auto& c : make_plan(o).configs) {
    if (c.kind == LayerKind::conv) paper.insert(c.config);
  }
  o.networks = {"vgg16"};
  std::set<std::string> torchvision;
  for (const auto& c : make_plan(o).configs) {
    if (c.kind == LayerKind::conv) torchvision.insert(c.config);
  }
  EXPECT_FALSE(paper.empty());
  EXPECT_EQ(paper, torchvision);
}

TEST(SamplingPlan, HeldOutNetworksAreRefusedUnlessIncluded) {
  PlanOptions o = small_nets_plan();
  o.networks = {"lenet", "nin"};
  try {
    make_plan(o);
    FAIL() << "nin was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nin'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--include-test-networks"), std::string::npos);
  }
  o.include_test_networks = true;
  const Plan plan = make_plan(o);
  EXPECT_TRUE(std::any_of(plan.configs.begin(), plan.configs.end(),
                          [](const LayerConfig& c) { return c.source_network == "nin"; }));
}

TEST(SamplingPlan, DefaultNetsPlanNeverUsesATestNetwork) {
  PlanOptions o;
  o.kind = PlanKind::nets;
  o.batches = {1};
  const Plan plan = make_plan(o);
  EXPECT_GT(plan.configs.size(), 300u);
  for (const auto& c : plan.configs) {
    ASSERT_FALSE(is_held_out_network(c.source_network)) << c.source_network;
  }
  EXPECT_EQ(plan.networks, default_training_networks());
}

TEST(SamplingPlan, SameSeedSamePlanOtherSeedOtherPlan) {
  PlanOptions o = small_nets_plan();
  o.kind = PlanKind::both;
  o.random_count = 200;
  const Plan a = make_plan(o);
  const Plan b = make_plan(o);
  EXPECT_EQ(configs_of(a), configs_of(b));
  o.seed += 1;
  const Plan c = make_plan(o);
  EXPECT_NE(configs_of(a), configs_of(c));
  // The nets part is the same set whatever the seed; only its order changes.
  auto nets_part = [](const Plan& p) {
    std::set<std::string> s;
    for (const auto& cfg : p.configs) {
      if (!cfg.source_network.empty()) s.insert(cfg.config);
    }
    return s;
  };
  EXPECT_EQ(nets_part(a), nets_part(c));
}

TEST(SamplingPlan, ConfigurationsAreUniqueAndRepeatsAreCounted) {
  PlanOptions o;
  o.kind = PlanKind::nets;
  o.networks = {"vgg-19"};
  o.batches = {1};
  const Plan plan = make_plan(o);
  const auto configs = configs_of(plan);
  EXPECT_EQ(std::set<std::string>(configs.begin(), configs.end()).size(), configs.size());
  // VGG-19 repeats conv 3x3 512 at 28x28 and at 14x14 (and their relus) several times.
  const Network net = load_network("vgg-19", ImportOptions{1, {}, {}, false});
  int64_t modelled = 0;
  for (const auto& layer : net.layers()) modelled += is_modelled_kind(layer.kind) ? 1 : 0;
  EXPECT_GT(plan.duplicates, 5);
  EXPECT_EQ(static_cast<int64_t>(plan.configs.size()) + plan.duplicates, modelled);
}

TEST(SamplingPlan, OneLayerNetworksKeepTheFeaturesOfTheLayer) {
  for (const char* name : {"lenet", "googlenet-2014", "mobilenet_v3_small", "shufflenet_v2_x1_0"}) {
    ImportOptions options;
    options.batch = 3;
    const Network net = load_network(name, options);
    for (int id = 0; id < net.size(); ++id) {
      if (!is_modelled_kind(net.layer(id).kind)) continue;
      const Network one = extract_layer(net, id);
      ASSERT_EQ(one.layer(one.size() - 1).kind, net.layer(id).kind);
      EXPECT_EQ(named_features(one, one.size() - 1), named_features(net, id))
          << name << " layer " << net.layer(id).name;
    }
  }
}

TEST(SamplingPlan, ConfigTextIgnoresNamesButNotShapesOrAttributes) {
  auto build = [](const std::string& layer_name, int64_t batch, int64_t stride) {
    Network net("n-" + layer_name, batch);
    Layer in;
    in.name = "data";
    in.kind = LayerKind::input;
    in.attrs = InputAttrs{{3, 32, 32}};
    const int x = net.add(in);
    Layer conv;
    conv.name = layer_name;
    conv.kind = LayerKind::conv;
    conv.op = layer_name == "a" ? "Conv" : "Convolution";
    conv.inputs = {x};
    ConvAttrs a;
    a.out_channels = 16;
    a.kernel_h = a.kernel_w = 3;
    a.stride_h = a.stride_w = stride;
    conv.attrs = a;
    const int id = net.add(conv);
    net.infer_shapes();
    return config_text(extract_layer(net, id));
  };
  EXPECT_EQ(build("a", 2, 1), build("b", 2, 1));
  EXPECT_NE(build("a", 2, 1), build("a", 4, 1));
  EXPECT_NE(build("a", 2, 1), build("a", 2, 2));
  EXPECT_EQ(build("a", 2, 1),
            "conv in=2x3x32x32 out=16 k=3x3 s=1x1 p=0,0,0,0 d=1x1 g=1 bias=1 fp32");
}

TEST(SamplingPlan, MaxConfigsKeepsAPrefixOfTheFullPlan) {
  PlanOptions o = small_nets_plan();
  o.kind = PlanKind::both;
  o.random_count = 100;
  const Plan full = make_plan(o);
  o.max_configs = 25;
  const Plan capped = make_plan(o);
  ASSERT_EQ(capped.configs.size(), 25u);
  EXPECT_EQ(capped.beyond_max_configs, static_cast<int64_t>(full.configs.size()) - 25);
  for (size_t i = 0; i < capped.configs.size(); ++i) {
    EXPECT_EQ(capped.configs[i].config, full.configs[i].config);
  }
  // The shuffle mixes both plans into the prefix.
  std::set<bool> from_network;
  for (const auto& c : capped.configs) from_network.insert(!c.source_network.empty());
  EXPECT_EQ(from_network.size(), 2u);
}

TEST(SamplingPlan, MemoryAndFlopCapsDropBigConfigurations) {
  PlanOptions o = small_nets_plan();
  o.batches = {1, 256};
  o.max_tensor_bytes = 0;
  const Plan uncapped = make_plan(o);
  o.max_tensor_bytes = 256 << 20;
  o.max_flops = int64_t{1} << 30;
  const Plan capped = make_plan(o);
  EXPECT_GT(capped.over_memory_cap, 0);
  EXPECT_GT(capped.over_flops_cap, 0);
  EXPECT_EQ(capped.configs.size() + static_cast<size_t>(capped.over_memory_cap) +
                static_cast<size_t>(capped.over_flops_cap),
            uncapped.configs.size());
  for (const auto& c : capped.configs) {
    EXPECT_LE(c.tensor_bytes, o.max_tensor_bytes) << c.config;
    EXPECT_LE(c.flops, o.max_flops) << c.config;
  }
}

TEST(SamplingPlan, RandomPlanHasTheRequestedCountUnderTheDefaultCap) {
  PlanOptions o;
  o.kind = PlanKind::random;
  o.random_count = 3000;
  o.coverage = false;  // the random draws alone
  const Plan plan = make_plan(o);
  ASSERT_EQ(plan.configs.size(), 3000u);
  std::map<std::string, int> kinds;
  bool depthwise = false, grouped = false, rectangular = false;
  std::set<int64_t> kernels, strides;
  int64_t min_channels = 1 << 30, max_channels = 0, min_spatial = 1 << 30, max_spatial = 0;
  int64_t min_batch = 1 << 30, max_batch = 0;
  for (const auto& c : plan.configs) {
    ++kinds[std::string(to_string(c.kind))];
    EXPECT_TRUE(c.source_network.empty());
    EXPECT_LE(c.tensor_bytes, int64_t{4} << 30);
    const Layer& layer = c.net.layer(c.layer_id());
    const Shape& in = c.net.layer(layer.inputs[0]).output_shape;
    min_batch = std::min(min_batch, in[0]);
    max_batch = std::max(max_batch, in[0]);
    EXPECT_EQ(named_features(c.net, c.layer_id()).size(),
              feature_spec(layer.kind).features.size() + feature_spec(layer.kind).specials.size());
    if (layer.kind != LayerKind::conv) continue;
    const auto& a = std::get<ConvAttrs>(layer.attrs);
    kernels.insert(a.kernel_h);
    strides.insert(a.stride_h);
    min_channels = std::min({min_channels, in[1], a.out_channels});
    max_channels = std::max({max_channels, in[1], a.out_channels});
    min_spatial = std::min(min_spatial, in[2]);
    max_spatial = std::max(max_spatial, in[2]);
    depthwise |= a.groups > 1 && a.groups == in[1];
    grouped |= a.groups > 1 && a.groups < in[1];
    rectangular |= in[2] != in[3];
  }
  for (LayerKind kind : modelled_kinds()) {
    EXPECT_GT(kinds[std::string(to_string(kind))], 0) << to_string(kind);
  }
  EXPECT_GT(kinds["conv"], 900);  // conv gets about 40% of the draws
  EXPECT_EQ(kernels, (std::set<int64_t>{1, 3, 5, 7, 11}));
  EXPECT_EQ(strides, (std::set<int64_t>{1, 2, 4}));
  EXPECT_EQ(min_channels, 3);
  EXPECT_LE(max_channels, 2048);
  EXPECT_GE(max_channels, 1024);
  EXPECT_GE(min_spatial, 7);
  EXPECT_LE(max_spatial, 224);
  EXPECT_LE(min_spatial, 8);
  EXPECT_GE(max_spatial, 200);
  EXPECT_EQ(min_batch, 1);
  EXPECT_LE(max_batch, 256);
  EXPECT_GE(max_batch, 200);
  EXPECT_TRUE(depthwise);
  EXPECT_TRUE(grouped);
  EXPECT_TRUE(rectangular);
}

TEST(SamplingPlan, BadOptionsAreErrors) {
  PlanOptions o = small_nets_plan();
  o.batches = {1, 0};
  EXPECT_THROW(make_plan(o), Error);
  o = small_nets_plan();
  o.networks = {"no-such-network"};
  EXPECT_THROW(make_plan(o), Error);
  EXPECT_THROW(plan_kind_from_string("everything"), Error);
  EXPECT_EQ(plan_kind_from_string("random"), PlanKind::random);
}

}  // namespace
}  // namespace np
