// End to end without a GPU: a dataset measured on a synthetic "roofline" device (runtime =
// max(compute, memory) + launch overhead, with multiplicative noise; power saturating with
// load), trained, saved, loaded and used to predict networks that were held out of training.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "neuralpower/cost.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/json.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/predict.hpp"
#include "neuralpower/train.hpp"

namespace np {
namespace {

struct SyntheticDevice {
  std::mt19937_64 rng{7};
  double runtime_ms(const LayerCost& c) {
    const double compute = static_cast<double>(c.flops) / 20e12;
    const double memory = static_cast<double>(c.bytes()) / 1.5e12;
    std::lognormal_distribution<double> noise(0.0, 0.03);
    return (std::max(compute, memory) * 1e3 + 0.004) * noise(rng);
  }
  double power_w(const LayerCost& c) {
    std::normal_distribution<double> noise(0.0, 2.0);
    return 90.0 + 250.0 * (1.0 - std::exp(-static_cast<double>(c.flops) / 2e10)) + noise(rng);
  }
};

std::vector<LayerMeasurement> measure(const std::vector<std::string>& networks,
                                      const std::vector<int64_t>& batches, SyntheticDevice& dev) {
  std::vector<LayerMeasurement> rows;
  for (const auto& name : networks) {
    for (int64_t batch : batches) {
      ImportOptions options;
      options.batch = batch;
      const Network net = load_network(name, options);
      for (int id = 0; id < net.size(); ++id) {
        if (!is_modelled_kind(net.layer(id).kind)) continue;
        const LayerCost cost = layer_cost(net, id);
        LayerMeasurement m;
        m.kind = net.layer(id).kind;
        m.config = name + "/" + net.layer(id).name + "/" + std::to_string(batch);
        m.features = named_features(net, id);
        m.runtime_ms = dev.runtime_ms(cost);
        m.power_w = dev.power_w(cost);
        m.platform.device = "synthetic roofline";
        m.platform.backend = "none";
        rows.push_back(m);
      }
    }
  }
  return rows;
}

double truth_ms(const std::string& name, int64_t batch) {
  ImportOptions options;
  options.batch = batch;
  const Network net = load_network(name, options);
  double total = 0;
  for (int id = 0; id < net.size(); ++id) {
    if (!is_modelled_kind(net.layer(id).kind)) continue;
    const LayerCost c = layer_cost(net, id);
    total +=
        std::max(static_cast<double>(c.flops) / 20e12, static_cast<double>(c.bytes()) / 1.5e12) *
            1e3 +
        0.004;
  }
  return total;
}

class Pipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SyntheticDevice dev;
    const auto rows = measure({"alexnet-2012", "caffenet", "vgg-19", "zf-net", "googlenet-2014",
                               "lenet", "overfeat-fast"},
                              {1, 4, 16, 32, 64}, dev);
    TrainOptions options;
    options.kinds = {LayerKind::conv, LayerKind::fc, LayerKind::pool, LayerKind::act};
    options.max_degree = 2;
    options.folds = 5;
    TrainReport report;
    model_ = new ModelFile(train_models(rows, {"synthetic"}, options, report));
  }
  static void TearDownTestSuite() { delete model_; }
  static ModelFile* model_;
};
ModelFile* Pipeline::model_ = nullptr;

TEST_F(Pipeline, TrainsARuntimeAndAPowerModelPerKind) {
  for (LayerKind kind : {LayerKind::conv, LayerKind::fc, LayerKind::pool, LayerKind::act}) {
    const KindModel* k = model_->find(kind);
    ASSERT_NE(k, nullptr) << to_string(kind);
    ASSERT_TRUE(k->runtime && k->power) << to_string(kind);
    EXPECT_GT(k->runtime->model.size(), 0u);
    EXPECT_EQ(k->runtime->by_degree.size(), 2u);
    EXPECT_GT(k->runtime->rows, 10u);
    EXPECT_TRUE(std::isfinite(k->runtime->cv_rmspe));
    std::cout << to_string(kind) << ": runtime CV RMSPE " << k->runtime->cv_rmspe
              << "%, power CV RMSPE " << k->power->cv_rmspe << "%\n";
  }
}

