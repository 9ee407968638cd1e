// `profile nets` on the fake backend: the layers as they run in their networks written as
// dataset rows (and trained on), a resumed run, held-out networks refused, a drift of the
// reference re-measuring a network; the nets file's new keys, and older files still read.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "child_process.hpp"
#include "fakes.hpp"
#include "neuralpower/config_text.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/profile_nets.hpp"
#include "neuralpower/profile_report.hpp"
#include "neuralpower/train.hpp"

namespace np {
namespace {

using test::FakeBackend;
using test::TempPath;

std::vector<NamedNetwork> networks(const std::vector<std::string>& names, int64_t batch) {
  std::vector<NamedNetwork> nets;
  for (const auto& name : names) {
    ImportOptions import;
    import.batch = batch;
    nets.emplace_back(name, load_network(name, import));
  }
  return nets;
}

ProfileNetsOptions quick_options() {
  ProfileNetsOptions o;
  o.measure.trials = 3;
  o.measure.warmup = 1;
  return o;
}

TEST(InNetworkRows, EveryModelledLayerOfATrainingNetworkIsARowWithItsFeatures) {
  TempPath nets_path("innet.json");
  TempPath rows_path("innet.csv");
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  const std::vector<NamedNetwork> nets = networks({"lenet", "squeezenet1_1"}, 2);
  ProfileNetsOptions options = quick_options();
  options.scheduling = "SCHED_FIFO priority 10, pinned to cpu 1";
  DatasetAppender rows(rows_path.str());
  options.layer_rows = &rows;
  NetsFile file = new_nets_file(backend, *meter, options, false);
  const ProfileNetsResult r =
      profile_networks(backend, *meter, nets, file, nets_path.str(), options);
  EXPECT_EQ(r.written, 2u);
  const Dataset d = read_dataset(rows_path.str());
  EXPECT_EQ(static_cast<int64_t>(d.rows.size()), r.rows_written);
  std::set<std::pair<std::string, std::string>> expected;
  for (const auto& [spec, net] : nets) {
    for (int id = 0; id < net.size(); ++id) {
      const Layer& layer = net.layer(id);
      if (is_modelled_kind(layer.kind)) expected.insert({net.name(), layer.name});
    }
  }
  std::set<std::pair<std::string, std::string>> got;
  for (const auto& m : d.rows) {
    got.insert({m.source_network, m.source_layer});
    EXPECT_EQ(m.placement, Placement::in_network);
    const Network& net = m.source_network == "lenet" ? nets[0].second : nets[1].second;
    const auto id = net.find(m.source_layer);
    ASSERT_TRUE(id.has_value()) << m.source_layer;
    EXPECT_EQ(m.features, named_features(net, *id)) << m.source_layer;
    EXPECT_EQ(m.config, config_text(extract_layer(net, *id)));
    EXPECT_NEAR(*m.runtime_ms, test::fake_runtime_ms(net, *id), 1e-12);  // the in-place T_n
    EXPECT_EQ(m.trials, 3);
    EXPECT_TRUE(m.reference_ms && m.reference_mem_ms);
    EXPECT_EQ(m.scheduling, options.scheduling);
    EXPECT_EQ(m.platform.device, "Fake accelerator");
  }
  EXPECT_EQ(got, expected);
  // The nets file keeps the reference and the per-layer spreads.
  const NetsFile saved = read_nets_file(nets_path.str());
  ASSERT_EQ(saved.networks.size(), 2u);
  EXPECT_TRUE(saved.networks[0].reference_ms.has_value());
  EXPECT_EQ(saved.settings.scheduling, options.scheduling);
  EXPECT_TRUE(saved.networks[0].layers[0].runtime_spread_pct.has_value());

  // train reads them like any rows: a model for each kind with enough of them.
  TrainOptions train;
  train.max_degree = 1;
  train.folds = 3;
  train.min_rows = 5;
  TrainReport report;
  const ModelFile model = train_models(d.rows, {rows_path.str()}, train, report);
  EXPECT_NE(model.find(LayerKind::conv), nullptr);
  EXPECT_NE(model.find(LayerKind::concat), nullptr);  // squeezenet's fire modules
}

TEST(InNetworkRows, AResumedRunSkipsTheNetworksAlreadyInTheFile) {
  TempPath nets_path("resume_nets.json");
  TempPath rows_path("resume_rows.csv");
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  ProfileNetsOptions options = quick_options();
  {
    DatasetAppender rows(rows_path.str());
    options.layer_rows = &rows;
    NetsFile file = new_nets_file(backend, *meter, options, false);
    profile_networks(backend, *meter, networks({"lenet"}, 1), file, nets_path.str(), options);
  }
  const std::string rows_before = test::read_text(rows_path.str());
  DatasetAppender rows(rows_path.str());
  options.layer_rows = &rows;
  NetsFile file = read_nets_file(nets_path.str());
  const ProfileNetsResult r = profile_networks(
      backend, *meter, networks({"lenet", "squeezenet1_1"}, 1), file, nets_path.str(), options);
  EXPECT_EQ(r.skipped, 1);
  EXPECT_EQ(r.written, 2u);
  const std::string rows_after = test::read_text(rows_path.str());
  EXPECT_EQ(rows_after.substr(0, rows_before.size()), rows_before);  // appended, nothing twice
  std::multiset<std::string> keys;
  for (const auto& m : read_dataset(rows_path.str()).rows) {
    keys.insert(m.source_network + "/" + m.source_layer);
  }
  for (const auto& k : keys) EXPECT_EQ(keys.count(k), 1u) << k;
}

TEST(InNetworkRows, AResumedRunMeasuresAFailedNetworkAgainInItsPlace) {
  TempPath nets_path("retry_nets.json");
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  const ProfileNetsOptions options = quick_options();
  {
    NetsFile file = new_nets_file(backend, *meter, options, false);
    profile_networks(backend, *meter, networks({"lenet", "squeezenet1_1"}, 1), file,
                     nets_path.str(), options);
    ASSERT_EQ(file.networks.size(), 2u);
    file.networks[0].failed = true;
    file.networks[0].failure_reason = "error: fake: launch failed";
    save_nets_file(file, nets_path.str());
  }
  NetsFile file = read_nets_file(nets_path.str());
  const ProfileNetsResult r = profile_networks(
      backend, *meter, networks({"lenet", "squeezenet1_1"}, 1), file, nets_path.str(), options);
  EXPECT_EQ(r.skipped, 1);
  EXPECT_EQ(r.failed, 0);
  const NetsFile again = read_nets_file(nets_path.str());
  ASSERT_EQ(again.networks.size(), 2u);
  for (const auto& n : again.networks) EXPECT_FALSE(n.failed) << n.network;
}

// A sticky CUDA error while the second network runs: the first network's entry is kept, the
// second and third are not written (nothing was measured for them), the run stops with the
// line saying why, and a new process resumes at the second.
TEST(InNetworkRows, ALostDeviceKeepsWhatWasMeasuredAndWritesNothingForTheRest) {
  TempPath nets_path("lost_nets.json");
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  const ProfileNetsOptions options = quick_options();
  backend.on_prepare_network = [&] {
    if (backend.prepared_networks == 2) throw DeviceLost("cudaErrorIllegalAddress: fake");
  };
  const auto nets = networks({"lenet", "squeezenet1_1", "alexnet"}, 1);
  NetsFile file = new_nets_file(backend, *meter, options, false);
  const ProfileNetsResult r =
      profile_networks(backend, *meter, nets, file, nets_path.str(), options);
  EXPECT_NE(r.device_lost.find("cudaErrorIllegalAddress"), std::string::npos) << r.device_lost;
  EXPECT_EQ(r.written, 1u);
  EXPECT_EQ(r.failed, 0);
  const NetsFile kept = read_nets_file(nets_path.str());
  ASSERT_EQ(kept.networks.size(), 1u);
  EXPECT_EQ(kept.networks[0].network, "lenet");
  EXPECT_FALSE(kept.networks[0].failed);
  const std::string summary = profile_nets_summary(r, nets.size(), nets_path.str());
  EXPECT_EQ(summary.rfind("device lost: cudaErrorIllegalAddress: fake\n", 0), 0u) << summary;
  EXPECT_NE(summary.find("stopped: 1 of 3 measurements written"), std::string::npos) << summary;

  backend.on_prepare_network = nullptr;
  NetsFile resumed = read_nets_file(nets_path.str());
  const ProfileNetsResult again =
      profile_networks(backend, *meter, nets, resumed, nets_path.str(), options);
  EXPECT_TRUE(again.device_lost.empty());
  EXPECT_EQ(again.skipped, 1);
  EXPECT_EQ(read_nets_file(nets_path.str()).networks.size(), 3u);
}

TEST(InNetworkRows, HeldOutNetworksNeverWriteRowsUnlessAsked) {
  TempPath nets_path("held_out.json");
  TempPath rows_path("held_out.csv");
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  ProfileNetsOptions options = quick_options();
  DatasetAppender rows(rows_path.str());
  options.layer_rows = &rows;
  NetsFile file = new_nets_file(backend, *meter, options, false);
  try {
    profile_networks(backend, *meter, networks({"lenet", "nin"}, 1), file, nets_path.str(),
                     options);
    FAIL() << "nin was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nin' is held out"), std::string::npos) << e.what();
  }
  EXPECT_EQ(backend.prepared, 0);  // refused before anything was measured
  options.layer_rows = nullptr;    // without rows a held-out network is measured, for evaluate
  const ProfileNetsResult r =
      profile_networks(backend, *meter, networks({"nin"}, 1), file, nets_path.str(), options);
  EXPECT_EQ(r.written, 1u);
  EXPECT_EQ(r.rows_written, 0);
}

