// The group power windows (power_window.hpp) on a simulated energy counter and a simulated
// clock: the counter period is measured, a window opens one settle period after a switch and
// spans N whole periods, switches happen at counter updates, runtime samples come from inside
// the window; the spread check's choice of N; and the threaded driver in real time.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <set>

#include "fakes.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/power_window.hpp"
#include "neuralpower/quiet_thread.hpp"
#include "neuralpower/spread_check.hpp"

namespace np {
namespace {

using test::DeviceClock;
using test::SimClock;
using test::SimDevice;
using test::SimDriver;
using test::SimMeter;

// The counter update nearest to `t`.
double nearest_update(const SimDevice& device, double t) {
  return device.phase_s() +
         std::round((t - device.phase_s()) / device.period_s()) * device.period_s();
}

TEST(CounterPeriod, IsMeasuredNotTakenFromTheMeter) {
  SimClock clock;
  SimDevice device(clock, 60, 300, 0.047, 0.013);
  SimMeter meter(device);
  meter.nominal_period_ms = 100;  // what the meter claims; the counter updates every 47 ms
  DeviceClock sleeping(clock, device);
  const CounterPeriod period = measure_counter_period(meter, sleeping, 10, 5.0);
  EXPECT_NEAR(period.period_s, 0.047, 0.0025);  // to a poll step (100 ms / 50)
  EXPECT_EQ(period.intervals, 10);
  EXPECT_LT(period.spread_pct, 10.0);
}

TEST(CounterPeriod, ACounterThatNeverMovesIsAnError) {
  SimClock clock;
  SimDevice device(clock, 60, 300, 0.1);
  SimMeter meter(device);
  meter.frozen = true;
  DeviceClock sleeping(clock, device);
  try {
    measure_counter_period(meter, sleeping, 10, 2.0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too few"), std::string::npos) << e.what();
  }
  EXPECT_LT(clock.now_s(), 2.1);
}

TEST(PowerWindows, OpenOneSettlePeriodAfterTheSwitchAndSpanNPeriods) {
  SimClock clock;
  SimDevice device(clock, 60, 0, 0.1, 0.037);
  SimMeter meter(device);
  device.idle(0.21);  // the run starts in the middle of a period
  SimDriver driver(device, clock, {{250, 0.5}}, 0.005);
  WindowOptions options;
  options.period_s = 0.1;
  const auto results = measure_windows(meter, driver, {{0, 4, true}}, options, clock);
  ASSERT_EQ(results.size(), 1u);
  const SlotMeasurement& w = results[0];
  ASSERT_TRUE(w.failure.empty()) << w.failure;
  EXPECT_EQ(w.periods, 4);
  EXPECT_NEAR(w.power_w, 250.0, 250.0 * 0.01);
  EXPECT_NEAR(w.window_s, 0.4, 0.004);  // 4 periods, each end dated to half a poll step
  // The switch was mid-period: the rest of that period and one whole period are discarded,
  // so the window opens at the second update after the switch.
  const double switched = driver.switches.at(0).first;
  const double first_update = nearest_update(device, switched + 0.05);
  ASSERT_EQ(driver.opened.size(), 1u);
  EXPECT_NEAR(driver.opened[0], first_update + 0.1, 0.004);
  EXPECT_NEAR(w.energy_mj, w.power_w * w.window_s * 1e3, 1e-6);
  ASSERT_TRUE(w.power_spread_pct.has_value());  // 4 periods: enough for a spread
  EXPECT_LT(*w.power_spread_pct, 3.0);
}

// NVML's counter shows, at an update, energy as it was part of a period earlier: a window
// opened at the first update after a switch would take in the layer before.
TEST(PowerWindows, TheSettlePeriodKeepsTheLayerBeforeOutOfALaggingCounter) {
  const auto measure = [](int settle) {
    SimClock clock;
    SimDevice device(clock, 60, 0, 0.1, 0.0, 0.05);
    SimMeter meter(device);
    SimDriver driver(device, clock, {{100, 1}, {300, 1}}, 0.005);
    WindowOptions options;
    options.period_s = 0.1;
    options.settle_periods = settle;
    return measure_windows(meter, driver, {{0, 4, true}, {1, 4, true}}, options, clock)
        .at(1)
        .power_w;
  };
  EXPECT_NEAR(measure(1), 300.0, 300.0 * 0.01);
  const double without = measure(0);
  EXPECT_GT(std::abs(without - 300.0), 300.0 * 0.05) << without << " W without settling";
}

TEST(PowerWindows, GroupsSwitchLayersAtCounterUpdatesPollingOnlyTheEnergyCounter) {
  SimClock clock;
  SimDevice device(clock, 60, 0, 0.1, 0.021);
  SimMeter meter(device);
  SimDriver driver(device, clock, {{120, 1}, {240, 2}, {360, 3}}, 0.005);
  WindowOptions options;
  options.period_s = 0.1;
  const std::vector<WindowSlot> schedule{
      {kIdleMember, 3, true}, {2, 2, true}, {0, 2, true}, {1, 2, true}};
  const auto results = measure_windows(meter, driver, schedule, options, clock);
  ASSERT_EQ(driver.switches.size(), 4u);
  for (size_t k = 1; k < driver.switches.size(); ++k) {
    const double t = driver.switches[k].first;
    EXPECT_NEAR(t, nearest_update(device, t), 0.1 / 50 + 1e-9) << "switch " << k;
    EXPECT_EQ(driver.switches[k].second, schedule[k].member);
  }
  EXPECT_NEAR(results[0].power_w, 60.0, 0.6);  // idle
  EXPECT_NEAR(results[1].power_w, 360.0, 3.6);
  EXPECT_NEAR(results[2].power_w, 120.0, 1.2);
  EXPECT_NEAR(results[3].power_w, 240.0, 2.4);
  for (size_t k = 1; k < results.size(); ++k) {
    EXPECT_EQ(results[k].periods, 2);
    EXPECT_NEAR(results[k].window_s, 0.2, 0.004);
  }
  // NVML answers the energy counter in one call and the device's state in about a dozen:
  // between a window's two ends only the counter is read, or polling would lag the updates.
  EXPECT_EQ(meter.full_reads, 2 * static_cast<int>(schedule.size()));
  EXPECT_GT(meter.energy_reads, 50 * 9);  // 9 periods in windows, polled 50 times a period
}

// The clock-event counters are cumulative: a window records what they grew by between its two
// ends; one that grows faster than time is not such a counter and is left out, not recorded
// wrong. The SM clock range takes the device's samples as well as the two ends.
TEST(PowerWindows, ThrottleTimeAndTheClockRangeComeFromTheWindowsTwoEnds) {
  SimClock clock;
  SimDevice device(clock, 60, 0, 0.1, 0.029);
  SimMeter meter(device);
  meter.clock_event_share = {{"sw_power_cap", 0.25}, {"hw_slowdown", 0.0}, {"broken", 3.0}};
  meter.sm_clock_mhz_drop_per_s = 100;  // 1980 MHz at 0 s, 100 MHz less every second
  SimDriver driver(device, clock, {{300, 1}}, 0.005);
  WindowOptions options;
  options.period_s = 0.1;
  auto results = measure_windows(meter, driver, {{0, 4, true}}, options, clock);
  const SlotMeasurement& w = results.at(0);
  ASSERT_TRUE(w.failure.empty()) << w.failure;
  ASSERT_TRUE(w.start.sm_clock_mhz && w.end.sm_clock_mhz);
  const double between_reads_s = (*w.start.sm_clock_mhz - *w.end.sm_clock_mhz) / 100;
  EXPECT_NEAR(between_reads_s, w.window_s, 0.01);
  ASSERT_EQ(w.throttle_ms.count("sw_power_cap"), 1u);
  EXPECT_NEAR(w.throttle_ms.at("sw_power_cap"), 0.25 * between_reads_s * 1e3, 1e-6);
  ASSERT_EQ(w.throttle_ms.count("hw_slowdown"), 1u);
  EXPECT_EQ(w.throttle_ms.at("hw_slowdown"), 0.0);
  EXPECT_EQ(w.throttle_ms.count("broken"), 0u);
  ASSERT_TRUE(w.sm_clock.has_value());
  EXPECT_DOUBLE_EQ(w.sm_clock->min_mhz, *w.end.sm_clock_mhz);
  EXPECT_DOUBLE_EQ(w.sm_clock->max_mhz, *w.start.sm_clock_mhz);

  meter.sampled_sm_clock = ClockRange{1410, 1995};  // a dip and a boost between the two reads
  results = measure_windows(meter, driver, {{0, 4, true}}, options, clock);
  ASSERT_TRUE(results.at(0).sm_clock.has_value());
  EXPECT_DOUBLE_EQ(results.at(0).sm_clock->min_mhz, 1410);
  EXPECT_DOUBLE_EQ(results.at(0).sm_clock->max_mhz, 1995);
}

TEST(PowerWindows, RuntimeComesFromTheBatchesInsideTheWindow) {
  SimClock clock;
  SimDevice device(clock, 60, 0, 0.1);
  SimMeter meter(device);
  SimDriver driver(device, clock, {{200, 2.0}}, 0.01);
  driver.settle_slowdown = 1.5;  // slower while it settles: none of that may count
  WindowOptions options;
  options.period_s = 0.1;
  const auto w = measure_windows(meter, driver, {{0, 4, true}}, options, clock).at(0);
  ASSERT_GE(w.run_ms.size(), 30u);  // ~40 batches of 10 ms in 0.4 s
  EXPECT_LE(w.run_ms.size(), 41u);
  for (double ms : w.run_ms) EXPECT_DOUBLE_EQ(ms, 2.0);
}

TEST(PowerWindows, AFailingMemberEndsItsSlotAndTheNextIsMeasured) {
  SimClock clock;
  SimDevice device(clock, 60, 0, 0.1);
  SimMeter meter(device);
  SimDriver driver(device, clock, {{200, 1, 0.15}, {300, 1}}, 0.005);
  WindowOptions options;
  options.period_s = 0.1;
  const auto results = measure_windows(meter, driver, {{0, 4, true}, {1, 4, true}}, options, clock);
  EXPECT_EQ(results[0].failure, "error: fake failure");
  EXPECT_TRUE(results[1].failure.empty());
  EXPECT_NEAR(results[1].power_w, 300.0, 3.0);
  EXPECT_LT(clock.now_s(), 1.0);  // the failed slot did not wait out its window
}

// Forwards to a SimDriver and calls `after` once `waits` waits have passed.
class CountingDriver final : public WindowDriver {
 public:
  CountingDriver(SimDriver& inner, int waits, std::function<void()> after)
      : inner_(inner), waits_(waits), after_(std::move(after)) {}
  void select(size_t slot, size_t member) override { inner_.select(slot, member); }
  void measuring(bool on) override { inner_.measuring(on); }
  void wait(double seconds) override {
    inner_.wait(seconds);
    if (--waits_ == 0) after_();
  }
  std::vector<double> samples(size_t slot) override { return inner_.samples(slot); }
  std::string failure(size_t slot) override { return inner_.failure(slot); }

 private:
  SimDriver& inner_;
  int waits_;
  std::function<void()> after_;
};

TEST(PowerWindows, ACounterThatStopsOrGoesBackIsAnError) {
  SimClock clock;
  SimDevice device(clock, 60, 0, 0.1);
  SimMeter meter(device);
  SimDriver driver(device, clock, {{200, 1}}, 0.005);
  WindowOptions options;
  options.period_s = 0.1;
  meter.frozen = true;
  try {
    measure_windows(meter, driver, {{0, 4, true}}, options, clock);
    ADD_FAILURE() << "no error for a frozen counter";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did not change"), std::string::npos) << e.what();
  }
  EXPECT_LT(clock.now_s(), 20 * 0.1 + 1.0 + 0.1);
  meter.frozen = false;
  SimDriver again(device, clock, {{200, 1}}, 0.005);
  CountingDriver backwards(again, 120, [&meter] { meter.offset_mj = -1e6; });
  try {
    measure_windows(meter, backwards, {{0, 10, true}}, options, clock);
    ADD_FAILURE() << "no error for a counter going backwards";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("went backwards"), std::string::npos) << e.what();
  }
}

TEST(PowerWindows, AStopInterrupts) {
  SimClock clock;
  SimDevice device(clock, 60, 0, 0.1);
  SimMeter meter(device);
  SimDriver driver(device, clock, {{200, 1}}, 0.005);
  WindowOptions options;
  options.period_s = 0.1;
  std::atomic<bool> stop{true};
  EXPECT_THROW(measure_windows(meter, driver, {{0, 4, true}}, options, clock, &stop), Interrupted);
}

TEST(GroupSchedule, IdleThenPreheatThenEveryMemberOnceInAShuffledOrder) {
  std::vector<BatchedWorkload> members(7);
  for (auto& m : members) {
    m.run_ms = 0.01;
    m.runs_per_batch = 1000;
  }
  members[3].run_ms = 100;  // batches of 100 ms: five of them need a 5-period window
  members[3].runs_per_batch = 1;
  GroupOptions options;
  options.window_periods = 4;
  options.min_window_s = 0.2;
  options.min_batches = 5;
  const auto schedule = group_schedule(members, options, 0.1, true);
  ASSERT_EQ(schedule.size(), 2 + members.size());
  EXPECT_EQ(schedule[0].member, kIdleMember);
  EXPECT_TRUE(schedule[0].record);
  EXPECT_EQ(schedule[0].periods, 4);
  EXPECT_FALSE(schedule[1].record);  // pre-heat: 2 s of the first member
  EXPECT_EQ(schedule[1].periods, 20);
  EXPECT_EQ(schedule[1].member, schedule[2].member);
  std::set<size_t> seen;
  std::vector<size_t> order;
  for (size_t k = 2; k < schedule.size(); ++k) {
    seen.insert(schedule[k].member);
    order.push_back(schedule[k].member);
    EXPECT_TRUE(schedule[k].record);
    EXPECT_EQ(schedule[k].periods, schedule[k].member == 3 ? 5 : 4);
  }
  EXPECT_EQ(seen.size(), members.size());
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(order, sorted) << "not shuffled";
  EXPECT_EQ(group_schedule(members, options, 0.1, true).at(2).member, order[0]);  // seeded
  // Later groups pre-heat less; a short counter period lengthens the window to min_window_s.
  EXPECT_EQ(group_schedule(members, options, 0.1, false).at(1).periods, 3);
  EXPECT_EQ(group_schedule(members, options, 0.001, false).at(0).periods, 200);
}

SlotMeasurement window_of(double power_w, double run_ms) {
  SlotMeasurement w;
  w.recorded = true;
  w.power_w = power_w;
  w.run_ms = {run_ms, run_ms, run_ms};
  return w;
}

// Ten repeats around 300 W and 1 ms, each N as steady as `power_pct` and `runtime_pct` say.
std::vector<SlotMeasurement> repeats(double power_pct, double runtime_pct) {
  std::vector<SlotMeasurement> windows;
  for (int r = 0; r < 10; ++r) {
    const double sign = r % 2 ? 1 : -1;
    windows.push_back(window_of(300 * (1 + sign * power_pct / 100 * (r % 3 == 0 ? 1 : 0.5)),
                                1.0 * (1 + sign * runtime_pct / 100 * (r % 3 == 0 ? 1 : 0.5))));
  }
  return windows;
}

TEST(SpreadCheck, TheSmallestNWithinBothLimitsWins) {
  SpreadOptions options;
  const std::vector<SpreadRow> rows{spread_row(2, repeats(3.0, 0.5), options),
                                    spread_row(4, repeats(1.5, 0.8), options),
                                    spread_row(10, repeats(0.5, 0.2), options)};
  EXPECT_FALSE(rows[0].ok);
  EXPECT_TRUE(rows[1].ok);
  EXPECT_TRUE(rows[2].ok);
  ASSERT_TRUE(rows[0].power_worst_pct.has_value());
  EXPECT_GT(*rows[0].power_worst_pct, 2.0);
  EXPECT_LE(*rows[1].runtime_worst_pct, 1.0);
  EXPECT_EQ(choose_periods(rows), 4);
  // The runtime limit counts too.
  const std::vector<SpreadRow> slow{spread_row(2, repeats(1.0, 1.6), options),
                                    spread_row(4, repeats(1.0, 0.4), options)};
  EXPECT_EQ(choose_periods(slow), 4);
}

TEST(SpreadCheck, NoneWithinTheLimitsFallsBackToTheSteadiestAndAFailedRepeatFails) {
  SpreadOptions options;
  const std::vector<SpreadRow> rows{spread_row(2, repeats(6.0, 3.0), options),
                                    spread_row(4, repeats(3.0, 1.2), options),
                                    spread_row(10, repeats(4.0, 1.1), options)};
  EXPECT_FALSE(choose_periods(rows).has_value());
  EXPECT_EQ(steadiest_periods(rows, options), 4);
  std::vector<SlotMeasurement> one_failed = repeats(0.1, 0.1);
  one_failed[3].failure = "error: fake";
  EXPECT_FALSE(spread_row(2, one_failed, options).ok);
}

TEST(SpreadCheck, TheCheckLayersAreAResNetConvolutionAndAnAddOfItsTensor) {
  const Network conv = spread_conv_network(32);
  const Network filler = spread_filler_network(32);
  EXPECT_EQ(conv.layer(conv.size() - 1).output_shape, (Shape{32, 64, 56, 56}));
  EXPECT_EQ(filler.layer(filler.size() - 1).kind, LayerKind::add);
  EXPECT_EQ(filler.layer(filler.size() - 1).output_shape, (Shape{32, 64, 56, 56}));
}

// A workload that really takes `ms` per run: batches sleep, so the group runs in real time.
BatchedWorkload sleeping_workload(double ms, bool fails = false, bool loses_device = false) {
  BatchedWorkload w;
  w.timed_runs = [ms](int n) { return ms * n; };
  w.run_batches = [ms, fails, loses_device](int64_t runs, const BatchCallback& on_batch) {
    if (loses_device) throw DeviceLost("fake: illegal address");
    if (fails) throw UnsupportedLayer("fake: no kernel");
    for (;;) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms * runs));
      if (!on_batch(ms * static_cast<double>(runs))) return;
    }
  };
  return calibrate(std::move(w), 2.0);
}