TEST_F(Pipeline, PredictsHeldOutNetworksFollowingEquations3To5) {
  for (const char* name : {"vgg-16", "nin"}) {
    const Network net = load_network(name, {});
    const NetworkPrediction p = predict_network(net, *model_, "synthetic");
    double t = 0, e = 0;
    for (const auto& l : p.layers) {
      EXPECT_GE(l.runtime_ms, 0) << l.name;
      t += l.runtime_ms;
      if (l.energy_mj) e += *l.energy_mj;
    }
    EXPECT_NEAR(p.runtime_ms, t, 1e-9 * t);
    ASSERT_TRUE(p.energy_mj && p.power_w);
    EXPECT_NEAR(*p.energy_mj, e, 1e-9 * e);
    EXPECT_NEAR(*p.power_w, e / (p.runtime_ms - p.runtime_without_power_ms), 1e-9 * *p.power_w);
    const double truth = truth_ms(name, net.batch());
    std::cout << name << ": predicted " << p.runtime_ms << " ms, synthetic truth " << truth
              << " ms\n";
    // A sanity bound only (the accuracy itself is reported, not asserted tightly).
    EXPECT_GT(p.runtime_ms, truth / 2);
    EXPECT_LT(p.runtime_ms, truth * 2);
  }
}

TEST_F(Pipeline, ModelFileRoundTripsToIdenticalPredictions) {
  const ModelFile loaded = parse_model_file(write_model_file(*model_), "m.json");
  const Network net = load_network("vgg-16", {});
  const auto a = predict_network(net, *model_, "a");
  const auto b = predict_network(net, loaded, "b");
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    EXPECT_DOUBLE_EQ(a.layers[i].runtime_ms, b.layers[i].runtime_ms);
    EXPECT_EQ(a.layers[i].power_w, b.layers[i].power_w);
    EXPECT_EQ(a.layers[i].flags, b.layers[i].flags);
  }
}

TEST_F(Pipeline, FlagsLayersOutsideTheTrainingRangeAndKindsWithoutAModel) {
  ImportOptions big;
  big.batch = 1024;  // training saw batches up to 64
  const auto p = predict_network(load_network("vgg-16", big), *model_, "m");
  bool extrapolated = false, no_model = false;
  for (const auto& l : p.layers) {
    for (const auto& f : l.flags) {
      extrapolated |= f == "extrapolated:batch";
      no_model |= f == "no-model";
    }
  }
  EXPECT_TRUE(extrapolated);
  EXPECT_TRUE(no_model);  // vgg-16's softmax: no softmax model was trained
  // ... and the network level says so, with the share.
  int without = 0, costed = 0;
  for (const auto& l : p.layers) {
    if (l.estimate_flags & LayerEstimate::kZeroCost) continue;
    ++costed;
    without += l.has_runtime_model() ? 0 : 1;
  }
  EXPECT_EQ(p.layers_without_model, without);
  EXPECT_EQ(p.costed_layers, costed);
  EXPECT_GT(p.layers_without_model, 0);
  ASSERT_EQ(p.kinds_without_model.size(), 1u);
  EXPECT_EQ(p.kinds_without_model[0], LayerKind::softmax);
  EXPECT_GT(p.flops_share_without_model, 0.0);
  EXPECT_LT(p.flops_share_without_model, 1e-3);  // a softmax next to 13 convs
}