// A clock whose pauses are the machine getting quiet again (when `quiet`).
struct QuietingClock final : Clock {
  explicit QuietingClock(FakeBackend& b) : backend(b) {}
  double now_s() override { return now; }
  void sleep_s(double s) override {
    now += s;
    if (quiet) backend.slowdown = 1.0;
  }
  FakeBackend& backend;
  bool quiet = true;
  double now = 0;
};

TEST(InNetworkRows, ADriftMeasuresTheNetworkAgainOnceTheReferenceIsBack) {
  TempPath nets_path("drift_back.json");
  FakeBackend backend;
  QuietingClock clock(backend);
  auto meter = make_null_power_meter("none");
  ProfileNetsOptions options = quick_options();
  options.clock = &clock;
  // The machine slows down as the first network is prepared.
  backend.on_prepare_network = [&] {
    if (backend.prepared_networks == 1) backend.slowdown = 1.5;
  };
  NetsFile file = new_nets_file(backend, *meter, options, false);
  const std::vector<NamedNetwork> nets = networks({"lenet"}, 1);
  const ProfileNetsResult r =
      profile_networks(backend, *meter, nets, file, nets_path.str(), options);
  EXPECT_TRUE(r.stopped.empty()) << r.stopped;
  EXPECT_EQ(r.networks_remeasured, 1);
  EXPECT_EQ(backend.prepared_networks, 2);
  ASSERT_EQ(file.networks.size(), 1u);
  // What is kept is the measurement after the machine was back.
  const Network& lenet = nets[0].second;
  double sum = 0;
  for (int id = 0; id < lenet.size(); ++id) {
    const LayerKind kind = lenet.layer(id).kind;
    if (kind != LayerKind::input && !is_zero_cost(kind)) sum += test::fake_runtime_ms(lenet, id);
  }
  EXPECT_NEAR(*file.networks[0].runtime_ms, sum * 1.02, 1e-9);
  ASSERT_TRUE(file.networks[0].reference_ms.has_value());
}

