// A model file is made of numbers the predictions multiply: each is checked when the file is
// read (finite, in range, exponents inside the model's degree), so that a hand-edited or
// truncated file fails with the key that is wrong instead of predicting garbage.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "neuralpower/error.hpp"
#include "neuralpower/model_file.hpp"
#include "neuralpower/text_file.hpp"

namespace np {
namespace {

const std::string kModel = std::string(NP_SOURCE_DIR) + "/tests/bad_input/files/model.json";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

// The first number of `key` set to `value`.
std::string with_value(const std::string& text, const std::string& key, const std::string& value) {
  return std::regex_replace(text, std::regex("\"" + key + "\": -?[0-9.eE+-]+"),
                            "\"" + key + "\": " + value, std::regex_constants::format_first_only);
}

std::string error_of(const std::string& text) {
  try {
    parse_model_file(text, "m.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelValues, TheShippedKindOfFileReadsAndWritesBack) {
  const std::string text = read_text_file(kModel);
  EXPECT_EQ(error_of(text), "");
  EXPECT_EQ(error_of(write_model_file(parse_model_file(text, "m.json"))), "");
}

TEST(ModelValues, NumbersThatCannotBeAModelAreRefusedNamingTheKey) {
  const std::string text = read_text_file(kModel);
  EXPECT_NE(error_of(with_value(text, "degree", "12")).find("degree' must be from 0 to 8, got 12"),
            std::string::npos);
  EXPECT_NE(
      error_of(replaced(text, "\"exponents\": [\n", "\"exponents\": [\n7,")).find("has 21 entries"),
      std::string::npos);
  EXPECT_NE(error_of(with_value(text, "cv_rmse", "-2")).find("cv_rmse' must be at least 0, got -2"),
            std::string::npos);
  EXPECT_NE(
      error_of(with_value(text, "lambda", "-0.5")).find("lambda' must be at least 0, got -0.5"),
      std::string::npos);
  // JSON has no inf; a number too large for a double is refused as it is parsed, naming it.
  EXPECT_NE(error_of(with_value(text, "intercept", "1e999"))
                .find("invalid JSON: number overflow parsing '1e999'"),
            std::string::npos);
  EXPECT_NE(error_of(with_value(text, "rows", "-3")).find("rows' must be from 0"),
            std::string::npos);
}

TEST(ModelValues, ATargetWhoseFeaturesAreNotTheKindsIsRefused) {
  // Found by fuzz/model_file_fuzzer: accepted, it was written with ranges it could not read.
  const std::string text = read_text_file(kModel);
  const std::string renamed =
      replaced(text, "\"model_size\": 3,\n    \"features\": [\n     \"batch\"",
               "\"model_size\": 3,\n    \"features\": [\n     \"@batch\"");
  EXPECT_NE(error_of(renamed).find("must start with the kind's features; entry 1 is '@batch', "
                                   "expected 'batch'"),
            std::string::npos)
      << error_of(renamed);
}

TEST(ModelValues, AnIntegerKeyHoldingAFractionOrAHugeNumberIsRefused) {
  // Found by fuzz/model_file_fuzzer: a model_size of 1.8e20 was converted to an unsigned integer
  // with undefined behaviour (UBSan: outside the range of representable values).
  const std::string text = read_text_file(kModel);
  const std::string key = "\"model_size\": ";
  const size_t at = text.find(key, text.find("\"cv_by_degree\""));
  ASSERT_NE(at, std::string::npos);
  const size_t end = text.find_first_not_of("0123456789", at + key.size());
  for (const auto& [value, message] : std::vector<std::pair<std::string, std::string>>{
           {"1.8446744073709552e+20", "must be an integer, got 1.84467"},
           {"2.5", "must be an integer, got 2.5"},
           {"-3", "is out of range: -3"}}) {
    std::string bad = text;
    bad.replace(at + key.size(), end - at - key.size(), value);
    EXPECT_NE(error_of(bad).find(message), std::string::npos) << value << ": " << error_of(bad);
    EXPECT_NE(error_of(bad).find("model_size"), std::string::npos) << error_of(bad);
  }
}

TEST(ModelValues, AnExponentOutsideTheDegreeIsRefused) {
  // The compiled model indexes a table of powers by exponent: a negative one would read
  // outside it.
  std::string text = read_text_file(kModel);
  const std::string terms = "\"exponents\": [\n";
  const size_t at = text.find(terms);
  ASSERT_NE(at, std::string::npos);
  const size_t first = text.find_first_of("0123456789", at + terms.size());
  text.replace(first, 1, "-1");
  EXPECT_NE(error_of(text).find("has the exponent -1, outside 0.."), std::string::npos)
      << error_of(text);
}

}  // namespace
}  // namespace np