TEST_F(Pipeline, CorruptModelFilesFailNamingTheKey) {
  std::string text = write_model_file(*model_);
  auto message = [](const std::string& t) {
    try {
      parse_model_file(t, "m.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string no_intercept = text;
  no_intercept.replace(no_intercept.find("\"intercept\""), 11, "\"intercepx\"");
  EXPECT_NE(message(no_intercept).find("missing key 'model.kinds."), std::string::npos)
      << message(no_intercept);
  EXPECT_NE(message(no_intercept).find(".intercept'"), std::string::npos);
  std::string version = text;
  version.replace(version.find("\"version\": 2"), 12, "\"version\": 3");
  EXPECT_NE(message(version).find("version 3"), std::string::npos) << message(version);
  EXPECT_NE(message(text.substr(0, text.size() / 2)).find("invalid JSON"), std::string::npos);
}

TEST(Train, RefusesRowsFromTwoPlatforms) {
  LayerMeasurement a;
  a.kind = LayerKind::fc;
  a.runtime_ms = 1;
  a.platform.device = "A";
  LayerMeasurement b = a;
  b.platform.device = "B";
  TrainReport report;
  EXPECT_THROW(train_models({a, b}, {}, {}, report), Error);
}

}  // namespace
}  // namespace np

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"

namespace np {
namespace {

TEST_F(Pipeline, EprFromNetworksUsesPredictedEnergyPerItem) {
  const auto path = std::filesystem::temp_directory_path() / "np_epr_model.json";
  save_model_file(*model_, path.string());
  const auto r = test::run_cli("epr vgg-16=7.3% nin=20.2% --format json --model " + path.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["candidates"].size(), 2u);
  const Network vgg = load_network("vgg-16", {});
  const NetworkPrediction p = predict_network(vgg, *model_, "m");
  EXPECT_NEAR(doc["candidates"][0]["epi_mj"].get<double>(), *p.energy_mj / 64.0,
              1e-9 * *p.energy_mj);
  EXPECT_NEAR(doc["candidates"][0]["m"]["1"].get<double>(), 0.073 * *p.energy_mj / 64.0,
              1e-9 * *p.energy_mj);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace np

namespace np {
namespace {

TEST(Train, LogLogFitIsKeptWhenItCrossValidatesBetterAndPredictsThroughTheFile) {
  SyntheticDevice dev;
  const auto rows = measure({"alexnet-2012", "vgg-19", "zf-net", "lenet"}, {1, 4, 16}, dev);
  TrainOptions options;
  options.kinds = {LayerKind::conv};
  options.max_degree = 2;
  options.folds = 5;
  options.treatments = {TargetTreatment::log};  // log y over linear x extrapolates wildly
  TrainReport report;
  const ModelFile model = train_models(rows, {"synthetic"}, options, report);
  const TargetModel& runtime = *model.find(LayerKind::conv)->runtime;
  ASSERT_TRUE(runtime.log_inputs);
  ASSERT_EQ(runtime.treatments.size(), 2u);  // log on x, then log on log2 x
  EXPECT_LT(runtime.cv_rmspe, runtime.treatments[0].cv_rmspe);
  const ModelFile loaded = parse_model_file(write_model_file(model), "m.json");
  EXPECT_TRUE(loaded.find(LayerKind::conv)->runtime->log_inputs);
  const Network net = load_network("vgg-16", {});
  const auto a = predict_network(net, model, "a");
  const auto b = predict_network(net, loaded, "b");
  EXPECT_DOUBLE_EQ(a.runtime_ms, b.runtime_ms);
  double conv_truth = 0, conv_predicted = 0;
  for (const auto& l : a.layers) {
    if (l.kind != LayerKind::conv) continue;
    conv_predicted += l.runtime_ms;
    const LayerCost c = layer_cost(net, l.id);
    conv_truth +=
        std::max(static_cast<double>(c.flops) / 20e12, static_cast<double>(c.bytes()) / 1.5e12) *
            1e3 +
        0.004;
  }
  EXPECT_GT(conv_predicted, conv_truth / 2);
  EXPECT_LT(conv_predicted, conv_truth * 2);
}

// A version-1 file (no form, bounds or candidates) loads as the polynomial it was.
TEST_F(Pipeline, VersionOneFilesLoadAsPolynomialsWithoutBounds) {
  json::Json doc = json::parse_strict(write_model_file(*model_));
  doc["version"] = 1;
  for (auto& [kind, entry] : doc["kinds"].items()) {
    for (const char* target : {"runtime_ms", "power_w"}) {
      if (entry[target].is_null()) continue;
      for (const char* key : {"form", "roofline", "bounds", "selected_by", "candidates"}) {
        entry[target].erase(key);
      }
    }
  }
  const ModelFile old = parse_model_file(doc.dump(), "v1.json");
  for (const auto& [kind, k] : old.kinds) {
    ASSERT_TRUE(k.runtime);
    EXPECT_EQ(k.runtime->form, ModelForm::polynomial);
    EXPECT_FALSE(k.runtime->bounds);
    EXPECT_TRUE(k.runtime->candidates.empty());
  }
  const auto p = predict_network(load_network("vgg-16", {}), old, "v1");
  EXPECT_GT(p.runtime_ms, 0);
}

// With source networks the form is chosen by leave-one-network-out error of summed layers; on
// a device that is a roofline the roofline wins for conv, and every prediction stays within
// the bounds the training rows imply.
TEST(Train, RooflineChosenByHeldOutNetworksOnARooflineDevice) {
  SyntheticDevice dev;
  const std::vector<std::string> networks{"alexnet-2012", "caffenet",       "vgg-19",
                                          "zf-net",       "googlenet-2014", "lenet"};
  std::vector<LayerMeasurement> rows;
  for (const auto& name : networks) {
    for (LayerMeasurement& m : measure({name}, {1, 8, 32}, dev)) {
      m.source_network = name;
      rows.push_back(std::move(m));
    }
  }
  TrainOptions options;
  options.kinds = {LayerKind::conv, LayerKind::pool};
  options.max_degree = 2;
  options.folds = 4;
  TrainReport report;
  const ModelFile file = train_models(rows, {"synthetic"}, options, report);
  const TargetModel& conv = *file.find(LayerKind::conv)->runtime;
  EXPECT_EQ(conv.selected_by, "leave-one-network-out");
  ASSERT_EQ(conv.candidates.size(), 3u);  // polynomial, roofline, roofline + correction
  int chosen = 0;
  for (const auto& c : conv.candidates) {
    EXPECT_TRUE(std::isfinite(c.network_error)) << c.name;
    EXPECT_TRUE(std::isfinite(c.cv_rmspe)) << c.name;
    chosen += c.chosen ? 1 : 0;
    // The chosen one has the lowest network error.
    for (const auto& other : conv.candidates) {
      if (c.chosen) {
        EXPECT_LE(c.network_error, other.network_error) << c.name;
      }
    }
  }
  EXPECT_EQ(chosen, 1);
  EXPECT_NE(conv.form, ModelForm::polynomial);
  EXPECT_FALSE(conv.candidates[0].chosen);
  ASSERT_TRUE(conv.bounds);

  const ModelFile loaded = parse_model_file(write_model_file(file), "m.json");
  EXPECT_EQ(loaded.find(LayerKind::conv)->runtime->form, conv.form);
  ImportOptions huge;
  huge.batch = 512;
  for (const ModelFile* m : {&file, &loaded}) {
    const Network net = load_network("vgg-16", huge);
    const auto p = predict_network(net, *m, "m");
    for (const auto& l : p.layers) {
      if (l.kind != LayerKind::conv) continue;
      const WorkAndTraffic w =
          work_and_traffic(LayerKind::conv, layer_features(net, l.id).specials);
      const double t = l.runtime_ms;
      EXPECT_GE(t, conv.bounds->lower(w.flops, w.elements) * (1 - 1e-12));
      EXPECT_LE(t, conv.bounds->upper(w.flops, w.elements) * (1 + 1e-12));
    }
  }
}

}  // namespace
}  // namespace np
