// The measurement protocol for a shared machine on the fake backend: disturbed trials taken
// again, trials interleaved across a group, the reference layers with every row, a drift that
// re-measures a group or stops the run, a resumed run held against the rows already there.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "fakes.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/profile_layers.hpp"
#include "neuralpower/reference_layers.hpp"

namespace np {
namespace {

using test::FakeBackend;
using test::FakeMonitor;
using test::TempPath;

// A workload whose trials take `ms` per run, or `slow_ms` while `slow` says so.
struct ScriptedWorkload {
  double ms = 1.0;
  std::function<bool()> slow = [] { return false; };
  double slow_ms = 3.0;
  int calls = 0;

  Workload workload() {
    return {[this](int n) {
              ++calls;
              return n * (slow() ? slow_ms : ms);
            },
            [](double) { return int64_t{1}; }};
  }
};

TEST(Protocol, DisturbedTrialsAreTakenAgainAndCounted) {
  // Two of every three trials are preempted and three times slower: kept, they would set the
  // median. The monitor decides when a trial begins; the workload runs slow while disturbed.
  struct EveryThirdClean final : TrialMonitor {
    int trial = 0;
    bool disturbed = false;
    void begin() override { disturbed = ++trial % 3 != 0; }
    std::string end() override {
      return disturbed ? "preempted: 1 involuntary context switch" : "";
    }
  } monitor;
  ScriptedWorkload s;
  s.slow = [&] { return monitor.disturbed; };
  Workload w = s.workload();
  w.monitor = &monitor;
  MeasureOptions o;
  o.trials = 9;
  o.warmup = 1;
  o.min_trial_ms = 1;  // one run per trial
  const RuntimeStats stats = measure_runtime(w, o);
  EXPECT_DOUBLE_EQ(stats.median_ms, 1.0);  // only undisturbed trials were kept
  EXPECT_DOUBLE_EQ(stats.spread_pct, 0);
  EXPECT_EQ(stats.trials, 9);
  EXPECT_EQ(stats.trials_redone, 18);
  EXPECT_EQ(stats.trials_disturbed, 0);
  EXPECT_EQ(stats.disturbance, "preempted: 1 involuntary context switch");
}

TEST(Protocol, ARedoLimitKeepsTheDisturbedTrialsAndSaysSo) {
  ScriptedWorkload s;
  FakeMonitor always([] { return std::string("CPU time 1 ms of 3 ms wall time"); });
  Workload w = s.workload();
  w.monitor = &always;
  MeasureOptions o;
  o.trials = 5;
  o.warmup = 1;
  o.min_trial_ms = 1;
  o.max_trials_redone = 4;
  const RuntimeStats stats = measure_runtime(w, o);
  EXPECT_EQ(stats.trials_redone, 4);
  EXPECT_EQ(stats.trials_disturbed, 5);  // every kept trial was disturbed: the caller is told
  EXPECT_EQ(always.begun, 5 + 4);
}

TEST(Protocol, InterleavedTrialsSpreadASlowSpellOverTheGroup) {
  // A slow spell as long as one workload's trials: measured one after the other, the spell
  // falls on one workload entirely; interleaved, each workload sees a third of it.
  int global_calls = 0;
  auto spell = [&] { return global_calls >= 20 && global_calls < 36; };
  auto run = [&](bool interleaved) {
    std::vector<ScriptedWorkload> scripts(3);
    std::vector<Workload> workloads;
    global_calls = 0;
    for (auto& s : scripts) {
      s.slow = spell;
      workloads.push_back({[&s, &global_calls, &spell](int n) {
                             ++global_calls;
                             return n * (spell() ? s.slow_ms : s.ms);
                           },
                           [](double) { return int64_t{1}; }});
    }
    MeasureOptions o;
    o.trials = 9;
    o.warmup = 1;
    o.min_trial_ms = 1;
    o.max_spread_pct = 1000;  // no second set: the first one is what is compared
    std::vector<double> medians;
    if (interleaved) {
      for (const auto& r : measure_runtimes(workloads, o)) medians.push_back(r.stats.median_ms);
    } else {
      for (const auto& w : workloads) medians.push_back(measure_runtime(w, o).median_ms);
    }
    return medians;
  };
  const std::vector<double> sequential = run(false);
  const std::vector<double> interleaved = run(true);
  EXPECT_GT(*std::max_element(sequential.begin(), sequential.end()), 2.0);  // one hit fully
  for (double m : interleaved)
    EXPECT_DOUBLE_EQ(m, 1.0);  // a few slow trials each, the median holds
}

TEST(Protocol, InterleavedTrialsTakeTurnsAfterARewarmRun) {
  std::vector<std::string> calls;
  std::vector<Workload> workloads;
  for (const char* name : {"a", "b", "c"}) {
    workloads.push_back({[&calls, name](int n) {
                           calls.push_back(std::string(name) + std::to_string(n));
                           return 0.5 * n;
                         },
                         [](double) { return int64_t{1}; }});
  }
  MeasureOptions o;
  o.trials = 2;
  o.warmup = 1;
  o.min_trial_ms = 5;  // 10 runs per trial, a re-warm of 2 runs (1 ms) before each
  const auto results = measure_runtimes(workloads, o);
  for (const auto& r : results) {
    EXPECT_FALSE(r.failure);
    EXPECT_EQ(r.stats.iterations_per_trial, 10);
    EXPECT_DOUBLE_EQ(r.stats.median_ms, 0.5);
  }
  // Calibration of each (a warm-up run, a check of 10), then the trials in turns.
  const std::vector<std::string> expected{"a1", "a10", "b1", "b10", "c1", "c10",
                                          "a2", "a10", "b2", "b10", "c2", "c10",
                                          "a2", "a10", "b2", "b10", "c2", "c10"};
  EXPECT_EQ(calls, expected);
}

TEST(Protocol, AWorkloadThatFailsLeavesTheOthersMeasured) {
  std::vector<Workload> workloads{
      {[](int n) { return 1.0 * n; }, [](double) { return int64_t{1}; }},
      {[](int) -> double { throw UnsupportedLayer("no such kernel"); },
       [](double) { return int64_t{1}; }},
      {[](int n) { return 2.0 * n; }, [](double) { return int64_t{1}; }}};
  MeasureOptions o;
  o.trials = 3;
  o.warmup = 1;
  const auto results = measure_runtimes(workloads, o);
  EXPECT_FALSE(results[0].failure);
  EXPECT_TRUE(results[1].failure);
  EXPECT_FALSE(results[2].failure);
  EXPECT_DOUBLE_EQ(results[2].stats.median_ms, 2.0);
}

Plan small_plan(int64_t random = 20) {
  PlanOptions o;
  o.kind = PlanKind::both;
  o.networks = {"lenet"};
  o.batches = {1, 2};
  o.random_count = random;
  o.coverage = false;
  o.max_tensor_bytes = 8 << 20;
  return make_plan(o);
}

ProfileLayersOptions quick_options() {
  ProfileLayersOptions o;
  o.measure.trials = 3;
  o.measure.warmup = 1;
  o.group_size = 4;
  return o;
}

// The fake backend's reference times: the roofline of the two reference layers.
ReferenceTimes fake_reference() {
  const Network conv = reference_conv_network(DataType::fp32);
  const Network mem = reference_mem_network(DataType::fp32);
  return {test::fake_runtime_ms(conv, conv.size() - 1), test::fake_runtime_ms(mem, mem.size() - 1)};
}

// A clock whose pauses are the machine getting quiet again: sleeping resets the slowdown.
class QuietingClock final : public Clock {
 public:
  explicit QuietingClock(FakeBackend& backend) : backend_(backend) {}
  double now_s() override { return now_; }
  void sleep_s(double seconds) override {
    now_ += seconds;
    if (quiet_after_pause) backend_.slowdown = 1.0;
  }
  bool quiet_after_pause = true;

