#include "neuralpower/error.hpp"

#include <new>

namespace np {

void rethrow_with_context(const std::string& context) {
  try {
    throw;
  } catch (const Interrupted&) {
    throw;
  } catch (const UnsupportedLayer& e) {
    throw UnsupportedLayer(context + ": " + e.what());
  } catch (const DeviceOutOfMemory& e) {
    throw DeviceOutOfMemory(context + ": " + e.what());
  } catch (const DeviceLost& e) {
    throw DeviceLost(context + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(context + ": out of memory");
  } catch (const std::exception& e) {
    throw Error(context + ": " + e.what());
  }
}

std::string failure_reason(const std::exception& e) {
  if (dynamic_cast<const UnsupportedLayer*>(&e)) {
    return one_line(std::string("unsupported: ") + e.what());
  }
  if (dynamic_cast<const DeviceOutOfMemory*>(&e)) {
    return one_line(std::string("out of device memory: ") + e.what());
  }
  if (dynamic_cast<const DeviceLost*>(&e)) {
    return one_line(std::string("device lost: ") + e.what());
  }
  if (dynamic_cast<const std::bad_alloc*>(&e)) return "out of host memory";
  return one_line(std::string("error: ") + e.what());
}

std::string one_line(std::string text) {
  for (char& ch : text) {
    if (ch == '\n' || ch == '\r') ch = ' ';
  }
  return text;
}

}  // namespace np
