#pragma once
// A fake backend, fake power meters and a simulated clock for the profiler's device-free tests.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/temp_path.hpp"
#include "neuralpower/backend.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/power_meter.hpp"
#include "neuralpower/power_window.hpp"
#include "neuralpower/profile_layers.hpp"
#include "neuralpower/profile_nets.hpp"

namespace np::test {

// Simulated time: sleeping advances it, nothing else does.
class SimClock final : public Clock {
 public:
  double now_s() override { return now_; }
  void sleep_s(double seconds) override { now_ += seconds; }
  double now_ = 0;
};

// A device whose energy counter follows simulated time: `idle_w` always, `busy_w` while the
// workload runs (or any power given to advance()). The counter changes only at its updates,
// every `period_s` from `phase_s` on, and shows the energy as it was `lag_s` before that update
// (NVML's total-energy counter lags its updates by part of a period).
class SimDevice {
 public:
  SimDevice(SimClock& clock, double idle_w, double busy_w, double period_s, double phase_s = 0,
            double lag_s = 0)
      : clock_(clock),
        idle_w_(idle_w),
        busy_w_(busy_w),
        period_s_(period_s),
        phase_s_(phase_s),
        lag_s_(lag_s) {
    history_.push_back({clock.now_, 0});
  }
  void idle(double seconds) { advance(seconds, idle_w_); }
  void busy(double seconds) { advance(seconds, busy_w_); }
  void advance(double seconds, double watts) {
    clock_.now_ += seconds;
    history_.push_back({clock_.now_, history_.back().joules + watts * seconds});
  }
  // The last counter update at or before now.
  double last_update() const {
    return phase_s_ + std::floor((clock_.now_ - phase_s_) / period_s_ + 1e-9) * period_s_;
  }
  // Joules since simulated time 0, as the counter shows them now.
  double counter_mj() const { return 1e3 * energy_at(last_update() - lag_s_); }
  double period_s() const { return period_s_; }
  double phase_s() const { return phase_s_; }
  double now_s() const { return clock_.now_; }
  double idle_w() const { return idle_w_; }

 private:
  struct Point {
    double time;
    double joules;
  };
  double energy_at(double t) const {
    if (t <= history_.front().time) return history_.front().joules;
    const auto after = std::lower_bound(history_.begin(), history_.end(), t,
                                        [](const Point& p, double time) { return p.time < time; });
    if (after == history_.end()) return history_.back().joules;
    const Point& b = *after;
    const Point& a = *(after - 1);
    const double f = b.time > a.time ? (t - a.time) / (b.time - a.time) : 1.0;
    return a.joules + f * (b.joules - a.joules);
  }
  SimClock& clock_;
  double idle_w_, busy_w_, period_s_, phase_s_, lag_s_;
  std::vector<Point> history_;
};

// A clock whose sleeps pass on a SimDevice drawing `watts` (its idle power by default).
class DeviceClock final : public Clock {
 public:
  DeviceClock(SimClock& clock, SimDevice& device) : clock_(clock), device_(device) {}
  double now_s() override { return clock_.now_s(); }
  void sleep_s(double seconds) override {
    device_.advance(seconds, watts >= 0 ? watts : device_.idle_w());
  }
  double watts = -1;

 private:
  SimClock& clock_;
  SimDevice& device_;
};

// The window logic's device in simulated time: member m draws watts and completes a batch
// every batch_s whose per-run time is run_ms (times `settle_slowdown` in the first period
// after a switch, as a device that is still warming up); waiting advances the SimDevice.
// Every switch is logged with its time.
class SimDriver final : public WindowDriver {
 public:
  struct Member {
    double watts = 100;
    double run_ms = 1;
    double fail_after_s = -1;  // >= 0: fails this long after it is selected
  };
  SimDriver(SimDevice& device, SimClock& clock, std::vector<Member> members, double batch_s)
      : device_(device), clock_(clock), members_(std::move(members)), batch_s_(batch_s) {}

  void select(size_t slot, size_t member) override {
    slot_ = slot;
    member_ = member;
    selected_at_ = clock_.now_s();
    since_batch_ = 0;
    switches.push_back({clock_.now_s(), member});
  }
  void measuring(bool on) override {
    measuring_ = on;
    (on ? opened : closed).push_back(clock_.now_s());
  }
  void wait(double seconds) override {
    const bool idle = member_ == kIdleMember || failed_.count(member_);
    device_.advance(seconds, idle ? device_.idle_w() : members_[member_].watts);
    if (idle) return;
    const Member& m = members_[member_];
    since_batch_ += seconds;
    while (since_batch_ >= batch_s_) {
      since_batch_ -= batch_s_;
      const bool settling = clock_.now_s() - selected_at_ < device_.period_s();
      if (measuring_) samples_[slot_].push_back(m.run_ms * (settling ? settle_slowdown : 1.0));
    }
    if (m.fail_after_s >= 0 && clock_.now_s() - selected_at_ >= m.fail_after_s) {
      failed_.insert(member_);
    }
  }
  std::vector<double> samples(size_t slot) override { return samples_[slot]; }
  std::string failure(size_t slot) override {
    return slot == slot_ && failed_.count(member_) ? "error: fake failure" : "";
  }

