#pragma once
// A fake backend, fake power meters and a simulated clock for the profiler's device-free tests.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/temp_path.hpp"
#include "neuralpower/backend.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/power_meter.hpp"
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
// workload runs. The counter changes only every `period_s`, and shows the energy as it was at
// that update (as NVML's total-energy counter does).
class SimDevice {
 public:
  SimDevice(SimClock& clock, double idle_w, double busy_w, double period_s)
      : clock_(clock), idle_w_(idle_w), busy_w_(busy_w), period_s_(period_s) {
    history_.push_back({clock.now_, 0});
  }
  void idle(double seconds) { advance(seconds, idle_w_); }
  void busy(double seconds) { advance(seconds, busy_w_); }
  // Joules since simulated time 0, at the last counter update before now.
  double counter_mj() const {
    const double update = std::floor(clock_.now_ / period_s_ + 1e-9) * period_s_;
    return 1e3 * energy_at(update);
  }
  double period_s() const { return period_s_; }

 private:
  struct Point {
    double time;
    double joules;
  };
  void advance(double seconds, double watts) {
    clock_.now_ += seconds;
    history_.push_back({clock_.now_, history_.back().joules + watts * seconds});
  }
  double energy_at(double t) const {
    for (size_t i = 1; i < history_.size(); ++i) {
      if (t <= history_[i].time) {
        const Point& a = history_[i - 1];
        const Point& b = history_[i];
        const double f = b.time > a.time ? (t - a.time) / (b.time - a.time) : 1.0;
        return a.joules + f * (b.joules - a.joules);
      }
    }
    return history_.back().joules;
  }
  SimClock& clock_;
  double idle_w_, busy_w_, period_s_;
  std::vector<Point> history_;
};

class SimMeter final : public PowerMeter {
 public:
  explicit SimMeter(const SimDevice& device) : device_(device) {}
  std::string name() const override { return "sim"; }
  bool available() const override { return true; }
  std::string status() const override { return "simulated"; }
  MeterReadings read() override {
    MeterReadings r;
    r.energy_mj = frozen ? frozen_value : device_.counter_mj() + offset_mj;
    r.temperature_c = 50;
    r.throttle_reasons = "none";
    return r;
  }
  double update_period_ms() const override { return device_.period_s() * 1e3; }
  bool frozen = false;
  double frozen_value = 0;
  double offset_mj = 0;

 private:
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
  std::string algorithm() const override { return "fake-gemm"; }
  std::vector<float> output() override { return {}; }

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
