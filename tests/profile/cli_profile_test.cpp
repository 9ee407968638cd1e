// `neuralpower profile layers` as a user runs it, on the CPU backend: killed and resumed,
// interrupted with Ctrl-C, refusing foreign files, repairing a cut row.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "child_process.hpp"
#include "cli/cli_runner.hpp"
#include "fakes.hpp"
#include "neuralpower/csv.hpp"
#include "neuralpower/dataset.hpp"

namespace np {
namespace {

using test::ChildProcess;
using test::TempPath;

// A plan of about 50 small configurations: lenet at three batches and random ones kept tiny.
std::vector<std::string> plan_args() {
  return {"profile",          "layers",
          "--backend",        "cpu",
          "--plan",           "both",
          "--networks",       "lenet",
          "--batches",        "1,2,4",
          "--random",         "30",
          "--max-gflops",     "0.05",
          "--max-tensor-mib", "8",
          "--trials",         "3",
          "--warmup",         "1",
          "--min-trial-ms",   "2",
          "--seed",           "7",
          "--no-coverage",    "--no-reference"};
}

std::string join_args(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The configurations of the plan, as `--dry-run` lists them.
std::multiset<std::string> planned_configs() {
  // stdout only: the plan summary goes to stderr.
  const std::string command =
      std::string(NP_CLI_PATH) + " " + join_args(with(plan_args(), {"--dry-run"})) + " 2>/dev/null";
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return {};
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0);
  std::multiset<std::string> configs;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto comment = line.find("  # ");
    configs.insert(comment == std::string::npos ? line : line.substr(0, comment));
  }
  return configs;
}

std::multiset<std::string> configs_in(const std::string& path) {
  std::multiset<std::string> out;
  std::istringstream text(test::read_text(path));
  std::string line;
  std::getline(text, line);
  EXPECT_EQ(line + "\n", dataset_header());
  while (std::getline(text, line)) out.insert(split_csv_line(line).at(1));
  return out;
}

TEST(ProfileCli, DryRunListsAPlanOfUniqueConfigurations) {
  const auto configs = planned_configs();
  EXPECT_GT(configs.size(), 35u);
  EXPECT_EQ(std::set<std::string>(configs.begin(), configs.end()).size(), configs.size());
}

TEST(ProfileCli, KilledMidRunAndResumedEveryConfigurationOnce) {
  const auto planned = planned_configs();
  TempPath out("killed.csv");
  TempPath log("killed.log");
  const auto args = with(plan_args(), {"--out", out.str()});
  {
    ChildProcess child(args, log.str());
    // Header + at least 4 rows, then SIGKILL wherever it is (maybe inside a write).
    ASSERT_TRUE(test::wait_for_lines(child, out.str(), 5, 120)) << test::read_text(log.str());
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait(), 128 + SIGKILL);
  }
  const auto after_kill = configs_in(out.str());
  ASSERT_GE(after_kill.size(), 4u);
  ASSERT_LT(after_kill.size(), planned.size()) << "the run finished before the kill";

  const auto resumed = test::run_cli(join_args(args));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find(std::to_string(after_kill.size()) + " already in"), std::string::npos)
      << resumed.out;
  const auto all = configs_in(out.str());
  EXPECT_EQ(all, planned);  // each exactly once, none lost
  for (const auto& c : after_kill) EXPECT_EQ(all.count(c), 1u) << c;
  const Dataset d = read_dataset(out.str());
  EXPECT_EQ(static_cast<int64_t>(d.rows.size()) + d.failed_rows,
            static_cast<int64_t>(planned.size()));

  // Run again: nothing left to do, nothing written.
  const std::string before = test::read_text(out.str());
  const auto again = test::run_cli(join_args(args));
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("0 to measure"), std::string::npos) << again.out;
  EXPECT_EQ(test::read_text(out.str()), before);
}

TEST(ProfileCli, CtrlCStopsCleanlyWithExitCode130) {
  const auto planned = planned_configs();
  TempPath out("sigint.csv");
  TempPath log("sigint.log");
  const auto args = with(plan_args(), {"--out", out.str()});
  ChildProcess child(args, log.str());
  ASSERT_TRUE(test::wait_for_lines(child, out.str(), 4, 120)) << test::read_text(log.str());
  child.signal(SIGINT);
  EXPECT_EQ(child.wait(), 130) << test::read_text(log.str());
  const std::string text = test::read_text(out.str());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');  // no partial row
  EXPECT_NE(test::read_text(log.str()).find("interrupted"), std::string::npos);
  const auto written = configs_in(out.str());
  EXPECT_LT(written.size(), planned.size());
  for (const auto& c : written) EXPECT_EQ(planned.count(c), 1u) << c;
  EXPECT_NO_THROW(read_dataset(out.str()));
}

TEST(ProfileCli, ACutRowIsRepairedAndAForeignFileRefused) {
  TempPath out("repair.csv");
  const auto args = with(plan_args(), {"--out", out.str(), "--max-configs", "2"});
  ASSERT_EQ(test::run_cli(join_args(args)).exit_code, 0);
  const std::string whole = test::read_text(out.str());
  // Cut the last row in half, as a kill during a write would.
  const size_t last = whole.rfind('\n', whole.size() - 2) + 1;
  {
    std::ofstream(out.str(), std::ios::binary | std::ios::trunc)
        << whole.substr(0, last + (whole.size() - last) / 2);
  }
  const auto repaired = test::run_cli(join_args(args));
  EXPECT_EQ(repaired.exit_code, 0) << repaired.out;
  EXPECT_NE(repaired.out.find("removed a partial last line"), std::string::npos) << repaired.out;
  EXPECT_EQ(configs_in(out.str()).size(), 2u);

  TempPath foreign("foreign.csv");
  { std::ofstream(foreign.str()) << "a,b\n1,2\n"; }
  const auto refused = test::run_cli(join_args(with(plan_args(), {"--out", foreign.str()})));
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("header"), std::string::npos) << refused.out;
  EXPECT_EQ(test::read_text(foreign.str()), "a,b\n1,2\n");
}

TEST(ProfileCli, UsageErrors) {
  EXPECT_EQ(test::run_cli("profile layers --backend tpu --out x.csv").exit_code, 2);
  EXPECT_EQ(test::run_cli("profile layers --backend cpu --batches 0,1 --out x.csv").exit_code, 2);
  const auto held_out =
      test::run_cli("profile layers --backend cpu --networks nin --dry-run --plan nets");
  EXPECT_EQ(held_out.exit_code, 1);
  EXPECT_NE(held_out.out.find("--include-test-networks"), std::string::npos) << held_out.out;
  EXPECT_EQ(test::run_cli("profile nets --backend cpu --out x.json").exit_code, 2);
}

}  // namespace
}  // namespace np
