#pragma once
#include <gtest/gtest.h>

#include <string>

#include "neuralpower/error.hpp"
#include "neuralpower/onnx_import.hpp"

namespace np::test {

inline std::string fixture_path(const std::string& name) {
  return std::string(NP_SOURCE_DIR) + "/tests/onnx/fixtures/" + name;
}

// The message of the np::Error `call` throws; a test failure when it throws none (any other
// exception type escapes and fails the test too).
template <typename Call>
std::string error_of(Call&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an np::Error";
  return "";
}

inline bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline Network import_bytes(const std::string& bytes, ImportOptions options = {}) {
  return import_onnx_bytes(bytes, "test.onnx", options);
}

}  // namespace np::test