TEST(MeasureGroup, RealTimeGroupWithIdleAndAFailingMember) {
  test::RealTimeMeter meter(50.0, 20.0);
  GroupOptions options;
  options.window_periods = 4;
  options.min_window_s = 0.02;
  options.preheat_first_s = 0.02;
  const std::vector<BatchedWorkload> members{sleeping_workload(0.5), sleeping_workload(1, true),
                                             sleeping_workload(0.25)};
  EXPECT_EQ(members[0].runs_per_batch, 4);
  const GroupMeasurement g = measure_group(meter, members, options, 0.020, true, steady_clock());
  ASSERT_TRUE(g.idle.has_value());
  EXPECT_NEAR(g.idle->power_w, 50.0, 5.0);
  ASSERT_EQ(g.members.size(), 3u);
  for (size_t k : {size_t{0}, size_t{2}}) {
    ASSERT_TRUE(g.members[k].failure.empty()) << g.members[k].failure;
    EXPECT_NEAR(g.members[k].power_w, 50.0, 5.0);
    EXPECT_NEAR(g.members[k].window_s, 0.080, 0.01);
    EXPECT_EQ(g.members[k].periods, 4);
    ASSERT_FALSE(g.members[k].run_ms.empty());
    EXPECT_NEAR(median(g.members[k].run_ms), k == 0 ? 0.5 : 0.25, 1e-9);
    EXPECT_EQ(g.members[k].end.sm_clock_mhz, 1980);
  }
  EXPECT_NE(g.members[1].failure.find("unsupported: fake: no kernel"), std::string::npos)
      << g.members[1].failure;
}

