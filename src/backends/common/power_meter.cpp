#include "neuralpower/power_meter.hpp"

namespace np {
namespace {

class NullPowerMeter final : public PowerMeter {
 public:
  explicit NullPowerMeter(std::string reason) : reason_(std::move(reason)) {}
  std::string name() const override { return "none"; }
  bool available() const override { return false; }
  std::string status() const override { return reason_; }
  MeterReadings read() override { return {}; }
  double update_period_ms() const override { return 0; }

 private:
  std::string reason_;
};

}  // namespace

std::unique_ptr<PowerMeter> make_null_power_meter(const std::string& reason) {
  return std::make_unique<NullPowerMeter>(reason);
}

MeterStatus meter_status(const PowerMeter& meter) {
  return {meter.name(), meter.available(), meter.status(), meter.update_period_ms()};
}

}  // namespace np