  double settle_slowdown = 1.0;
  std::vector<std::pair<double, size_t>> switches;  // (time, member)
  std::vector<double> opened, closed;

 private:
  SimDevice& device_;
  SimClock& clock_;
  std::vector<Member> members_;
  double batch_s_;
  size_t slot_ = 0;
  size_t member_ = kIdleMember;
  double selected_at_ = 0;
  double since_batch_ = 0;
  bool measuring_ = false;
  std::map<size_t, std::vector<double>> samples_;
  std::set<size_t> failed_;
};

class SimMeter final : public PowerMeter {
 public:
  explicit SimMeter(const SimDevice& device) : device_(device) {}
  std::string name() const override { return "sim"; }
  bool available() const override { return true; }
  std::string status() const override { return "simulated"; }
  MeterReadings read() override {
    ++full_reads;
    MeterReadings r;
    r.energy_mj = energy();
    r.temperature_c = 50;
    r.throttle_reasons = "none";
    r.sm_clock_mhz = sm_clock_mhz_at_s0 - sm_clock_mhz_drop_per_s * device_.now_s();
    for (const auto& [reason, share] : clock_event_share) {
      r.clock_event_ns[reason] = share * device_.now_s() * 1e9;
    }
    return r;
  }
  std::optional<double> read_energy_mj() override {
    ++energy_reads;
    return energy();
  }
  std::optional<ClockRange> take_sm_clock_range() override { return sampled_sm_clock; }
  double update_period_ms() const override {
    return nominal_period_ms > 0 ? nominal_period_ms : device_.period_s() * 1e3;
  }
  int full_reads = 0;    // read(): the counter and the device's state
  int energy_reads = 0;  // read_energy_mj(): the counter alone
  double sm_clock_mhz_at_s0 = 1980;
  double sm_clock_mhz_drop_per_s = 0;
  std::optional<ClockRange> sampled_sm_clock;  // what the device's own clock samples say
  // Cumulative clock-event counters that grow by this share of the elapsed time per reason
  // (a share above 1 is no such counter: it grows faster than time).
  std::map<std::string, double> clock_event_share;
  bool frozen = false;
  double nominal_period_ms = 0;  // > 0: what the meter claims, not what the counter does
  double frozen_value = 0;
  double offset_mj = 0;

 private:
  double energy() const { return frozen ? frozen_value : device_.counter_mj() + offset_mj; }
  const SimDevice& device_;
};

// A meter whose counter advances in real time at a constant power, updated every period.
class RealTimeMeter final : public PowerMeter {
 public:
  RealTimeMeter(double watts, double period_ms) : watts_(watts), period_ms_(period_ms) {}
  std::string name() const override { return "realtime-fake"; }
  bool available() const override { return true; }
  std::string status() const override { return "fake, " + std::to_string(watts_) + " W"; }
  MeterReadings read() override {
    const double elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
            .count();
    MeterReadings r;
    r.energy_mj = 1000.0 + watts_ * std::floor(elapsed_ms / period_ms_) * period_ms_;  // W x ms
    r.sm_clock_mhz = 1980;
    r.temperature_c = 41;
    r.power_limit_w = 700;
    r.throttle_reasons = "none";
    return r;
  }
  double update_period_ms() const override { return period_ms_; }

 private:
  double watts_;
  double period_ms_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// A layer that takes `ms_per_run` per run: timed_runs reports it without waiting (tests stay
// fast), run_for really waits (power windows run in real time) unless a SimDevice is given.
// `slowdown`, when given, multiplies every time: the machine's state (a drift of the reference
// layers, a slow spell).
class FakeLayer final : public PreparedLayer {
 public:
  FakeLayer(double ms_per_run, std::function<void()> on_run, SimDevice* sim,
            const double* slowdown = nullptr)
      : ms_(ms_per_run), on_run_(std::move(on_run)), sim_(sim), slowdown_(slowdown) {}
  double timed_runs(int iterations) override {
    if (on_run_) on_run_();
    const double ms = ms_ * (slowdown_ ? *slowdown_ : 1.0);
    if (sim_) sim_->busy(ms * iterations / 1e3);
    return ms * iterations;
  }
  int64_t run_for(double seconds) override {
    const auto n = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds * 1e3 / ms_)));
    if (sim_) {
      sim_->busy(static_cast<double>(n) * ms_ / 1e3);
    } else {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(n * ms_));
    }
    return n;
  }
  // Batches really take their time (or pass on the SimDevice), as on a device.
  void run_batches(int64_t runs, const BatchCallback& on_batch) override {
    for (;;) {
      if (on_run_) on_run_();
      const double ms = ms_ * static_cast<double>(runs);
      if (sim_) {
        sim_->busy(ms / 1e3);
      } else {
        std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms));
      }
      if (!on_batch(ms)) return;
    }
  }
  std::string algorithm() const override { return "fake-gemm"; }
  std::vector<float> output() override { return {}; }
  LayerRunInfo run_info() const override { return {"fake-fma", 3}; }

 private:
  double ms_;
  std::function<void()> on_run_;
  SimDevice* sim_;
  const double* slowdown_;
};