// The quiet measuring thread runs at FIFO priority on one CPU; a worker that kept both would
// starve it where the workload spins (a CUDA event wait), so the worker leaves them.
TEST(MeasureGroup, TheWorkerLeavesTheMeasuringThreadsRealTimeCpu) {
  const QuietThread quiet(QuietOptions{}, 1);
  if (!quiet.realtime() || !quiet.pinned()) GTEST_SKIP() << quiet.description();
  std::atomic<int> policy{-1};
  std::atomic<int> cpus{-1};
  BatchedWorkload w = sleeping_workload(0.5);
  w.run_batches = [inner = w.run_batches, &policy, &cpus](int64_t runs,
                                                          const BatchCallback& on_batch) {
    sched_param param{};
    int p = -1;
    pthread_getschedparam(pthread_self(), &p, &param);
    cpu_set_t set;
    CPU_ZERO(&set);
    pthread_getaffinity_np(pthread_self(), sizeof set, &set);
    policy.store(p);
    cpus.store(CPU_COUNT(&set));
    inner(runs, on_batch);
  };
  test::RealTimeMeter meter(50.0, 20.0);
  GroupOptions options;
  options.min_window_s = 0.02;
  options.preheat_first_s = 0;
  const GroupMeasurement g = measure_group(meter, {w}, options, 0.020, false, steady_clock());
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_TRUE(g.members[0].failure.empty()) << g.members[0].failure;
  EXPECT_EQ(policy.load(), SCHED_OTHER);
  EXPECT_EQ(cpus.load(), static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
}

TEST(MeasureGroup, ALostDeviceStopsTheGroup) {
  test::RealTimeMeter meter(50.0, 10.0);
  GroupOptions options;
  options.min_window_s = 0.02;
  options.preheat_first_s = 0;
  const std::vector<BatchedWorkload> members{sleeping_workload(0.5),
                                             sleeping_workload(0.5, false, true)};
  EXPECT_THROW(measure_group(meter, members, options, 0.010, true, steady_clock()), DeviceLost);
}

}  // namespace
}  // namespace np
