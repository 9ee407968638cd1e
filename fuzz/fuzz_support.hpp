#pragma once
// What every harness shares: the input as text, and the one contract the readers keep on any
// input, that a bad file ends in np::Error and nothing else. Any other exception escapes the
// harness and libFuzzer reports it as a crash, as it does a sanitizer finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "neuralpower/error.hpp"

namespace np::fuzz {

inline std::string text_of(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs `body`, keeping only np::Error (the readers' way of saying "bad input").
template <typename Body>
void expect_only_np_errors(Body&& body) {
  try {
    body();
  } catch (const Error&) {
  }
}

// A property the readers promise on every input they accept; a broken one is a finding.
[[noreturn]] void broken_property(const std::string& what);

}  // namespace np::fuzz
