#pragma once
// One exception type for the whole library; the CLI turns it into a one-line message and an
// exit code. Each stage that rethrows prepends its context ("loading 'x.onnx': node 'c1' ...").
#include <stdexcept>
#include <string>

namespace np {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Rethrows the exception currently being handled with `context` in front of its message.
[[noreturn]] void rethrow_with_context(const std::string& context);

}  // namespace np
