// The whole pipeline on the CPU backend, as the issue describes it: profile a small plan,
// train, profile two held-out networks, evaluate. Only structure and sanity are asserted: the
// accuracy on a shared, noisy machine is printed, not checked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cli/cli_runner.hpp"
#include "fakes.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/model_file.hpp"
#include "neuralpower/nets_file.hpp"
#include "neuralpower/predict.hpp"
#include "neuralpower/train.hpp"

namespace np {
namespace {

using test::TempPath;

bool finite_positive(const nlohmann::json& v) {
  return v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() > 0;
}

TEST(CpuEndToEnd, ProfileTrainPredictEvaluate) {
  TempPath data("e2e_data.csv");
  TempPath nin("e2e_nin.json");
  TempPath vgg("e2e_vgg.json");
  TempPath model("e2e_model.json");

  // 1. A small layer dataset: the first 120 configurations of a plan of two training networks'
  //    layers at batches 1-8 and a few dozen random ones (21 of them conv). The plan's size,
  //    not time, caps it: a time budget cut it short on a loaded CI machine, leaving no kind
  //    with the 10 rows a model needs. The budget is only a ceiling (about 15 s here).
  constexpr size_t planned = 120;
  const auto layers = test::run_cli(
      "profile layers --backend cpu --out " + data.str() +
      " --plan both --networks lenet,alexnet-2012 --batches 1,2,4,8 --random 30 --trials 5"
      " --warmup 2 --max-gflops 2 --max-tensor-mib 256 --max-configs " +
      std::to_string(planned) + " --budget-seconds 900 --seed 11 --no-reference");
  ASSERT_EQ(layers.exit_code, 0) << layers.out;
  const Dataset dataset = read_dataset(data.str());
  ASSERT_EQ(dataset.rows.size(), planned) << layers.out;
  for (const auto& row : dataset.rows) {
    ASSERT_TRUE(row.runtime_ms.has_value()) << row.config;
    EXPECT_TRUE(std::isfinite(*row.runtime_ms) && *row.runtime_ms > 0) << row.config;
    EXPECT_EQ(row.platform.backend, "cpu");
  }

  // 2. Train (max degree 2, 5 folds).
  TrainOptions options;
  options.max_degree = 2;
  options.folds = 5;
  TrainReport report;
  const ModelFile trained = train_models(dataset.rows, {data.str()}, options, report);
  ASSERT_NE(trained.find(LayerKind::conv), nullptr);
  ASSERT_TRUE(trained.find(LayerKind::conv)->runtime.has_value());
  save_model_file(trained, model.str());

  // 3. Measure two held-out networks end to end and layer by layer.
  const auto nets_nin = test::run_cli("profile nets nin --batch 2 --backend cpu --out " +
                                      nin.str() + " --trials 5 --warmup 1 --no-reference");
  ASSERT_EQ(nets_nin.exit_code, 0) << nets_nin.out;
  const auto nets_vgg = test::run_cli("profile nets vgg-16 --batch 1 --backend cpu --out " +
                                      vgg.str() + " --trials 3 --warmup 1 --no-reference");
  ASSERT_EQ(nets_vgg.exit_code, 0) << nets_vgg.out;
  for (const auto* path : {&nin, &vgg}) {
    const NetsFile file = read_nets_file(path->str());
    ASSERT_EQ(file.networks.size(), 1u);
    const MeasuredNetwork& m = file.networks[0];
    ASSERT_FALSE(m.failed) << m.failure_reason;
    ASSERT_TRUE(m.runtime_ms.has_value());
    EXPECT_GT(*m.runtime_ms, 0);
    double layer_sum = 0;
    for (const auto& l : m.layers) {
      EXPECT_GE(l.runtime_ms, 0) << l.name;
      layer_sum += l.runtime_ms;
      if (!file.meter.available) {
        EXPECT_FALSE(l.power_w.has_value());  // never invented
      }
    }
    EXPECT_GT(layer_sum, 0);
    if (!file.meter.available) {
      EXPECT_FALSE(m.power_w.has_value());
    }

    // The library's prediction of the same network: finite and positive.
    ImportOptions import;
    import.batch = m.batch;
    const NetworkPrediction p = predict_network(load_network(m.spec, import), trained, "e2e model");
    EXPECT_TRUE(std::isfinite(p.runtime_ms) && p.runtime_ms > 0);
    std::cout << m.network << " batch " << m.batch << ": predicted " << p.runtime_ms
              << " ms, measured " << *m.runtime_ms << " ms end to end, " << layer_sum
              << " ms summed over layers\n";
  }

  // 4. Evaluate: the paper's tables, as JSON and as text.
  const auto json = test::run_cli("evaluate --measured " + nin.str() + " " + vgg.str() +
                                  " --model " + model.str() + " --gpu titan-x --format json");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const auto doc = nlohmann::json::parse(json.out.substr(json.out.find('{')));
  ASSERT_EQ(doc["networks"].size(), 2u);
  for (const auto& n : doc["networks"]) {
    EXPECT_TRUE(finite_positive(n["runtime_ms"]["predicted"])) << n.dump();
    EXPECT_TRUE(finite_positive(n["runtime_ms"]["measured"])) << n.dump();
    EXPECT_TRUE(finite_positive(n["runtime_ms"]["layer_sum"])) << n.dump();
    EXPECT_TRUE(finite_positive(n["runtime_ms"]["paleo"])) << n.dump();
    EXPECT_FALSE(n["layers"].empty());
  }
  const auto& runtime = doc["summary"]["runtime"]["vs_measured"];
  EXPECT_EQ(runtime["networks"], 2);
  ASSERT_TRUE(runtime["accuracy_pct"].is_number());
  EXPECT_TRUE(std::isfinite(runtime["accuracy_pct"].get<double>()));

  const auto table = test::run_cli("evaluate --measured " + nin.str() + " " + vgg.str() +
                                   " --model " + model.str() + " --gpu titan-x --layers");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  for (const char* expected :
       {"Runtime (the paper's Table 4)", "Power (Table 5)", "Energy per run (Table 6)",
        "Accuracy over the networks", "Per layer, nin batch 2", "Per layer, vgg-16 batch 1",
        "conv4", "fc6"}) {
    EXPECT_NE(table.out.find(expected), std::string::npos) << expected;
  }
  std::cout << table.out;
  std::cout << "CPU end to end: runtime accuracy (100% - RMSPE vs measured T_total) "
            << runtime["accuracy_pct"].get<double>() << "% over 2 networks, " << dataset.rows.size()
            << " training rows\n";
}

// The kinds a transformer and a segmenter add (matmul, resize) go through the same pipeline:
// the plan draws them (the network's own layers and random ones), the CPU backend measures
// them, `train` fits a model for each, and `predict` prices every layer of the network with
// a model of its kind.
TEST(CpuEndToEnd, TransformerProfileTrainPredictModelsEveryNewKind) {
  TempPath data("e2e_transformer_data.csv");
  TempPath model("e2e_transformer_model.json");
  const std::string net =
      std::string(NP_SOURCE_DIR) + "/tests/profile/fixtures/tiny_segmentation_transformer.json";

  const auto layers = test::run_cli(
      "profile layers --backend cpu --out " + data.str() + " --plan both --networks " + net +
      " --batches 1,2,4,8,16,32 --random 60 --trials 3 --warmup 1 --max-gflops 0.5"
      " --max-tensor-mib 64 --budget-seconds 120 --seed 13 --no-reference --no-coverage");
  ASSERT_EQ(layers.exit_code, 0) << layers.out;
  std::map<LayerKind, int> measured;
  for (const auto& row : read_dataset(data.str()).rows) {
    if (row.runtime_ms && *row.runtime_ms > 0) ++measured[row.kind];
  }
  for (LayerKind kind : {LayerKind::matmul, LayerKind::resize}) {
    EXPECT_GE(measured[kind], 12) << to_string(kind);  // 6 batches x 2 layers, and random ones
  }

  const auto train = test::run_cli("train " + data.str() + " -o " + model.str() +
                                   " --max-degree 2 --power-max-degree 1 --folds 3");
  ASSERT_EQ(train.exit_code, 0) << train.out;
  const ModelFile trained = read_model_file(model.str());
  for (LayerKind kind : {LayerKind::matmul, LayerKind::resize}) {
    const KindModel* k = trained.find(kind);
    ASSERT_NE(k, nullptr) << to_string(kind) << "\n" << train.out;
    EXPECT_TRUE(k->runtime.has_value()) << to_string(kind);
  }

  const auto predicted =
      test::run_cli("predict " + net + " --batch 4 --model " + model.str() + " --format json");
  ASSERT_EQ(predicted.exit_code, 0) << predicted.out;
  const auto doc = nlohmann::json::parse(predicted.out.substr(predicted.out.find('{')));
  std::set<std::string> kinds;
  for (const auto& layer : doc.at("layers")) {
    const auto& flags = layer.at("flags");
    EXPECT_EQ(std::find(flags.begin(), flags.end(), "no-model"), flags.end()) << layer.dump();
    if (std::find(flags.begin(), flags.end(), "zero-cost") != flags.end()) continue;  // reshape
    EXPECT_TRUE(finite_positive(layer.at("runtime_ms"))) << layer.dump();
    kinds.insert(layer.at("kind").get<std::string>());
  }
  EXPECT_TRUE(kinds.count("matmul") && kinds.count("resize"));
  EXPECT_TRUE(finite_positive(doc.at("total").at("runtime_ms")));
}

}  // namespace
}  // namespace np
