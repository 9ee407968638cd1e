// Whatever the bytes, the readers either return a network or throw np::Error: no crash, no
// other exception (the suite also runs under ASan and UBSan).
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "neuralpower/error.hpp"
#include "neuralpower/network_json.hpp"
#include "neuralpower/paleo_import.hpp"

namespace np {
namespace {

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(NP_SOURCE_DIR) + "/tests/netjson/fixtures/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const char* const kOurFile =
    R"({"format": "neuralpower-network", "version": 1, "name": "m", "batch": 2,
  "layers": [
    {"name": "x", "kind": "input", "shape": [3, 16, 16]},
    {"name": "c", "kind": "conv", "out_channels": 4, "kernel": [3, 3], "pad": [1, 1, 1, 1], "groups": 1},
    {"name": "p", "kind": "pool", "mode": "avg", "kernel": 2, "stride": 2, "ceil_mode": true},
    {"name": "a", "kind": "act", "function": "leaky_relu", "alpha": 0.1},
    {"name": "s", "kind": "add", "inputs": ["a", "p"], "constant_operands": [[4, 1, 1]]},
    {"name": "t", "kind": "transpose", "perm": [0, 2, 3, 1]},
    {"name": "sl", "kind": "slice", "axis": -1, "start": 0, "end": 2},
    {"name": "r", "kind": "reshape", "shape": [-1]},
    {"name": "f", "kind": "fc", "out_features": 10}
  ]})";

enum class Outcome { network, error };

template <typename Reader>
Outcome outcome_of(Reader read, const std::string& text) {
  try {
    read(text);
    return Outcome::network;
  } catch (const Error&) {
    return Outcome::error;
  }
}

auto read_ours = [](const std::string& text) { parse_network_json(text, "m.json", {}); };
auto read_paleo = [](const std::string& text) { parse_paleo_json(text, "m.json", {}); };

TEST(MalformedInput, TheUnharmedFilesRead) {
  EXPECT_EQ(outcome_of(read_ours, kOurFile), Outcome::network);
  EXPECT_EQ(outcome_of(read_paleo, read_fixture("paleo_all_types.json")), Outcome::network);
}

TEST(MalformedInput, EveryTruncationIsAnError) {
  const std::string ours = kOurFile;
  for (size_t length = 0; length < ours.size(); ++length) {
    EXPECT_EQ(outcome_of(read_ours, ours.substr(0, length)), Outcome::error) << length;
  }
  const std::string paleo = read_fixture("paleo_blocks.json");
  for (size_t length = 0; length + 1 < paleo.size(); length += 7) {
    EXPECT_EQ(outcome_of(read_paleo, paleo.substr(0, length)), Outcome::error) << length;
  }
}

// Random byte edits: most break the syntax, some change numbers, names and types.
TEST(MalformedInput, RandomEditsNeverEscapeAsAnythingButError) {
  std::mt19937 random(20170901);
  const std::string alphabet = "{}[]:,\"-0123456789e.aAxX \n\\";
  for (const auto& [reader, original] :
       {std::pair{0, std::string(kOurFile)}, std::pair{1, read_fixture("paleo_all_types.json")}}) {
    for (int trial = 0; trial < 1500; ++trial) {
      std::string text = original;
      const int edits = 1 + static_cast<int>(random() % 3);
      for (int e = 0; e < edits; ++e) {
        const size_t at = random() % text.size();
        text[at] = alphabet[random() % alphabet.size()];
      }
      if (reader == 0) {
        outcome_of(read_ours, text);
      } else {
        outcome_of(read_paleo, text);
      }
    }
  }
}

TEST(MalformedInput, DeepNestingIsAnErrorNotAStackOverflow) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(outcome_of(read_ours, deep), Outcome::error);
  EXPECT_EQ(outcome_of(read_paleo, deep), Outcome::error);
  EXPECT_FALSE(is_paleo_json(deep));
  // Blocks nested past the limit: refused with a message, not recursed into.
  std::string blocks =
      R"({"layers": {"data": {"parents": [], "type": "Input", "tensor": [1, 2, 2, 1]}, )";
  for (int i = 0; i < 40; ++i)
    blocks += R"("b": {"type": "Block", "parents": ["data"], "layers": {)";
  blocks += R"("r": {"parents": [], "type": "ReLU"})";
  for (int i = 0; i < 40; ++i) blocks += "}}";
  blocks += "}}";
  try {
    parse_paleo_json(blocks, "deep.json", {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Blocks are nested more than 16 deep"), std::string::npos)
        << e.what();
  }
}

TEST(MalformedInput, InvalidUtf8IsAnError) {
  std::string text = kOurFile;
  text.replace(text.find("\"m\""), 3, "\"\xff\xfe\"");
  EXPECT_EQ(outcome_of(read_ours, text), Outcome::error);
}

}  // namespace
}  // namespace np
