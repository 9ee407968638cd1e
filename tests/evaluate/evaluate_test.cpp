// Evaluation arithmetic (eqs. 3-8, RMSPE, accuracy) on hand-made data, and the nets file.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "common/temp_path.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/evaluate.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/nets_file.hpp"

namespace np {
namespace {

MeasuredLayer layer(const std::string& name, const std::string& kind, double ms,
                    std::optional<double> watts) {
  MeasuredLayer l;
  l.name = name;
  l.kind = layer_kind_from_string(kind);
  l.runtime_ms = ms;
  l.power_w = watts;
  return l;
}

TEST(LayerSums, EquationsSixToEight) {
  MeasuredNetwork n;
  n.layers = {layer("a", "conv", 1, 10), layer("b", "conv", 2, 20), layer("c", "fc", 3, 30),
              layer("flat", "flatten", 0, std::nullopt)};
  const LayerSums s = layer_sums(n);
  EXPECT_DOUBLE_EQ(s.runtime_ms, 6);  // eq. 6
  ASSERT_TRUE(s.power_w && s.energy_mj);
  EXPECT_DOUBLE_EQ(*s.power_w, (10 + 40 + 90) / 6.0);  // eq. 7
  EXPECT_DOUBLE_EQ(*s.energy_mj, 140);                 // eq. 8, W x ms = mJ
  EXPECT_DOUBLE_EQ(s.power_coverage, 1.0);
  EXPECT_NEAR(*s.energy_mj, *s.power_w * s.runtime_ms, 1e-12);  // E = P T
}

TEST(LayerSums, PowerCoversOnlyLayersWithAMeasuredPower) {
  MeasuredNetwork n;
  n.layers = {layer("a", "conv", 1, 10), layer("b", "conv", 3, std::nullopt)};
  const LayerSums s = layer_sums(n);
  EXPECT_DOUBLE_EQ(s.runtime_ms, 4);
  EXPECT_DOUBLE_EQ(*s.power_w, 10);
  EXPECT_DOUBLE_EQ(*s.energy_mj, 10);
  EXPECT_DOUBLE_EQ(s.power_coverage, 0.25);

  n.layers = {layer("a", "conv", 1, std::nullopt), layer("b", "conv", 3, std::nullopt)};
  const LayerSums none = layer_sums(n);
  EXPECT_DOUBLE_EQ(none.runtime_ms, 4);
  EXPECT_FALSE(none.power_w.has_value());  // never invented
  EXPECT_FALSE(none.energy_mj.has_value());
}

// The paper's Tables 4-6 (VGG-16, AlexNet, NIN, Overfeat, CIFAR10-6conv): predictions against
// the actual end-to-end values give its accuracies of 88.24%, 88.34% and 97.21%.
TEST(Rmspe, ReproducesThePapersAccuracies) {
  using V = std::vector<std::optional<double>>;
  const Rmspe runtime =
      rmspe(V{373.82, 43.41, 62.62, 195.21, 51.13}, V{368.42, 39.02, 50.66, 197.99, 50.09});
  const Rmspe power =
      rmspe(V{206.88, 174.25, 179.98, 172.20, 165.33}, V{204.80, 194.62, 226.34, 172.30, 188.34});
  const Rmspe energy =
      rmspe(V{77.312, 7.565, 11.269, 33.616, 8.938}, V{75.452, 7.594, 11.465, 34.113, 9.433});
  EXPECT_EQ(runtime.count, 5);
  EXPECT_NEAR(*runtime.accuracy(), 88.24, 0.01);
  EXPECT_NEAR(*power.accuracy(), 88.34, 0.01);
  EXPECT_NEAR(*energy.accuracy(), 97.21, 0.01);
}

TEST(Rmspe, MissingValuesAreLeftOutAndCounted) {
  using V = std::vector<std::optional<double>>;
  const Rmspe r = rmspe(V{110, std::nullopt, 90, 5}, V{100, 50, 100, std::nullopt});
  EXPECT_EQ(r.count, 2);
  EXPECT_NEAR(*r.rmspe, 10.0, 1e-12);
  const Rmspe empty = rmspe(V{std::nullopt}, V{1.0});
  EXPECT_EQ(empty.count, 0);
  EXPECT_FALSE(empty.rmspe.has_value());
  EXPECT_FALSE(empty.accuracy().has_value());
  EXPECT_THROW(rmspe(V{1}, V{1, 2}), Error);
  EXPECT_FALSE(percent_error(1.0, 0.0).has_value());
  EXPECT_NEAR(*percent_error(90.0, 100.0), -10.0, 1e-12);
}

// A model that predicts `value` whatever the layer, with the names and (wide) ranges a model
// file needs; power models see [x, log2 x].
TargetModel constant_model(double value, const FeatureSpec& spec, bool power) {
  TargetModel t;
  t.model.intercept = value;
  t.model.num_features = spec.features.size() * (power ? 2 : 1);
  t.model.num_special = spec.specials.size();
  t.rows = 10;
  t.feature_names = spec.features;
  if (power) {
    for (const auto& name : spec.features) t.feature_names.push_back("log2_" + name);
  }
  t.feature_ranges.assign(spec.features.size(), Range{0, 1e15});
  t.special_ranges.assign(spec.specials.size(), Range{0, 1e15});
  return t;
}

// Conv layers take 2 ms at 100 W, fc layers 1 ms (no power model); nothing else is modelled.
ModelFile hand_made_model() {
  ModelFile file;
  for (LayerKind kind : {LayerKind::conv, LayerKind::fc}) {
    const FeatureSpec& spec = feature_spec(kind);
    KindModel k;
    k.kind = kind;
    k.features = spec.features;
    k.specials = spec.specials;
    k.runtime = constant_model(kind == LayerKind::conv ? 2.0 : 1.0, spec, false);
    if (kind == LayerKind::conv) k.power = constant_model(100.0, spec, true);
    file.kinds[kind] = k;
  }
  return file;
}

MeasuredNetwork measured_lenet() {
  MeasuredNetwork m;
  m.network = "lenet";
  m.spec = "lenet";
  m.batch = 2;
  m.runtime_ms = 7.5;
  m.power_w = 80;
  m.energy_mj = 600;
  m.layers = {layer("conv1", "conv", 1.5, 90),
              layer("pool1", "pool", 0.5, 60),
              layer("conv2", "conv", 2.5, 110),
              layer("pool2", "pool", 0.5, std::nullopt),
              layer("flatten", "flatten", 0, std::nullopt),
              layer("ip1", "fc", 1.0, 70),
              layer("relu1", "act", 0.25, std::nullopt),
              layer("ip2", "fc", 0.5, 50),
              layer("prob", "softmax", 0.25, std::nullopt)};
  return m;
}

TEST(EvaluateNetwork, PredictionAgainstMeasuredAndLayerSums) {
  ImportOptions options;
  options.batch = 2;
  const Network net = load_network("lenet", options);
  const GpuSpec gpu = find_gpu_spec("titan-x");
  const NetworkEvaluation e = evaluate_network(measured_lenet(), net, hand_made_model(), &gpu);
  EXPECT_EQ(e.network, "lenet");
  EXPECT_EQ(e.batch, 2);
  EXPECT_DOUBLE_EQ(e.predicted_ms, 2 * 2.0 + 2 * 1.0);  // eq. 3 over the modelled layers
  ASSERT_TRUE(e.predicted_w && e.predicted_mj);
  EXPECT_DOUBLE_EQ(*e.predicted_w, 100.0);   // only conv has a power model
  EXPECT_DOUBLE_EQ(*e.predicted_mj, 400.0);  // 2 convs x 2 ms x 100 W
  EXPECT_DOUBLE_EQ(e.sums.runtime_ms, 7.0);
  EXPECT_DOUBLE_EQ(*e.sums.energy_mj, 1.5 * 90 + 0.5 * 60 + 2.5 * 110 + 70 + 0.5 * 50);
  EXPECT_DOUBLE_EQ(*e.measured_ms, 7.5);
  ASSERT_TRUE(e.paleo_ms.has_value());
  EXPECT_NEAR(*e.paleo_ms, paleo_network_ms(net, gpu), 1e-12);
  ASSERT_EQ(e.layers.size(), 9u);
  EXPECT_EQ(e.layers[0].name, "conv1");
  EXPECT_DOUBLE_EQ(*e.layers[0].predicted_ms, 2.0);
  EXPECT_DOUBLE_EQ(*e.layers[0].measured_w, 90.0);
  EXPECT_DOUBLE_EQ(*e.layers[0].predicted_w, 100.0);
  EXPECT_FALSE(e.layers[1].predicted_ms.has_value());  // pool has no model here
  EXPECT_FALSE(e.layers[5].predicted_w.has_value());   // fc has no power model

  const EvaluationSummary s = summarize({e, e});
  EXPECT_EQ(s.runtime_vs_measured.count, 2);
  EXPECT_NEAR(*s.runtime_vs_measured.rmspe, 100.0 * 1.5 / 7.5, 1e-9);
  EXPECT_NEAR(*s.runtime_vs_sum.rmspe, 100.0 * 1.0 / 7.0, 1e-9);
  EXPECT_NEAR(*s.power_vs_measured.rmspe, 25.0, 1e-9);
  EXPECT_NEAR(*s.energy_vs_measured.rmspe, 100.0 * 200 / 600, 1e-9);
  EXPECT_EQ(s.paleo_vs_measured.count, 2);
}

TEST(EvaluateNetwork, MismatchesAreErrors) {
  ImportOptions options;
  options.batch = 2;
  const Network net = load_network("lenet", options);
  MeasuredNetwork m = measured_lenet();
  m.layers.push_back(layer("conv9", "conv", 1, std::nullopt));
  EXPECT_THROW(evaluate_network(m, net, hand_made_model(), nullptr), Error);
  m = measured_lenet();
  m.batch = 4;
  EXPECT_THROW(evaluate_network(m, net, hand_made_model(), nullptr), Error);
  m = measured_lenet();
  m.failed = true;
  EXPECT_THROW(evaluate_network(m, net, hand_made_model(), nullptr), Error);
}

TEST(NetsFile, RoundTripKeepsValuesAndMissingOnes) {
  NetsFile file;
  file.created = "2026-01-01T00:00:00Z";
  file.tool_version = "0.1.0";
  file.platform.device = "Fake";
  file.platform.backend = "cpu";
  file.meter.name = "none";
  file.meter.status = "no RAPL";
  file.settings.trials = 5;
  file.networks.push_back(measured_lenet());
  file.networks[0].layers[0].window_s = 1.25;
  MeasuredNetwork failed;
  failed.network = "big";
  failed.spec = "big.onnx";
  failed.batch = 1;
  failed.failed = true;
  failed.failure_reason = "unsupported: op";
  file.networks.push_back(failed);
  const NetsFile back = parse_nets_file(write_nets_file(file), "x.json");
  EXPECT_EQ(write_nets_file(back), write_nets_file(file));
  ASSERT_EQ(back.networks.size(), 2u);
  EXPECT_EQ(back.networks[0].layers[3].power_w, std::nullopt);
  EXPECT_EQ(back.networks[0].layers[2].power_w, 110.0);
  EXPECT_EQ(back.networks[0].power_w, 80.0);
  EXPECT_TRUE(back.networks[1].failed);
  EXPECT_FALSE(back.networks[1].runtime_ms.has_value());
  EXPECT_FALSE(back.meter.idle_power_w.has_value());
}

TEST(NetsFile, MalformedFilesNameTheProblem) {
  NetsFile file;
  file.networks.push_back(measured_lenet());
  std::string text = write_nets_file(file);
  auto message = [](const std::string& t) {
    try {
      parse_nets_file(t, "m.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{").find("m.json"), std::string::npos);
  EXPECT_NE(message("{\"format\": \"other\"}").find("not a neuralpower nets file"),
            std::string::npos);
  std::string wrong_version = text;
  wrong_version.replace(wrong_version.find("\"version\": 1"), 12, "\"version\": 9");
  EXPECT_NE(message(wrong_version).find("version 9"), std::string::npos);
  std::string bad_power = text;
  bad_power.replace(bad_power.find("\"power_w\": 90.0"), 15, "\"power_w\": \"hot\"");
  EXPECT_NE(message(bad_power).find("nets.networks[0].layers[0].power_w"), std::string::npos)
      << message(bad_power);
  std::string missing = text;
  missing.replace(missing.find("\"spec\""), 6, "\"spek\"");
  EXPECT_NE(message(missing).find("missing key 'nets.networks[0].spec'"), std::string::npos)
      << message(missing);
}

}  // namespace
}  // namespace np

namespace np {
namespace {

TEST(EvaluateCli, TablesAndJsonFromHandMadeFiles) {
  test::TempPath nets("eval_nets.json");
  test::TempPath model("eval_model.json");
  NetsFile file;
  file.platform.device = "Fake";
  file.networks.push_back(measured_lenet());
  MeasuredNetwork no_power = measured_lenet();
  for (auto& l : no_power.layers) l.power_w.reset();
  no_power.power_w.reset();
  no_power.energy_mj.reset();
  file.networks.push_back(no_power);
  save_nets_file(file, nets.str());
  ModelFile m = hand_made_model();
  m.platform.device = "Fake";
  save_model_file(m, model.str());

  const auto json = test::run_cli("evaluate --measured " + nets.str() + " --model " + model.str() +
                                  " --format json");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc["networks"].size(), 2u);
  const auto& first = doc["networks"][0];
  EXPECT_DOUBLE_EQ(first["runtime_ms"]["predicted"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(first["runtime_ms"]["layer_sum"].get<double>(), 7.0);
  EXPECT_DOUBLE_EQ(first["runtime_ms"]["measured"].get<double>(), 7.5);
  EXPECT_TRUE(first["runtime_ms"]["paleo"].is_null());  // no --gpu, no Paleo
  EXPECT_DOUBLE_EQ(first["energy_mj"]["measured"].get<double>(), 600.0);
  const auto& second = doc["networks"][1];
  EXPECT_TRUE(second["power_w"]["measured"].is_null());  // missing stays missing
  EXPECT_TRUE(second["power_w"]["layer_sum"].is_null());
  EXPECT_TRUE(second["energy_mj"]["layer_sum"].is_null());
  EXPECT_EQ(doc["summary"]["runtime"]["vs_measured"]["networks"], 2);
  EXPECT_EQ(doc["summary"]["power"]["vs_measured"]["networks"], 1);
  EXPECT_NEAR(doc["summary"]["runtime"]["vs_measured"]["accuracy_pct"].get<double>(), 80.0, 1e-9);
  EXPECT_FALSE(doc["summary"].contains("paleo_runtime"));

  const auto table = test::run_cli("evaluate --measured " + nets.str() + " --model " + model.str() +
                                   " --gpu titan-x --layers");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("Paleo (ms)"), std::string::npos);
  EXPECT_NE(table.out.find("runtime (Paleo)"), std::string::npos);
  EXPECT_NE(table.out.find("Per layer, lenet batch 2"), std::string::npos);
  EXPECT_NE(table.out.find("80.00%"), std::string::npos) << table.out;  // runtime accuracy

  EXPECT_EQ(test::run_cli("evaluate --measured " + nets.str() + " --model " + model.str() +
                          " --format csv")
                .exit_code,
            2);
  EXPECT_EQ(test::run_cli("evaluate --model " + model.str()).exit_code, 2);
  const auto bad = test::run_cli("evaluate --measured " + model.str() + " --model " + model.str());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("not a neuralpower nets file"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace np
