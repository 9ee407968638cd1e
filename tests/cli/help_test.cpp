// Every command's --help describes its options in the tool's own words. An option checked with
// one of CLI11's stock validators (CLI::Range, CLI::NonNegativeNumber) shows "INT:INT in [0 -
// 1000]" or a 309-digit bound in its help, and answers a bad value with "Value 0 not in range
// 1 to 1000" or that bound; src/cli/validators.hpp words both. Walking every command's help
// finds an option that escaped them wherever it is added.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_runner.hpp"

namespace np::test {
namespace {

// The names listed under "Subcommands:" in a help text.
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream lines(help);
  std::string line;
  bool in_list = false;
  const std::regex entry(R"(^  ([a-z][a-z0-9-]*)\s)");
  while (std::getline(lines, line)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_list = true;
      continue;
    }
    std::smatch match;
    if (in_list && std::regex_search(line, match, entry)) names.push_back(match[1]);
  }
  return names;
}

// The help text of every command path ("show", "profile layers", ...) below the top level.
std::map<std::string, std::string> every_command_help() {
  std::map<std::string, std::string> found;
  std::vector<std::string> pending{""};
  while (!pending.empty()) {
    const std::string path = pending.back();
    pending.pop_back();
    const CommandResult help = run_cli(path + " --help");
    EXPECT_EQ(help.exit_code, 0) << "'" << path << " --help': " << help.out;
    if (!path.empty()) found[path] = help.out;
    for (const std::string& name : subcommands_in(help.out)) {
      pending.push_back(path.empty() ? name : path + " " + name);
    }
  }
  return found;
}

TEST(CliHelp, EveryCommandIsFound) {
  const std::map<std::string, std::string> helps = every_command_help();
  for (const char* expected :
       {"show", "zoo", "train", "predict", "report", "epr", "devices", "profile", "profile layers",
        "profile nets", "profile spread", "evaluate", "import-deepbench"}) {
    EXPECT_TRUE(helps.count(expected)) << "no command '" << expected << "' in the help";
  }
}

TEST(CliHelp, NoOptionUsesCli11sStockValidatorWording) {
  const std::regex stock_range(R"((INT|FLOAT|UINT|NUMBER):(INT|FLOAT|UINT|NUMBER) in \[)");
  const std::regex endless_bound(R"([0-9]{40,})");
  // CLI::NonNegativeNumber; our non_negative_number() shows ">=0".
  const std::regex stock_word(R"(:NONNEGATIVE\b)");
  for (const auto& [command, help] : every_command_help()) {
    std::istringstream lines(help);
    std::string line;
    while (std::getline(lines, line)) {
      EXPECT_FALSE(std::regex_search(line, stock_range)) << command << ": " << line;
      EXPECT_FALSE(std::regex_search(line, endless_bound)) << command << ": " << line;
      EXPECT_FALSE(std::regex_search(line, stock_word)) << command << ": " << line;
    }
  }
}

}  // namespace
}  // namespace np::test
