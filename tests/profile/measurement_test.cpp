// Runtime statistics and the aligned power window, against fake meters.
#include <gtest/gtest.h>

#include <cmath>

#include "fakes.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/profile_layers.hpp"
#include "neuralpower/profile_nets.hpp"

namespace np {
namespace {

using test::RealTimeMeter;
using test::SimClock;
using test::SimDevice;
using test::SimMeter;

TEST(Statistics, MedianAndInterquartileSpread) {
  EXPECT_DOUBLE_EQ(median({5, 1, 4, 2, 3}), 3);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({1, 2, 3, 4, 1000}), 3);  // an outlier does not move it
  // Quartiles 2 and 4 around a median of 3.
  EXPECT_NEAR(spread_pct({1, 2, 3, 4, 5}), 100.0 * 2 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(spread_pct({7, 7, 7, 7}), 0);
  EXPECT_DOUBLE_EQ(spread_pct({7}), 0);
  EXPECT_THROW(median({}), Error);
}

TEST(MeasureRuntime, IterationsMakeATrialLastTenMilliseconds) {
  int calls = 0;
  std::vector<int> iterations_seen;
  Workload w{[&](int n) {
               ++calls;
               iterations_seen.push_back(n);
               return 0.5 * n;
             },
             [](double) { return int64_t{1}; }};
  MeasureOptions o;
  o.trials = 7;
  o.warmup = 3;
  const RuntimeStats s = measure_runtime(w, o);
  EXPECT_DOUBLE_EQ(s.median_ms, 0.5);
  EXPECT_DOUBLE_EQ(s.spread_pct, 0);
  EXPECT_EQ(s.iterations_per_trial, 20);
  EXPECT_EQ(s.trials, 7);
  // 3 warm-up runs of 1, one check of 20, 7 trials of 20.
  EXPECT_EQ(calls, 3 + 1 + 7);
  EXPECT_EQ(iterations_seen.back(), 20);
}

TEST(MeasureRuntime, SlowRunsGetOneIterationAndWarmupStopsEarly) {
  int calls = 0;
  Workload w{[&](int n) {
               ++calls;
               return 1500.0 * n;
             },
             [](double) { return int64_t{1}; }};
  MeasureOptions o;
  o.trials = 3;
  o.warmup = 5;  // stops after 2 runs: 3 s > max_warmup_s
  const RuntimeStats s = measure_runtime(w, o);
  EXPECT_EQ(s.iterations_per_trial, 1);
  EXPECT_DOUBLE_EQ(s.median_ms, 1500);
  EXPECT_EQ(calls, 2 + 3);
}

TEST(MeasureRuntime, UnsteadyTrialsAreTakenAgainAndTheSteadierSetKept) {
  int call = 0;
  // Warm-up and check, then a noisy first set of trials, then a steady one.
  Workload w{[&](int n) {
               ++call;
               const bool noisy = call > 2 && call <= 2 + 8;
               return n * (noisy ? 1.0 + (call % 2) : 1.0);
             },
             [](double) { return int64_t{1}; }};
  MeasureOptions o;
  o.trials = 8;
  o.warmup = 1;
  o.min_trial_ms = 2;
  const RuntimeStats s = measure_runtime(w, o);
  EXPECT_DOUBLE_EQ(s.spread_pct, 0);
  EXPECT_DOUBLE_EQ(s.median_ms, 1.0);
  EXPECT_EQ(call, 2 + 8 + 8);
}

TEST(MeasureRuntime, BadTimesAndStopsAreReported) {
  Workload nan{[](int) { return std::nan(""); }, [](double) { return int64_t{1}; }};
  EXPECT_THROW(measure_runtime(nan, MeasureOptions{}), Error);
  std::atomic<bool> stop{true};
  Workload ok{[](int n) { return 1.0 * n; }, [](double) { return int64_t{1}; }};
  EXPECT_THROW(measure_runtime(ok, MeasureOptions{}, &stop), Interrupted);
}

// An NVML-like counter (100 ms updates) in simulated time: the device idles at 20 W and draws
// 120 W while running. The window must contain only running time: a window that started at an
// arbitrary read rather than at a counter update would mix in idle energy dated wrongly.
TEST(PowerWindow, AlignedToCounterUpdatesInSimulatedTime) {
  SimClock clock;
  SimDevice device(clock, 20, 120, 0.1);
  SimMeter meter(device);
  device.idle(0.35);  // reads start in the middle of a counter period, after idling
  int64_t runs = 0;
  const PowerWindow w = measure_energy_window(
      meter,
      [&](double seconds) {
        device.busy(seconds);
        runs += 1;
        return int64_t{1};
      },
      1.0, clock);
  EXPECT_NEAR(w.power_w, 120.0, 120.0 * 0.01);
  EXPECT_GE(w.window_s, 1.0 - 0.01);
  EXPECT_LT(w.window_s, 1.2);
  // Its ends are counter updates: whole periods, up to the half step of the dating.
  EXPECT_NEAR(w.window_s / 0.1, std::round(w.window_s / 0.1), 0.06);
  EXPECT_NEAR(w.energy_mj, w.power_w * w.window_s * 1e3, 1e-6);
  ASSERT_TRUE(w.spread_pct.has_value());
  EXPECT_LT(*w.spread_pct, 5.0);
  EXPECT_GT(w.iterations, 0);
  EXPECT_LT(w.iterations, runs);  // the runs before the window opened are not counted
  EXPECT_EQ(w.last.throttle_reasons, "none");
}

TEST(PowerWindow, IdlePowerInSimulatedTime) {
  SimClock clock;
  SimDevice device(clock, 20, 120, 0.1);
  SimMeter meter(device);
  device.busy(0.23);  // a busy tail before idling must not count
  // Sleeping advances simulated time; the device idles meanwhile.
  class IdleClock final : public Clock {
   public:
    IdleClock(SimClock& c, SimDevice& d) : clock_(c), device_(d) {}
    double now_s() override { return clock_.now_s(); }
    void sleep_s(double s) override { device_.idle(s); }

   private:
    SimClock& clock_;
    SimDevice& device_;
  } idle_clock(clock, device);
  const PowerWindow w = measure_idle_power(meter, 0.5, idle_clock);
  EXPECT_NEAR(w.power_w, 20.0, 20.0 * 0.02);
  EXPECT_EQ(w.iterations, 0);
}

TEST(PowerWindow, LongRunsLengthenTheWindow) {
  // One step cannot be shorter than one run (here 60 ms); the window's ends are known to a
  // step, so the window grows to 40 steps to keep that error small.
  SimClock clock;
  SimDevice device(clock, 20, 120, 0.1);
  SimMeter meter(device);
  const PowerWindow w = measure_energy_window(
      meter,
      [&](double) {
        device.busy(0.06);
        return int64_t{1};
      },
      0.5, clock);
  EXPECT_GE(w.window_s, 40 * 0.06 - 0.06);
  EXPECT_NEAR(w.power_w, 120.0, 120.0 * 0.05);
}

TEST(PowerWindow, ACounterThatNeverMovesIsAnError) {
  SimClock clock;
  SimDevice device(clock, 20, 120, 0.1);
  SimMeter meter(device);
  meter.frozen = true;
  meter.frozen_value = 5;
  try {
    measure_energy_window(
        meter,
        [&](double s) {
          device.busy(s);
          return int64_t{1};
        },
        1.0, clock);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did not change"), std::string::npos) << e.what();
  }
  EXPECT_LT(clock.now_s(), 10.0);  // gave up after 20 periods + 1 s
}

TEST(PowerWindow, ACounterGoingBackwardsIsAnError) {
  SimClock clock;
  SimDevice device(clock, 20, 120, 0.1);
  SimMeter meter(device);
  int steps = 0;
  EXPECT_THROW(measure_energy_window(
                   meter,
                   [&](double s) {
                     device.busy(s);
                     if (++steps == 50) meter.offset_mj = -1e6;
                     return int64_t{1};
                   },
                   1.0, clock),
               Error);
}

TEST(PowerWindow, StopFlagInterrupts) {
  SimClock clock;
  SimDevice device(clock, 20, 120, 0.1);
  SimMeter meter(device);
  std::atomic<bool> stop{false};
  int steps = 0;
  EXPECT_THROW(measure_energy_window(
                   meter,
                   [&](double s) {
                     device.busy(s);
                     if (++steps == 30) stop = true;
                     return int64_t{1};
                   },
                   1.0, clock, &stop),
               Interrupted);
}

TEST(PowerWindow, MeterWithoutEnergyIsAnError) {
  auto none = make_null_power_meter("nothing to read here");
  SimClock clock;
  try {
    measure_energy_window(
        *none, [](double) { return int64_t{0}; }, 1.0, clock);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nothing to read here"), std::string::npos);
  }
}

// The real-time path: a counter advancing at 50 W, updated every 20 ms; the workload runs on
// the background thread (sleeping for its runs) while the window watches the counter.
TEST(PowerWindow, RealTimeCounterAtFiftyWatts) {
  RealTimeMeter meter(50.0, 20.0);
  std::atomic<int64_t> runs{0};
  Workload w{[](int n) { return 1.0 * n; },
             [&](double seconds) {
               const auto n = std::max<int64_t>(1, static_cast<int64_t>(seconds / 0.002));
               std::this_thread::sleep_for(std::chrono::milliseconds(2 * n));
               runs += n;
               return n;
             }};
  const PowerWindow p = measure_power_window(meter, w, 0.5, steady_clock());
  EXPECT_NEAR(p.power_w, 50.0, 50.0 * 0.05);
  EXPECT_GE(p.window_s, 0.5 - 0.01);
  EXPECT_LT(p.window_s, 5.0);  // bounded; the margin is for a loaded machine's late wake-ups
  EXPECT_GT(p.iterations, 0);
  EXPECT_LE(p.iterations, runs.load());
  ASSERT_TRUE(p.last.sm_clock_mhz.has_value());
  EXPECT_EQ(*p.last.sm_clock_mhz, 1980);

  const PowerWindow idle = measure_idle_power(meter, 0.3, steady_clock());
  EXPECT_NEAR(idle.power_w, 50.0, 50.0 * 0.05);
}

TEST(PowerWindow, AWorkloadFailureInTheBackgroundReachesTheCaller) {
  RealTimeMeter meter(50.0, 20.0);
  Workload w{[](int n) { return 1.0 * n; },
             [](double) -> int64_t { throw DeviceOutOfMemory("fake: no memory left"); }};
  EXPECT_THROW(measure_power_window(meter, w, 0.2, steady_clock()), DeviceOutOfMemory);
}

}  // namespace
}  // namespace np
