#include "neuralpower/clock_lock.hpp"

namespace np {

ClockLock::ClockLock(PowerMeter& meter, bool wanted) : meter_(meter) {
  if (!wanted) return;
  std::string why;
  locked_ = meter.lock_clocks(why);
  message_ = std::string(locked_ ? "clocks locked" : "clocks not locked") +
             (why.empty() ? std::string() : ": " + why);
}

ClockLock::~ClockLock() {
  if (locked_) meter_.unlock_clocks();
}

}  // namespace np
