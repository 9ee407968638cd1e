#pragma once
// Device clocks locked for the length of a run when asked, and unlocked however the run ends.
#include <string>

#include "neuralpower/power_meter.hpp"

namespace np {

class ClockLock {
 public:
  // Tries to lock when `wanted`; message() says how it went (empty when not wanted).
  ClockLock(PowerMeter& meter, bool wanted);
  ~ClockLock();
  ClockLock(const ClockLock&) = delete;
  ClockLock& operator=(const ClockLock&) = delete;

  bool locked() const { return locked_; }
  // "clocks locked", "clocks not locked: <why>", or empty when locking was not asked for.
  const std::string& message() const { return message_; }

 private:
  PowerMeter& meter_;
  bool locked_ = false;
  std::string message_;
};

}  // namespace np
