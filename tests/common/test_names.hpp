#pragma once
// Readable names of parameterised tests: the parameter's own name, with every character a test
// name cannot hold turned into '_' ("vgg-16" -> "vgg_16").
#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace np::test {

inline std::string test_name(std::string text) {
  for (char& ch : text) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return text;
}

// For INSTANTIATE_TEST_SUITE_P: a string parameter is its own name, a struct names itself in
// its `name` member.
struct ParamName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const {
    return test_name(info.param);
  }
  template <typename T>
  std::string operator()(const ::testing::TestParamInfo<T>& info) const {
    return test_name(info.param.name);
  }
};

}  // namespace np::test