TEST(InNetworkRows, ADriftThatStaysStopsBeforeTheNetworkIsKept) {
  TempPath nets_path("drift_stays.json");
  TempPath rows_path("drift_stays.csv");
  FakeBackend backend;
  QuietingClock clock(backend);
  clock.quiet = false;
  auto meter = make_null_power_meter("none");
  ProfileNetsOptions options = quick_options();
  options.clock = &clock;
  DatasetAppender rows(rows_path.str());
  options.layer_rows = &rows;
  backend.on_prepare_network = [&] {
    if (backend.prepared_networks == 2) backend.slowdown = 1.5;  // as the second is prepared
  };
  NetsFile file = new_nets_file(backend, *meter, options, false);
  const ProfileNetsResult r = profile_networks(
      backend, *meter, networks({"lenet", "squeezenet1_1"}, 1), file, nets_path.str(), options);
  EXPECT_NE(r.stopped.find("after squeezenet1_1 batch 1"), std::string::npos) << r.stopped;
  ASSERT_EQ(file.networks.size(), 1u);  // lenet only
  EXPECT_EQ(read_nets_file(nets_path.str()).networks.size(), 1u);
  for (const auto& m : read_dataset(rows_path.str()).rows) EXPECT_EQ(m.source_network, "lenet");
}

TEST(NetsFileProtocol, OlderFilesWithoutTheNewKeysStillRead) {
  NetsFile file;
  file.created = "2026-11-21T06:30:00Z";
  file.tool_version = "0.1.0";
  file.platform.device = "AMD EPYC (1 thread)";
  file.platform.backend = "cpu";
  file.platform.dtype = "fp32";
  MeasuredNetwork n;
  n.network = "nin";
  n.spec = "nin";
  n.batch = 1;
  n.runtime_ms = 38.8;
  MeasuredLayer l;
  l.id = 1;
  l.name = "conv1";
  l.runtime_ms = 3.8;
  n.layers.push_back(l);
  file.networks.push_back(n);
  // The same file as written before these keys existed.
  nlohmann::json doc = nlohmann::json::parse(write_nets_file(file));
  doc["settings"].erase("scheduling");
  for (auto& network : doc["networks"]) {
    for (const char* key : {"trials_redone", "reference_ms", "reference_mem_ms"}) {
      network.erase(key);
    }
    for (auto& layer : network["layers"]) layer.erase("runtime_spread_pct");
  }
  const std::string text = doc.dump(2);
  EXPECT_EQ(text.find("reference_ms"), std::string::npos);
  const NetsFile read = parse_nets_file(text, "old.json");
  ASSERT_EQ(read.networks.size(), 1u);
  EXPECT_FALSE(read.networks[0].reference_ms.has_value());
  EXPECT_EQ(read.networks[0].trials_redone, 0);
  EXPECT_FALSE(read.networks[0].layers[0].runtime_spread_pct.has_value());
  EXPECT_EQ(read.settings.scheduling, "");
}

TEST(NetsFileProtocol, TheShippedCpuNetsFileStillReads) {
  const NetsFile file = read_nets_file(std::string(NP_SOURCE_DIR) + "/data/cpu-epyc-1t/nets.json");
  EXPECT_EQ(file.networks.size(), 11u);
  for (const auto& n : file.networks) EXPECT_FALSE(n.reference_ms.has_value());
}

}  // namespace
}  // namespace np