 private:
  FakeBackend& backend_;
  double now_ = 0;
};

TEST(Protocol, RowsCarryTheReferenceTheSchedulingAndThePlacement) {
  TempPath path("reference_rows.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_options();
  options.scheduling = "SCHED_FIFO priority 10, pinned to cpu 1";
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  ASSERT_TRUE(r.reference.has_value());
  const ReferenceTimes expected = fake_reference();
  EXPECT_NEAR(r.reference->conv_ms, expected.conv_ms, 1e-12);
  EXPECT_NEAR(r.reference->mem_ms, expected.mem_ms, 1e-12);
  EXPECT_GT(expected.mem_ms, expected.conv_ms);  // the add moves 77 MB
  const Dataset d = read_dataset(path.str());
  ASSERT_EQ(d.rows.size(), plan.configs.size());
  for (const auto& m : d.rows) {
    ASSERT_TRUE(m.reference_ms && m.reference_mem_ms) << m.config;
    EXPECT_NEAR(*m.reference_ms, expected.conv_ms, 1e-12);
    EXPECT_NEAR(*m.reference_mem_ms, expected.mem_ms, 1e-12);
    EXPECT_EQ(m.scheduling, options.scheduling);
    EXPECT_EQ(m.placement, Placement::isolated);
    EXPECT_EQ(m.trials_redone, 0);
  }
  EXPECT_EQ(r.groups_remeasured, 0);
  EXPECT_TRUE(r.stopped.empty());
}

TEST(Protocol, DisturbedTrialsAreRedoneAndTheRowSaysHowMany) {
  TempPath path("redone.csv");
  const Plan plan = small_plan(8);
  FakeBackend backend;
  int runs = 0;
  // Every other timed call is a preempted trial, three times slower.
  backend.on_run = [&] { backend.slowdown = ++runs % 2 == 0 ? 3.0 : 1.0; };
  backend.disturbed = [&] { return backend.slowdown > 1 ? std::string("preempted") : ""; };
  auto meter = make_null_power_meter("none");
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_options();
  options.reference.enabled = false;
  options.measure.max_trials_redone = 1000;
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_GT(r.trials_redone, 0);
  int64_t redone = 0;
  for (const auto& m : read_dataset(path.str()).rows) {
    const auto it = std::find_if(plan.configs.begin(), plan.configs.end(),
                                 [&](const LayerConfig& c) { return c.config == m.config; });
    ASSERT_NE(it, plan.configs.end());
    EXPECT_NEAR(*m.runtime_ms, test::fake_runtime_ms(it->net, it->layer_id()), 1e-9) << m.config;
    redone += m.trials_redone;
  }
  EXPECT_EQ(redone, r.trials_redone);
}

TEST(Protocol, ADriftMeasuresTheGroupAgainOnceTheReferenceIsBack) {
  TempPath path("drift_back.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  QuietingClock clock(backend);
  // The machine slows down while the second group is prepared (the references and the first
  // group of 4 were prepared before), and is quiet again after the first pause.
  backend.on_prepare = [&] {
    if (backend.prepared == 2 + 4 + 2) backend.slowdown = 1.6;
  };
  auto meter = make_null_power_meter("none");
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_options();
  options.clock = &clock;
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_TRUE(r.stopped.empty()) << r.stopped;
  EXPECT_EQ(r.groups_remeasured, 1);
  const Dataset d = read_dataset(path.str());
  ASSERT_EQ(d.rows.size(), plan.configs.size());  // each once
  for (const auto& m : d.rows) {
    const auto it = std::find_if(plan.configs.begin(), plan.configs.end(),
                                 [&](const LayerConfig& c) { return c.config == m.config; });
    // No row keeps a time of the slow spell.
    EXPECT_NEAR(*m.runtime_ms, test::fake_runtime_ms(it->net, it->layer_id()), 1e-9) << m.config;
    EXPECT_NEAR(*m.reference_ms, fake_reference().conv_ms, 1e-12);
  }
}

TEST(Protocol, ADriftThatStaysStopsTheRunAndSaysWhy) {
  TempPath path("drift_stays.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  QuietingClock clock(backend);
  clock.quiet_after_pause = false;
  backend.on_prepare = [&] {
    if (backend.prepared == 2 + 4 + 2) backend.slowdown = 1.6;
  };
  auto meter = make_null_power_meter("none");
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_options();
  options.clock = &clock;
  options.reference.retries = 2;
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_NE(r.stopped.find("reference conv"), std::string::npos) << r.stopped;
  EXPECT_NE(r.stopped.find("+60.0%"), std::string::npos) << r.stopped;
  EXPECT_EQ(r.measured, 4);  // the first group only: the second was never written
  EXPECT_EQ(r.remaining, static_cast<int64_t>(plan.configs.size()) - 4);
  EXPECT_GE(clock.now_s(), 2 * options.reference.pause_s);  // it waited before giving up
  for (const auto& m : read_dataset(path.str()).rows) {
    EXPECT_NEAR(*m.reference_ms, fake_reference().conv_ms, 1e-12);
  }
}

TEST(Protocol, AResumedRunOnAChangedMachineIsRefused) {
  TempPath path("resumed_drift.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  ProfileLayersOptions options = quick_options();
  options.max_configs = 8;
  {
    DatasetAppender out(path.str());
    const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
    EXPECT_EQ(r.measured, 8);
  }
  backend.slowdown = 1.3;
  options.max_configs = 0;
  {
    DatasetAppender out(path.str());
    const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
    EXPECT_EQ(r.measured, 0);
    EXPECT_NE(r.stopped.find("in the rows already in"), std::string::npos) << r.stopped;
    EXPECT_NE(r.stopped.find("(+30.0%)"), std::string::npos) << r.stopped;
  }
  backend.slowdown = 1.05;  // within the tolerance: the run goes on
  DatasetAppender out(path.str());
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_TRUE(r.stopped.empty()) << r.stopped;
  EXPECT_EQ(r.measured, static_cast<int64_t>(plan.configs.size()) - 8);
}

TEST(Protocol, AStopAbandonsTheWholeGroupUnderWay) {
  TempPath path("stop_group.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  std::atomic<bool> stop{false};
  backend.on_prepare = [&] {
    if (backend.prepared == 2 + 4 + 3) stop = true;  // the 3rd configuration of group 2
  };
  auto meter = make_null_power_meter("none");
  ProfileLayersOptions options = quick_options();
  options.stop = &stop;
  DatasetAppender out(path.str());
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.measured, 4);
  EXPECT_EQ(read_dataset(path.str()).rows.size(), 4u);
}

TEST(Protocol, TheBudgetIsCheckedBeforeEachGroup) {
  TempPath path("budget_groups.csv");
  const Plan plan = small_plan();
  test::SimClock clock;
  FakeBackend backend;
  backend.on_run = [&] { clock.sleep_s(0.01); };
  auto meter = make_null_power_meter("none");
  ProfileLayersOptions options = quick_options();
  options.clock = &clock;
  options.reference.enabled = false;
  options.budget_seconds = 0.5;
  DatasetAppender out(path.str());
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_TRUE(r.budget_reached);
  EXPECT_EQ(r.measured % 4, 0);  // whole groups
  // One group of 4 takes 4 x (warm-up, check, 3 re-warms and 3 trials) = 32 calls, 0.32 s.
  EXPECT_LT(clock.now_s(), 0.5 + 0.33);
}

TEST(Protocol, AdaptiveRoundsMeasureMoreWhereTheQuickModelsErr) {
  // The fake device runs convolutions with a 5x5 kernel 8 times slower than its roofline: a
  // bump no smooth model of the features follows. Half of a 400-configuration run goes to
  // adaptive rounds, which should find it. The plan leaves about 1,200 convolutions to choose
  // from, so that the 200 chosen are a choice (a pool of barely 200 would take everything).
  TempPath path("adaptive.csv");
  PlanOptions plan_options;
  plan_options.kind = PlanKind::random;
  plan_options.coverage = false;
  plan_options.random_count = 4000;
  plan_options.max_tensor_bytes = 64 << 20;
  Plan plan = make_plan(plan_options);
  // Convolutions only: enough rows for quick models with squares after the first half.
  std::erase_if(plan.configs, [](const LayerConfig& c) { return c.kind != LayerKind::conv; });
  ASSERT_GT(plan.configs.size(), 500u);
  auto kernel_of = [](const Network& net, int id) {
    return std::get<ConvAttrs>(net.layer(id).attrs).kernel_h;
  };
  FakeBackend backend;
  backend.runtime = [&](const Network& net, int id) {
    const double ms = test::fake_runtime_ms(net, id);
    const bool bump = net.layer(id).kind == LayerKind::conv && kernel_of(net, id) == 5;
    return bump ? 8 * ms : ms;
  };
  auto meter = make_null_power_meter("none");
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_options();
  options.reference.enabled = false;
  options.max_configs = 400;
  options.adaptive.share = 0.5;
  options.adaptive.round = 40;
  const ProfileLayersResult r = profile_layers(backend, *meter, plan.configs, out, options);
  EXPECT_EQ(r.measured, 400);
  EXPECT_EQ(r.adaptive, 200);
  // The first 200 rows follow the plan; the rest were chosen.
  std::map<std::string, const LayerConfig*> by_config;
  for (const auto& c : plan.configs) by_config[c.config] = &c;
  const Dataset d = read_dataset(path.str());
  ASSERT_EQ(d.rows.size(), 400u);
  std::set<std::string> ordered;
  for (size_t i = 0; i < 200; ++i) ordered.insert(d.rows[i].config);
  auto bump_share = [&](auto&& configs) {
    double convs = 0, bumps = 0;
    for (const LayerConfig* c : configs) {
      if (c->kind != LayerKind::conv) continue;
      ++convs;
      bumps += kernel_of(c->net, c->layer_id()) == 5;
    }
    return convs > 0 ? bumps / convs : 0.0;
  };
  std::vector<const LayerConfig*> pool, chosen;
  for (const auto& c : plan.configs) {
    if (!ordered.count(c.config)) pool.push_back(&c);
  }
  for (size_t i = 200; i < d.rows.size(); ++i) chosen.push_back(by_config.at(d.rows[i].config));
  EXPECT_GT(bump_share(chosen), 2 * bump_share(pool))
      << bump_share(chosen) << " of the chosen convolutions are 5x5, " << bump_share(pool)
      << " of those left in the plan";
}

TEST(Protocol, AdaptiveSamplingNeedsSomethingToShare) {
  TempPath path("adaptive_bad.csv");
  const Plan plan = small_plan();
  FakeBackend backend;
  auto meter = make_null_power_meter("none");
  DatasetAppender out(path.str());
  ProfileLayersOptions options = quick_options();
  options.adaptive.share = 0.5;
  EXPECT_THROW(profile_layers(backend, *meter, plan.configs, out, options), Error);
}

TEST(Protocol, ReferenceDriftNamesWhatMovedAndByHowMuch) {
  ReferenceOptions o;
  EXPECT_EQ(reference_drift({2.0, 5.0}, {2.0, 5.0}, o), "");
  EXPECT_EQ(reference_drift({2.1, 5.0}, {2.0, 5.0}, o), "");  // +5%
  EXPECT_EQ(reference_drift({2.3, 5.0}, {2.0, 5.0}, o),
            "reference conv 2.300 ms against 2.000 ms (+15.0%)");
  EXPECT_EQ(reference_drift({1.7, 5.0}, {2.0, 5.0}, o),
            "reference conv 1.700 ms against 2.000 ms (-15.0%)");  // faster is a change too
  EXPECT_EQ(reference_drift({2.0, 6.0}, {2.0, 5.0}, o), "");       // +20%: the add may move 25%
  EXPECT_EQ(reference_drift({2.0, 6.5}, {2.0, 5.0}, o),
            "reference add 6.500 ms against 5.000 ms (+30.0%)");
}

TEST(Protocol, TheThreadMonitorSeesASleepAsLostTime) {
  const auto monitor = thread_preemption_monitor(1);
  // A busy loop keeps its CPU time (unless the machine preempts it: one clean try of five).
  bool clean = false;
  for (int attempt = 0; attempt < 5 && !clean; ++attempt) {
    monitor->begin();
    volatile double sink = 0;
    for (int i = 0; i < 200000; ++i) sink = sink + i * 1e-9;
    clean = monitor->end().empty();
  }
  EXPECT_TRUE(clean);
  monitor->begin();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Lost CPU time, or (on a busy machine) a preemption on waking: disturbed either way.
  const std::string slept = monitor->end();
  EXPECT_TRUE(slept.find("CPU time") == 0 || slept.find("preempted") == 0) << slept;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

TEST(Protocol, TheThreadMonitorRestsBeforeATrialForAShareOfTheTimeRun) {
  PreemptionLimits limits;
  limits.rest_share = 0.25;
  const auto monitor = thread_preemption_monitor(1, limits);
  monitor->begin();  // rests for a quarter of the (short) time since it was made
  monitor->end();
  const auto busy = std::chrono::steady_clock::now();
  while (ms_since(busy) < 40) {
  }
  const auto before = std::chrono::steady_clock::now();
  monitor->begin();
  const double rested_ms = ms_since(before);
  monitor->end();
  EXPECT_GE(rested_ms, 0.25 * 40 * 0.9);  // a quarter of the 40 ms run since the last rest
  limits.rest_share = 0;
  const auto restless = thread_preemption_monitor(1, limits);
  const auto start = std::chrono::steady_clock::now();
  restless->begin();
  EXPECT_LT(ms_since(start), 5.0);
  restless->end();
}

}  // namespace
}  // namespace np
