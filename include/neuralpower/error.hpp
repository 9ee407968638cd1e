#pragma once
// One exception type for the whole library; the CLI turns it into a one-line message and an
// exit code. Each stage that rethrows prepends its context ("loading 'x.onnx': node 'c1' ...")
// and keeps the kind of failure: a layer a backend cannot run, a device out of memory, a stop.
#include <exception>
#include <stdexcept>
#include <string>

namespace np {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// The layer cannot run on this backend (kind, attribute or data type not supported).
class UnsupportedLayer : public Error {
 public:
  using Error::Error;
};

// The layer does not fit in the device's memory.
class DeviceOutOfMemory : public Error {
 public:
  using Error::Error;
};

// The device cannot be used any more in this process (a sticky CUDA error: an illegal address,
// a launch failure): every later call fails too, so a run stops instead of writing a failed
// row for each configuration left.
class DeviceLost : public Error {
 public:
  using Error::Error;
};

// Thrown out of a measurement when the stop flag is raised (SIGINT, SIGTERM): the current
// configuration is abandoned and nothing is written for it. Not an np::Error on purpose: a
// stop is not a failure of the configuration.
class Interrupted : public std::exception {
 public:
  const char* what() const noexcept override { return "interrupted"; }
};

// Rethrows the exception currently being handled with `context` in front of its message,
// keeping its kind: UnsupportedLayer, DeviceOutOfMemory and DeviceLost stay what they are,
// Interrupted passes unchanged, std::bad_alloc becomes "out of memory", anything else an np::Error.
[[noreturn]] void rethrow_with_context(const std::string& context);

// Why a measurement failed, in one line, naming the kind of failure: "unsupported: ...",
// "out of device memory: ...", "device lost: ...", "out of host memory" or "error: ...".
std::string failure_reason(const std::exception& e);

// The text with its line breaks turned into spaces: a reason goes into one CSV cell.
std::string one_line(std::string text);

}  // namespace np
