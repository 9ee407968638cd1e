// `profile layers` with power in groups, a lost device, and resuming: rows that failed with an
// error or whose power window failed are measured again (and replace the old rows), the rest
// is kept; datasets written before the newer columns still read.
#include <gtest/gtest.h>

#include <optional>

#include "fakes.hpp"
#include "neuralpower/csv.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/profile_layers.hpp"
#include "neuralpower/profile_report.hpp"

namespace np {
namespace {

using test::FakeBackend;
using test::TempPath;

Plan lenet_plan() {
  PlanOptions o;
  o.kind = PlanKind::nets;
  o.networks = {"lenet"};
  o.batches = {1, 2};
  return make_plan(o);
}

ProfileLayersOptions quick_groups() {
  ProfileLayersOptions options;
  options.measure.trials = 2;
  options.measure.warmup = 1;
  options.groups.group_size = 4;
  options.groups.window_periods = 4;
  options.groups.min_window_s = 0.01;
  options.groups.preheat_first_s = 0.02;
  options.groups.preheat_s = 0;
  return options;
}

TEST(ProfileInGroups, RowsCarryPowerFromTheirWindowAndTheWindowColumns) {
  TempPath path("groups.csv");
  const Plan plan = lenet_plan();
  FakeBackend backend;
  test::RealTimeMeter meter(80.0, 20.0);
  DatasetAppender out(path.str());
  const ProfileLayersResult r = profile_layers(backend, meter, plan.configs, out, quick_groups());
  ASSERT_TRUE(r.counter.has_value());
  // Real time on a shared machine (CI runs this under sanitizers, two tests at once): late
  // wake-ups move the measured period and stretch windows by up to a period; the exact
  // alignment is checked on the simulated counter in power_window_test.
  EXPECT_NEAR(r.counter->period_s, 0.020, 0.005);
  EXPECT_EQ(r.measured, static_cast<int64_t>(plan.configs.size()));
  EXPECT_EQ(r.power_rows, r.measured);
  const Dataset d = read_dataset(path.str());
  ASSERT_EQ(d.rows.size(), plan.configs.size());
  for (const auto& m : d.rows) {
    ASSERT_TRUE(m.power_w && m.runtime_ms && m.window_s && m.window_periods) << m.config;
    EXPECT_NEAR(*m.power_w, 80.0, 8.0) << m.config;
    EXPECT_GE(*m.window_periods, 4);
    EXPECT_NEAR(*m.window_s, *m.window_periods * 0.020, 0.020);
    ASSERT_TRUE(m.counter_period_ms.has_value());
    EXPECT_NEAR(*m.counter_period_ms, 20.0, 5.0);
    EXPECT_EQ(m.power_status, "ok");
    ASSERT_TRUE(m.idle_power_w.has_value());
    EXPECT_NEAR(*m.idle_power_w, 80.0, 8.0);
    EXPECT_NEAR(*m.energy_mj, *m.power_w * *m.runtime_ms, 1e-9);
    EXPECT_EQ(m.math_type, "fake-fma");
    EXPECT_EQ(m.graph_copies, 3);
    EXPECT_EQ(m.sm_clock_min_mhz, 1980);
    EXPECT_EQ(m.sm_clock_max_mhz, 1980);
    // The runtime is the batches' median inside the window: the fake's own time per run.
    const auto it = std::find_if(plan.configs.begin(), plan.configs.end(),
                                 [&](const LayerConfig& c) { return c.config == m.config; });
    ASSERT_NE(it, plan.configs.end());
    EXPECT_NEAR(*m.runtime_ms, test::fake_runtime_ms(it->net, it->layer_id()), 1e-9);
  }
}

TEST(ProfileInGroups, PowerForTheFirstSecondsThenRuntimeOnly) {
  TempPath path("power_seconds.csv");
  const Plan plan = lenet_plan();
  FakeBackend backend;
  test::RealTimeMeter meter(80.0, 10.0);
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_groups();
  options.power_seconds = 1e-9;  // spent at once: every row runtime only
  const ProfileLayersResult r = profile_layers(backend, meter, plan.configs, out, options);
  EXPECT_EQ(r.power_rows, 0);
  for (const auto& m : read_dataset(path.str()).rows) {
    EXPECT_FALSE(m.power_w.has_value());
    EXPECT_EQ(m.power_status, "runtime only");
    EXPECT_EQ(m.math_type, "fake-fma");
  }
}

TEST(ProfileInGroups, GroupWindowsAreHeldAgainstTheReferenceLayers) {
  // The two loops merged: rows measured in group power windows get the reference times of
  // the measurement after their group, like interleaved groups.
  TempPath path("groups_reference.csv");
  const Plan plan = lenet_plan();
  FakeBackend backend;
  test::RealTimeMeter meter(80.0, 20.0);
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_groups();
  options.scheduling = "test scheduling";
  const ProfileLayersResult r = profile_layers(backend, meter, plan.configs, out, options);
  ASSERT_TRUE(r.counter.has_value());
  ASSERT_TRUE(r.reference.has_value());
  EXPECT_TRUE(r.stopped.empty()) << r.stopped;
  EXPECT_EQ(r.power_rows, r.measured);
  const Dataset d = read_dataset(path.str());
  ASSERT_EQ(d.rows.size(), plan.configs.size());
  for (const auto& m : d.rows) {
    EXPECT_EQ(m.power_status, "ok") << m.config;
    EXPECT_TRUE(m.window_periods.has_value()) << m.config;
    ASSERT_TRUE(m.reference_ms.has_value()) << m.config;
    EXPECT_GT(*m.reference_ms, 0);
    EXPECT_TRUE(m.reference_mem_ms.has_value()) << m.config;
    EXPECT_EQ(m.placement, Placement::isolated);
    EXPECT_EQ(m.scheduling, "test scheduling");
  }
}

TEST(ProfileLayers, ALostDeviceStopsTheRunWithoutRowsForWhatWasNotMeasured) {
  TempPath path("lost.csv");
  const Plan plan = lenet_plan();
  FakeBackend backend;
  backend.on_prepare = [&] {
    if (backend.prepared == 3) throw DeviceLost("cudaErrorIllegalAddress: fake");
  };
  auto meter = make_null_power_meter("none");
  ProfileLayersOptions options;
  options.measure.trials = 2;
  options.group_size = 1;  // one configuration at a time, no reference layers (their prepares)
  options.reference.enabled = false;
  DatasetAppender out(path.str());
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_NE(r.device_lost.find("cudaErrorIllegalAddress"), std::string::npos) << r.device_lost;
  EXPECT_EQ(r.measured, 2);
  EXPECT_EQ(r.failed, 0);
  EXPECT_EQ(r.remaining, static_cast<int64_t>(plan.configs.size()) - 2);
  const Dataset d = read_dataset(path.str());
  EXPECT_EQ(d.rows.size(), 2u);
  EXPECT_EQ(d.failed_rows, 0);  // the lost configuration is not a failed row
  const std::string summary = profile_layers_summary(r, path.str(), 0);
  EXPECT_NE(summary.find("device lost: cudaErrorIllegalAddress: fake\nstopped: " +
                         std::to_string(r.remaining) + " configurations not measured"),
            std::string::npos)
      << summary;
}

TEST(ProfileInGroups, ALostDeviceInAGroupWritesNothingForThatGroup) {
  TempPath path("lost_group.csv");
  const Plan plan = lenet_plan();
  FakeBackend backend;
  backend.on_prepare = [&] {
    if (backend.prepared == 6) throw DeviceLost("fake launch failure");
  };
  test::RealTimeMeter meter(80.0, 10.0);
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_groups();
  options.reference.enabled = false;  // the reference layers' prepares would count
  const ProfileLayersResult r = profile_layers(backend, meter, plan.configs, out, options);
  EXPECT_FALSE(r.device_lost.empty());
  EXPECT_EQ(r.measured, 4);  // the first group of 4; the second was lost while being prepared
  EXPECT_EQ(read_dataset(path.str()).rows.size(), 4u);
}

LayerMeasurement row_of(const LayerConfig& c, const std::string& status, const std::string& reason,
                        const std::string& power_status) {
  LayerMeasurement m;
  m.kind = c.kind;
  m.config = c.config;
  m.failed = status == "failed";
  m.failure_reason = reason;
  if (!m.failed) {
    m.runtime_ms = 99;  // an old value: a retried row must not keep it
    m.trials = 1;
  }
  m.power_status = power_status;
  m.platform.device = "Fake accelerator";
  m.platform.backend = "fake";
  m.platform.dtype = "fp32";
  m.platform.math_mode = "strict";
  m.date = "2026-01-01T00:00:00Z";
  return m;
}

TEST(ProfileLayers, ResumeRetriesErrorsAndFailedPowerWindowsAndKeepsTheRest) {
  TempPath path("retry.csv");
  const Plan plan = lenet_plan();
  ASSERT_GE(plan.configs.size(), 6u);
  const auto& c = plan.configs;
  {
    DatasetAppender out(path.str());
    out.append(row_of(c[0], "failed", "error: cudaErrorLaunchFailure", ""));
    out.append(row_of(c[1], "failed", "unsupported: no kernel", ""));
    out.append(row_of(c[2], "failed", "out of device memory: 90 GiB", ""));
    out.append(row_of(c[3], "ok", "", "failed: energy counter did not change"));
    out.append(row_of(c[4], "ok", "", "ok"));
    out.append(row_of(c[5], "ok", "", "runtime only"));
  }
  std::vector<LayerConfig> first_six(c.begin(), c.begin() + 6);
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  ProfileLayersOptions options;
  options.measure.trials = 2;
  options.reference.enabled = false;  // the reference layers' prepares would count
  std::optional<DatasetAppender> out(std::in_place, path.str());
  EXPECT_EQ(out->retries(), 2);
  EXPECT_TRUE(out->done(c[1].config));
  EXPECT_FALSE(out->done(c[0].config));
  EXPECT_FALSE(out->done(c[3].config));
  const ProfileLayersResult r = profile_layers(backend, *meter, first_six, *out, options);
  EXPECT_EQ(r.already_done, 4);
  EXPECT_EQ(r.retried, 2);
  EXPECT_EQ(r.measured, 2);
  EXPECT_EQ(backend.prepared, 2);
  const Dataset d = read_dataset(path.str());
  // c0 and c3 measured again replace their old rows; c1 and c2 stay failed; c4, c5 stay.
  EXPECT_EQ(d.failed_rows, 2);
  ASSERT_EQ(d.rows.size(), 4u);
  for (const auto& m : d.rows) {
    if (m.config == c[0].config || m.config == c[3].config) {
      EXPECT_NE(*m.runtime_ms, 99) << "kept the old row of " << m.config;
      EXPECT_EQ(m.power_status, "no meter");
    } else {
      EXPECT_EQ(*m.runtime_ms, 99);
    }
  }
  // A second resume has nothing left to do.
  out.reset();
  out.emplace(path.str());
  EXPECT_EQ(out->retries(), 0);
  const ProfileLayersResult again = profile_layers(backend, *meter, first_six, *out, options);
  EXPECT_EQ(again.measured, 0);
}

TEST(Dataset, FilesWithoutTheNewerColumnsStillRead) {
  // The committed CPU dataset predates the window columns.
  const Dataset cpu = read_dataset(std::string(NP_SOURCE_DIR) + "/data/cpu-epyc-1t/layers.csv");
  EXPECT_EQ(cpu.rows.size(), 4536u);
  for (const auto& m : cpu.rows) {
    EXPECT_TRUE(m.power_status.empty());
    EXPECT_FALSE(m.window_periods.has_value());
    EXPECT_FALSE(m.graph_copies.has_value());
  }
  // A header without them: the columns read as empty, the rest as written.
  std::vector<std::string> old_columns;
  for (const auto& column : dataset_columns()) {
    const auto& later = dataset_columns_added_later();
    if (std::find(later.begin(), later.end(), column) == later.end()) old_columns.push_back(column);
  }
  LayerMeasurement m = row_of(lenet_plan().configs[0], "ok", "", "ok");
  m.window_periods = 4;
  const std::vector<std::string> cells =
      split_csv_line(dataset_row(m).substr(0, dataset_row(m).size() - 1));
  const auto& all = dataset_columns();
  std::vector<std::string> old_cells;
  for (size_t i = 0; i < all.size(); ++i) {
    if (std::find(old_columns.begin(), old_columns.end(), all[i]) != old_columns.end()) {
      old_cells.push_back(cells[i]);
    }
  }
  const Dataset d = parse_dataset(csv_line(old_columns) + csv_line(old_cells), "old.csv");
  ASSERT_EQ(d.rows.size(), 1u);
  EXPECT_EQ(d.rows[0].runtime_ms, 99);
  EXPECT_FALSE(d.rows[0].window_periods.has_value());
  EXPECT_TRUE(d.rows[0].power_status.empty());
}

}  // namespace
}  // namespace np
