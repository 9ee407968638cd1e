// `neuralpower devices` as a user runs it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "neuralpower/backend_registry.hpp"

namespace np::test {
namespace {

TEST(DevicesCommand, ListsEveryBackendWithItsDevicesAndMeter) {
  const auto result = run_cli("devices");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("backend cpu: compiled in"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("device 0: " + make_backend("cpu")->device().name), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("oneDNN"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("backend cuda:"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("power meter:"), std::string::npos) << result.out;
  const auto compiled = compiled_backends();
  if (std::find(compiled.begin(), compiled.end(), "cuda") == compiled.end()) {
    EXPECT_NE(result.out.find("backend cuda: not compiled in"), std::string::npos) << result.out;
  }
}

TEST(DevicesCommand, JsonCarriesTheSameFacts) {
  const auto result = run_cli("devices --format json");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const auto json = nlohmann::json::parse(result.out);
  const auto& backends = json.at("backends");
  ASSERT_GE(backends.size(), 2u);
  EXPECT_EQ(backends[0].at("backend"), "cpu");
  EXPECT_TRUE(backends[0].at("compiled").get<bool>());
  ASSERT_EQ(backends[0].at("devices").size(), 1u);
  EXPECT_FALSE(backends[0].at("devices")[0].at("name").get<std::string>().empty());
  for (const auto& backend : backends) {
    const auto& meter = backend.at("power_meter");
    EXPECT_FALSE(meter.at("status").get<std::string>().empty());
    if (meter.at("name") == "none") {
      EXPECT_FALSE(meter.at("available").get<bool>());
    }
  }
}

TEST(DevicesCommand, CsvHasOneRowPerDevice) {
  const auto result = run_cli("devices --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(result.out.rfind("backend,compiled,device", 0), 0u) << result.out;
  EXPECT_GE(count_lines(result.out), 3);
}

}  // namespace
}  // namespace np::test
