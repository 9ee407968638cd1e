// predict_many: the totals of many networks at many batches equal predict_network's, network by
// network, with and without power models, and bad input is refused.
#include <gtest/gtest.h>

#include "neuralpower/batch_predict.hpp"
#include "neuralpower/data_dir.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/predict.hpp"

namespace np {
namespace {

TargetModel constant_model(double value, const FeatureSpec& spec, bool power) {
  TargetModel t;
  t.model.intercept = value;
  t.model.num_features = spec.features.size() * (power ? 2 : 1);
  t.model.num_special = spec.specials.size();
  t.feature_names = spec.features;
  if (power) {
    for (const auto& name : spec.features) t.feature_names.push_back("log2_" + name);
  }
  t.feature_ranges.assign(spec.features.size(), Range{0, 1e15});
  t.special_ranges.assign(spec.specials.size(), Range{0, 1e15});
  return t;
}

// conv 2 ms at 100 W, fc 1 ms without a power model, pool 0.5 ms at 40 W; no other kind.
ModelFile hand_made_model() {
  ModelFile file;
  for (LayerKind kind : {LayerKind::conv, LayerKind::fc, LayerKind::pool}) {
    const FeatureSpec& spec = feature_spec(kind);
    KindModel k;
    k.kind = kind;
    k.features = spec.features;
    k.specials = spec.specials;
    k.runtime = constant_model(kind == LayerKind::conv ? 2.0
                               : kind == LayerKind::fc ? 1.0
                                                       : 0.5,
                               spec, false);
    if (kind != LayerKind::fc)
      k.power = constant_model(kind == LayerKind::conv ? 100 : 40, spec, true);
    file.kinds[kind] = k;
  }
  return file;
}

void expect_same_totals(const NetworkTotals& totals, const NetworkPrediction& p) {
  SCOPED_TRACE(p.network + " batch " + std::to_string(p.batch));
  EXPECT_EQ(totals.batch, p.batch);
  EXPECT_DOUBLE_EQ(totals.runtime_ms, p.runtime_ms);
  EXPECT_EQ(totals.power_w.has_value(), p.power_w.has_value());
  EXPECT_EQ(totals.energy_mj.has_value(), p.energy_mj.has_value());
  if (totals.power_w && p.power_w) {
    EXPECT_DOUBLE_EQ(*totals.power_w, *p.power_w);
  }
  if (totals.energy_mj && p.energy_mj) {
    EXPECT_DOUBLE_EQ(*totals.energy_mj, *p.energy_mj);
  }
  EXPECT_DOUBLE_EQ(totals.runtime_without_power_ms, p.runtime_without_power_ms);
  EXPECT_EQ(totals.layers, static_cast<int>(p.layers.size()));
  int without_model = 0;
  for (const auto& layer : p.layers) without_model += !layer.has_runtime_model();
  EXPECT_EQ(totals.layers_without_model, without_model);
}

std::vector<Network> some_networks() {
  std::vector<Network> nets;
  for (const char* name : {"lenet", "nin", "mobilenet_v2", "alexnet-v2"}) {
    nets.push_back(load_network(name, {}));
  }
  return nets;
}

void check_against_predict_network(const ModelFile& model) {
  const std::vector<Network> nets = some_networks();
  std::vector<const Network*> pointers;
  for (const Network& net : nets) pointers.push_back(&net);
  const std::vector<int64_t> batches = {1, 7, 32};
  const std::vector<NetworkTotals> totals = predict_many(pointers, batches, CompiledModel(model));
  ASSERT_EQ(totals.size(), nets.size() * batches.size());
  for (size_t i = 0; i < nets.size(); ++i) {
    for (size_t j = 0; j < batches.size(); ++j) {
      Network rebatched = nets[i];
      rebatched.set_batch(batches[j]);
      expect_same_totals(totals[i * batches.size() + j],
                         predict_network(rebatched, model, "model"));
    }
  }
}

TEST(PredictMany, EqualsPredictNetworkWithTheShippedRuntimeModel) {
  check_against_predict_network(read_model_file(shipped_path("models/cpu-epyc-1t-fp32.json")));
}

TEST(PredictMany, EqualsPredictNetworkWithPartialPowerModels) {
  const ModelFile model = hand_made_model();
  check_against_predict_network(model);
  // lenet: conv and pool layers have a power, fc layers none, act and softmax no model at all.
  const Network lenet = load_network("lenet", {});
  const auto totals = predict_many({&lenet}, {}, CompiledModel(model));
  ASSERT_EQ(totals.size(), 1u);
  ASSERT_TRUE(totals[0].power_w && totals[0].energy_mj);
  EXPECT_GT(totals[0].runtime_without_power_ms, 0);
  EXPECT_GT(totals[0].layers_without_model, 0);
}

TEST(PredictMany, RuntimeGrowsWithTheBatchAndOwnBatchWhenNoneGiven) {
  const ModelFile model = read_model_file(shipped_path("models/cpu-epyc-1t-fp32.json"));
  const CompiledModel compiled(model);
  const Network vgg = load_network("vgg-16", {});
  const auto own = predict_many({&vgg}, {}, compiled);
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].batch, vgg.batch());
  const auto by_batch = predict_many({&vgg}, {1, 16}, compiled);
  ASSERT_EQ(by_batch.size(), 2u);
  EXPECT_LT(by_batch[0].runtime_ms, by_batch[1].runtime_ms);
  EXPECT_EQ(vgg.batch(), 64);  // the network given is not changed
}

TEST(PredictMany, RefusesABatchThatIsNotPositiveAndANullNetwork) {
  const CompiledModel compiled(hand_made_model());
  const Network lenet = load_network("lenet", {});
  try {
    predict_many({&lenet}, {4, 0}, compiled);
    FAIL() << "batch 0 accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "batch must be positive, got 0");
  }
  EXPECT_THROW(predict_many({nullptr}, {}, compiled), Error);
  EXPECT_TRUE(predict_many({}, {1}, compiled).empty());
}

}  // namespace
}  // namespace np
