// `neuralpower profile nets` on an ONNX file with dynamic dims, as users bring them: measured
// with --input-shape, on the CPU backend.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "cli/cli_runner.hpp"
#include "common/temp_path.hpp"
#include "neuralpower/nets_file.hpp"

namespace np {
namespace {

const std::string kDynamic = std::string(NP_SOURCE_DIR) + "/tests/bad_input/files/dynamic.onnx";

TEST(ProfileNetsCli, MeasuresAnOnnxFileWithDynamicDimsGivenItsInputShape) {
  test::TempPath out("dynamic-nets.json");
  const std::string common =
      "profile nets " + kDynamic + " --backend cpu --out " + out.str() +
      " --trials 2 --warmup 0 --min-trial-ms 1 --no-layer-power --no-reference";
  const auto refused = test::run_cli(common);
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("--input-shape image="), std::string::npos) << refused.out;
  const auto measured = test::run_cli(common + " --input-shape image=2x3x16x16");
  ASSERT_EQ(measured.exit_code, 0) << measured.out;
  const NetsFile file = read_nets_file(out.str());
  ASSERT_EQ(file.networks.size(), 1u);
  const MeasuredNetwork& n = file.networks[0];
  EXPECT_FALSE(n.failed) << n.failure_reason;
  EXPECT_EQ(n.batch, 2);
  ASSERT_TRUE(n.runtime_ms.has_value());
  EXPECT_GT(*n.runtime_ms, 0);
  EXPECT_EQ(n.layers.size(), 2u);  // conv, relu
}

// A detector's input has no batch dim: among other networks at several batches it is measured
// once, at batch 1, and the log says so.
TEST(ProfileNetsCli, ANetworkWithoutABatchDimIsMeasuredOnceAtBatchOne) {
  test::TempPath out("one-image-nets.json");
  const std::string detector =
      std::string(NP_SOURCE_DIR) + "/tests/profile/fixtures/one_image_detector.json";
  const auto r =
      test::run_cli("profile nets " + detector + " lenet --batch 1,2 --backend cpu --out " +
                    out.str() + " --trials 2 --warmup 0 --min-trial-ms 1 --no-reference");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("its input has no batch dim (one image per run); measured at batch 1 only"),
            std::string::npos)
      << r.out;
  const NetsFile file = read_nets_file(out.str());
  std::vector<std::pair<std::string, int64_t>> measured;
  for (const auto& n : file.networks) {
    EXPECT_FALSE(n.failed) << n.network << ": " << n.failure_reason;
    measured.emplace_back(n.network, n.batch);
  }
  EXPECT_EQ(measured, (std::vector<std::pair<std::string, int64_t>>{
                          {"one-image", 1}, {"lenet", 1}, {"lenet", 2}}));
}

TEST(ProfileNetsCli, AnOutputThatCannotBeWrittenFailsBeforeAnyMeasuring) {
  const auto r = test::run_cli("profile nets lenet --backend cpu --out /nonexistent/nets.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out,
            "neuralpower: error: cannot write '/nonexistent/nets.json': no such folder "
            "'/nonexistent'\n");
}

}  // namespace
}  // namespace np