// A trial monitor that asks `disturbed` after each trial (empty: the trial was fine).
class FakeMonitor final : public TrialMonitor {
 public:
  explicit FakeMonitor(std::function<std::string()> disturbed) : disturbed_(std::move(disturbed)) {}
  void begin() override { ++begun; }
  std::string end() override { return disturbed_ ? disturbed_() : std::string(); }
  int begun = 0;

 private:
  std::function<std::string()> disturbed_;
};

// Runtime from the layer's FLOPs and bytes on a made-up roofline device, so that rows differ.
inline double fake_runtime_ms(const Network& net, int id) {
  const LayerCost c = layer_cost(net, id);
  return 0.01 + static_cast<double>(c.flops) / 1e9 + static_cast<double>(c.bytes()) / 1e8;
}

class FakeNetwork final : public PreparedNetwork {
 public:
  explicit FakeNetwork(std::vector<double> layer_ms, const double* slowdown = nullptr)
      : layer_ms_(std::move(layer_ms)), slowdown_(slowdown) {
    for (double ms : layer_ms_) total_ += ms;
  }
  double timed_runs(int iterations) override { return total_ * iterations * 1.02 * factor(); }
  int64_t run_for(double seconds) override {
    const auto n = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds * 1e3 / total_)));
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(n * total_));
    return n;
  }
  std::vector<double> timed_layers(int) override {
    std::vector<double> ms = layer_ms_;
    for (double& t : ms) t *= factor();
    return ms;
  }

 private:
  double factor() const { return slowdown_ ? *slowdown_ : 1.0; }
  std::vector<double> layer_ms_;
  const double* slowdown_;
  double total_ = 0;
};

class FakeBackend final : public Backend {
 public:
  DeviceInfo device() const override {
    return {"fake", "Fake accelerator", "driver 1", "runtime 2", "library 3", ""};
  }
  std::unique_ptr<PreparedLayer> prepare(const Network& net, int layer_id,
                                         const RunSettings&) override {
    ++prepared;
    if (on_prepare) on_prepare();
    const Layer& layer = net.layer(layer_id);
    if (unsupported.count(layer.kind)) {
      throw UnsupportedLayer("the fake backend does not run " + std::string(to_string(layer.kind)));
    }
    if (element_count(layer.output_shape) > max_output_elements) {
      throw DeviceOutOfMemory("output of " + shape_to_string(layer.output_shape));
    }
    const double ms = runtime ? runtime(net, layer_id) : fake_runtime_ms(net, layer_id);
    return std::make_unique<FakeLayer>(ms, on_run, sim, &slowdown);
  }
  std::unique_ptr<TrialMonitor> trial_monitor(const RunSettings&) const override {
    if (!disturbed) return nullptr;
    return std::make_unique<FakeMonitor>(disturbed);
  }
  std::unique_ptr<PreparedNetwork> prepare_network(const Network& net,
                                                   const RunSettings&) override {
    ++prepared_networks;
    if (on_prepare_network) on_prepare_network();
    std::vector<double> ms(static_cast<size_t>(net.size()), 0.0);
    for (int id = 0; id < net.size(); ++id) {
      const LayerKind kind = net.layer(id).kind;
      if (kind != LayerKind::input && !is_zero_cost(kind))
        ms[static_cast<size_t>(id)] = fake_runtime_ms(net, id);
    }
    return std::make_unique<FakeNetwork>(ms, &slowdown);
  }

  std::set<LayerKind> unsupported;
  int64_t max_output_elements = int64_t{1} << 40;
  std::function<void()> on_prepare;
  std::function<void()> on_run;
  SimDevice* sim = nullptr;
  int prepared = 0;
  std::function<void()> on_prepare_network;
  int prepared_networks = 0;
  double slowdown = 1.0;                               // multiplies every layer time from now on
  std::function<double(const Network&, int)> runtime;  // null: fake_runtime_ms
  std::function<std::string()> disturbed;  // the trial monitor's verdict; null: no monitor
};

}  // namespace np::test
