// The dataset appender (header, repair, resume keys, lock) and the profile loop on a fake
// backend: rows, failures, resume, interruption, time budget, power columns.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fakes.hpp"
#include "neuralpower/csv.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/profile_layers.hpp"
#include "neuralpower/profile_nets.hpp"

namespace np {
namespace {

using test::FakeBackend;
using test::TempPath;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

LayerMeasurement row(const std::string& config, const std::string& device = "Fake accelerator") {
  LayerMeasurement m;
  m.kind = LayerKind::conv;
  m.config = config;
  m.features = {{"batch", 2}};
  m.runtime_ms = 1.5;
  m.trials = 3;
  m.platform.device = device;
  m.platform.backend = "fake";
  m.platform.dtype = "fp32";
  m.date = "2026-01-01T00:00:00Z";
  return m;
}

Plan small_plan(int64_t random = 12) {
  PlanOptions o;
  o.kind = PlanKind::both;
  o.networks = {"lenet"};
  o.batches = {1, 2};
  o.random_count = random;
  o.max_tensor_bytes = 8 << 20;
  return make_plan(o);
}

std::multiset<std::string> configs_in(const std::string& path) {
  std::multiset<std::string> out;
  std::istringstream text(read_file(path));
  std::string line;
  std::getline(text, line);  // header
  while (std::getline(text, line)) out.insert(split_csv_line(line)[1]);
  return out;
}

std::multiset<std::string> configs_of(const Plan& plan) {
  std::multiset<std::string> out;
  for (const auto& c : plan.configs) out.insert(c.config);
  return out;
}

TEST(DatasetAppender, NewFileGetsTheHeaderAndRowsAreReadBack) {
  TempPath path("new.csv");
  {
    DatasetAppender out(path.str());
    EXPECT_EQ(out.existing_rows(), 0);
    EXPECT_TRUE(out.repair_note().empty());
    out.append(row("conv a"));
    out.append(row("conv \"b\", quoted"));
  }
  EXPECT_EQ(read_file(path.str()),
            dataset_header() + dataset_row(row("conv a")) + dataset_row(row("conv \"b\", quoted")));
  DatasetAppender again(path.str());
  EXPECT_EQ(again.existing_rows(), 2);
  EXPECT_TRUE(again.contains("conv a"));
  EXPECT_TRUE(again.contains("conv \"b\", quoted"));
  EXPECT_FALSE(again.contains("conv c"));
}

TEST(DatasetAppender, APartialLastLineIsRemovedAndSaidSo) {
  TempPath path("partial.csv");
  const std::string whole = dataset_header() + dataset_row(row("conv a"));
  const std::string cut = dataset_row(row("conv b")).substr(0, 40);
  write_file(path.str(), whole + cut);
  {
    DatasetAppender out(path.str());
    EXPECT_NE(out.repair_note().find("partial last line of 40 bytes"), std::string::npos)
        << out.repair_note();
    EXPECT_EQ(out.existing_rows(), 1);
    EXPECT_FALSE(out.contains("conv b"));
    out.append(row("conv b"));
  }
  EXPECT_EQ(read_file(path.str()), whole + dataset_row(row("conv b")));
  EXPECT_EQ(read_dataset(path.str()).rows.size(), 2u);
}

TEST(DatasetAppender, ACutHeaderIsWrittenAgain) {
  TempPath path("cut_header.csv");
  write_file(path.str(), dataset_header().substr(0, 20));
  { DatasetAppender out(path.str()); }
  EXPECT_EQ(read_file(path.str()), dataset_header());
}

TEST(DatasetAppender, AnotherHeaderIsRefused) {
  TempPath path("other.csv");
  write_file(path.str(), "name,value\nx,1\n");
  try {
    DatasetAppender out(path.str());
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("header"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(path.str()), "name,value\nx,1\n");  // untouched
}

TEST(DatasetAppender, AnotherPlatformIsRefused) {
  TempPath path("platform.csv");
  { DatasetAppender(path.str()).append(row("conv a", "GPU one")); }
  DatasetAppender out(path.str());
  Platform same;
  same.device = "GPU one";
  same.backend = "fake";
  same.dtype = "fp32";
  EXPECT_NO_THROW(out.check_platform(same));
  Platform other = same;
  other.device = "GPU two";
  EXPECT_THROW(out.check_platform(other), Error);
  other = same;
  other.dtype = "fp16";
  EXPECT_THROW(out.check_platform(other), Error);
}

TEST(DatasetAppender, OneWriterAtATime) {
  TempPath path("locked.csv");
  DatasetAppender first(path.str());
  EXPECT_THROW(DatasetAppender second(path.str()), Error);
}

TEST(DatasetAppender, ARowWithALineBreakIsRefusedBeforeWriting) {
  TempPath path("newline.csv");
  DatasetAppender out(path.str());
  LayerMeasurement bad = row("conv a");
  bad.failure_reason = "two\nlines";
  EXPECT_THROW(out.append(bad), Error);
  EXPECT_EQ(read_file(path.str()), dataset_header());
}

TEST(ProfileLayers, EveryConfigurationGetsOneRowWithItsFeaturesAndRuntime) {
  TempPath path("rows.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  auto meter = make_null_power_meter("no meter in this test");
  DatasetAppender out(path.str());
  ProfileLayersOptions options;
  options.measure.trials = 3;
  options.measure.warmup = 1;
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_EQ(r.planned, static_cast<int64_t>(plan.configs.size()));
  EXPECT_EQ(r.measured, r.planned);
  EXPECT_EQ(r.failed, 0);
  EXPECT_FALSE(r.power_measured);
  EXPECT_EQ(configs_in(path.str()), configs_of(plan));

  const Dataset d = read_dataset(path.str());
  ASSERT_EQ(d.rows.size(), plan.configs.size());
  for (const auto& m : d.rows) {
    const auto it = std::find_if(plan.configs.begin(), plan.configs.end(),
                                 [&](const LayerConfig& c) { return c.config == m.config; });
    ASSERT_NE(it, plan.configs.end());
    EXPECT_EQ(m.kind, it->kind);
    EXPECT_EQ(m.source_network, it->source_network);
    EXPECT_EQ(m.features, named_features(it->net, it->layer_id()));
    ASSERT_TRUE(m.runtime_ms.has_value());
    EXPECT_NEAR(*m.runtime_ms, test::fake_runtime_ms(it->net, it->layer_id()), 1e-9);
    EXPECT_EQ(m.trials, 3);
    EXPECT_FALSE(m.power_w.has_value());  // runtime only: power left empty
    EXPECT_FALSE(m.energy_mj.has_value());
    EXPECT_EQ(m.algorithm, "fake-gemm");
    EXPECT_EQ(m.platform.device, "Fake accelerator");
    EXPECT_EQ(m.platform.backend, "fake");
    EXPECT_EQ(m.platform.dtype, "fp32");
    EXPECT_EQ(m.platform.clocks_locked, "no");
    EXPECT_FALSE(m.date.empty());
  }
}

TEST(ProfileLayers, ASecondRunResumesAndWritesNothingTwice) {
  TempPath path("resume.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  ProfileLayersOptions options;
  options.measure.trials = 2;
  options.measure.warmup = 0;
  {
    DatasetAppender out(path.str());
    std::vector<LayerConfig> first_half(plan.configs.begin(),
                                        plan.configs.begin() + plan.configs.size() / 2);
    profile_layers(backend, *meter, first_half, out, options);
  }
  const std::string after_first = read_file(path.str());
  DatasetAppender out(path.str());
  backend.prepared = 0;
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_EQ(r.already_done, static_cast<int64_t>(plan.configs.size() / 2));
  EXPECT_EQ(r.measured, static_cast<int64_t>(plan.configs.size() - plan.configs.size() / 2));
  // Done ones are not even prepared; the two reference layers are, once per run.
  EXPECT_EQ(backend.prepared, r.measured + 2);
  EXPECT_EQ(read_file(path.str()).substr(0, after_first.size()), after_first);
  EXPECT_EQ(configs_in(path.str()), configs_of(plan));
}

TEST(ProfileLayers, FailuresAreRowsWithTheirReasonAndTheRunGoesOn) {
  TempPath path("failures.csv");
  const Plan plan = small_plan(40);
  FakeBackend backend;
  backend.unsupported = {LayerKind::pool, LayerKind::softmax};
  backend.max_output_elements = 60000;
  auto meter = make_null_power_meter("none");
  DatasetAppender out(path.str());
  ProfileLayersOptions options;
  options.measure.trials = 2;
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_EQ(r.measured, static_cast<int64_t>(plan.configs.size()));
  int64_t unsupported = 0, oom = 0;
  std::istringstream text(read_file(path.str()));
  std::string line;
  std::getline(text, line);
  const auto& columns = dataset_columns();
  const auto col = [&](const char* name) {
    return static_cast<size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin());
  };
  while (std::getline(text, line)) {
    const auto cells = split_csv_line(line);
    if (cells[col("status")] != "failed") {
      EXPECT_FALSE(cells[col("runtime_ms")].empty());
      continue;
    }
    EXPECT_TRUE(cells[col("runtime_ms")].empty());
    const std::string& reason = cells[col("failure_reason")];
    if (reason.rfind("unsupported: the fake backend does not run", 0) == 0) ++unsupported;
    if (reason.rfind("out of device memory: output of", 0) == 0) ++oom;
    EXPECT_TRUE(cells[0] == "pool" || cells[0] == "softmax" ||
                reason.find("memory") != std::string::npos)
        << line;
  }
  EXPECT_GT(unsupported, 0);
  EXPECT_GT(oom, 0);
  EXPECT_EQ(r.failed, unsupported + oom);
  const Dataset d = read_dataset(path.str());
  EXPECT_EQ(d.failed_rows, r.failed);
  EXPECT_EQ(static_cast<int64_t>(d.rows.size()) + d.failed_rows, r.measured);
}

TEST(ProfileLayers, AStopAbandonsTheCurrentConfigurationWithoutAPartialRow) {
  TempPath path("stop.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  std::atomic<bool> stop{false};
  backend.on_prepare = [&] {
    if (backend.prepared == 5) stop = true;  // raised while the 5th is being measured
  };
  auto meter = make_null_power_meter("none");
  ProfileLayersOptions options;
  options.stop = &stop;
  options.group_size = 1;  // one configuration at a time, no reference layers
  options.reference.enabled = false;
  {
    DatasetAppender out(path.str());
    const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
    EXPECT_TRUE(r.interrupted);
    EXPECT_EQ(r.measured, 4);
    EXPECT_EQ(r.remaining, static_cast<int64_t>(plan.configs.size()) - 4);
  }
  EXPECT_EQ(read_dataset(path.str()).rows.size(), 4u);
  stop = false;
  backend.on_prepare = nullptr;
  DatasetAppender out(path.str());
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(configs_in(path.str()), configs_of(plan));
}

TEST(ProfileLayers, TheTimeBudgetStopsCleanly) {
  TempPath path("budget.csv");
  const Plan plan = small_plan();
  test::SimClock clock;
  FakeBackend backend;
  backend.on_run = [&] { clock.sleep_s(0.01); };  // each timed call takes 10 ms of sim time
  auto meter = make_null_power_meter("none");
  ProfileLayersOptions options;
  options.measure.trials = 4;
  options.measure.warmup = 1;
  options.budget_seconds = 0.3;
  options.clock = &clock;
  options.group_size = 1;  // one configuration at a time, no reference layers
  options.reference.enabled = false;
  DatasetAppender out(path.str());
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_TRUE(r.budget_reached);
  EXPECT_GT(r.measured, 0);
  EXPECT_GT(r.remaining, 0);
  EXPECT_EQ(r.measured + r.remaining, static_cast<int64_t>(plan.configs.size()));
  EXPECT_GE(clock.now_s(), 0.3);
  EXPECT_LT(clock.now_s(), 0.3 + 0.1);  // at most one configuration past the budget
}

TEST(ProfileLayers, WithAMeterRowsCarryPowerEnergyAndReadings) {
  TempPath path("power.csv");
  PlanOptions o;
  o.kind = PlanKind::random;
  o.random_count = 3;
  o.coverage = false;
  o.max_tensor_bytes = 1 << 20;
  const Plan plan = make_plan(o);
  FakeBackend backend;
  test::RealTimeMeter meter(50.0, 20.0);
  DatasetAppender out(path.str());
  ProfileLayersOptions options;
  options.measure.trials = 2;
  options.measure.power_window_s = 0.1;
  options.groups.group_size = 0;  // one window per layer (the group windows: power_window_test)
  const ProfileLayersResult r = profile_layers(backend, meter, plan.configs, out, options);
  EXPECT_TRUE(r.power_measured);
  ASSERT_TRUE(r.idle_power_w.has_value());
  EXPECT_NEAR(*r.idle_power_w, 50.0, 2.5);
  const Dataset d = read_dataset(path.str());
  ASSERT_EQ(d.rows.size(), 3u);
  for (const auto& m : d.rows) {
    ASSERT_TRUE(m.power_w && m.energy_mj && m.window_s && m.runtime_ms);
    EXPECT_NEAR(*m.power_w, 50.0, 2.5);
    EXPECT_NEAR(*m.energy_mj, *m.power_w * *m.runtime_ms, 1e-9);
    EXPECT_GE(*m.window_s, 0.1 - 0.005);
    EXPECT_EQ(m.idle_power_w, r.idle_power_w);
    EXPECT_EQ(m.sm_clock_mhz, 1980);
    EXPECT_EQ(m.power_limit_w, 700);
    EXPECT_EQ(m.throttle_reasons, "none");
  }
}

}  // namespace
}  // namespace np
