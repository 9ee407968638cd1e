// `predict` says when its numbers are for something else than what was asked: a model measured
// on another CPU than this machine's, a network in fp16 priced by an fp32 model. A warning on
// stderr, and the same sentence in the JSON's "warnings".
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/temp_path.hpp"

namespace np::test {
namespace {

const std::string kFiles = std::string(NP_SOURCE_DIR) + "/tests/bad_input/files/";

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

CliRun run(const std::string& args, const std::string& environment = "") {
  TempPath err("warnings.stderr");
  const std::string command =
      environment + std::string(NP_CLI_PATH) + " " + args + " 2>" + err.str();
  CliRun r;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err.str());
  std::ostringstream text;
  text << in.rdbuf();
  r.err = text.str();
  return r;
}

TEST(PredictWarnings, AModelOfAnotherCpuIsSaidToBeForThatCpu) {
  const CliRun r = run("predict lenet --format json --model " + kFiles + "model-other-cpu.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string expected_start = "neuralpower: warning: model '" + kFiles +
                                     "model-other-cpu.json' was measured on 'Some Other CPU 9000' "
                                     "(cpu), this machine's CPU is '";
  EXPECT_EQ(r.err.rfind(expected_start, 0), 0u) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["warnings"].size(), 1u);
  EXPECT_EQ("neuralpower: warning: " + doc["warnings"][0].get<std::string>() + "\n", r.err);
}

TEST(PredictWarnings, AModelOfThisCpuPredictsWithoutAWarning) {
  const CliRun r = run("predict lenet --format json --model " + kFiles + "model-other-cpu.json",
                       "NEURALPOWER_CPU_MODEL='Some Other CPU 9000' ");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(nlohmann::json::parse(r.out).contains("warnings"));
}

TEST(PredictWarnings, AnFp16NetworkPricedByAnFp32ModelIsWarnedAbout) {
  const CliRun fp16 =
      run("predict " + kFiles + "net-fp16.json --format json --model " + kFiles + "model.json");
  ASSERT_EQ(fp16.exit_code, 0) << fp16.err;
  EXPECT_NE(fp16.err.find("warning: the network is fp16, the model was trained on fp32 "
                          "measurements: the prediction prices it as fp32\n"),
            std::string::npos)
      << fp16.err;
  const auto warnings = nlohmann::json::parse(fp16.out)["warnings"];
  ASSERT_GE(warnings.size(), 1u);
  EXPECT_NE(warnings.dump().find("the network is fp16"), std::string::npos);
}

}  // namespace
}  // namespace np::test
