#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_runner.hpp"
#include "common/test_names.hpp"

namespace np::test {
namespace {

TEST(ShowCommand, JsonIsTheDocumentedMachineInterface) {
  const auto r = run_cli("show vgg-16 --batch 2 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["network"], "vgg-16");
  EXPECT_EQ(doc["batch"], 2);
  ASSERT_FALSE(doc["layers"].empty());
  int64_t flops = 0, params = 0, bytes = 0;
  for (const auto& layer : doc["layers"]) {
    for (const char* key :
         {"name", "kind", "op", "inputs", "output_shape", "flops", "params", "bytes"}) {
      EXPECT_TRUE(layer.contains(key)) << key;
    }
    EXPECT_EQ(layer["output_shape"][0], 2);
    flops += layer["flops"].get<int64_t>();
    params += layer["params"].get<int64_t>();
    bytes += layer["bytes"].get<int64_t>();
  }
  EXPECT_EQ(doc["total"]["flops"], flops);
  EXPECT_EQ(doc["total"]["params"], params);
  EXPECT_EQ(doc["total"]["bytes"], bytes);
  EXPECT_EQ(params, 138357544);  // VGG-16, Simonyan & Zisserman configuration D
}

TEST(ShowCommand, TableHasAlignedColumnsAndTotals) {
  const auto r = run_cli("show vgg-16");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("138,357,544"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total"), std::string::npos);
  EXPECT_NE(r.out.find("batch 64"), std::string::npos);  // the paper's VGG-16 batch
}

TEST(ShowCommand, CsvHasOneRowPerLayer) {
  const auto json = nlohmann::json::parse(run_cli("show vgg-16 --format json").out);
  const auto csv = run_cli("show vgg-16 --format csv");
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(count_lines(csv.out), static_cast<int>(json["layers"].size()) + 1);
  EXPECT_EQ(csv.out.rfind("name,kind,op,inputs,output_shape,flops,params", 0), 0u);
}

TEST(ShowCommand, OnnxZooNetworkWithBatchOverride) {
  const auto r = run_cli("show resnet50 --batch 8 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["layers"].back()["output_shape"], nlohmann::json::array({8, 1000}));
}

struct BadInput {
  std::string name;
  std::string args;
  std::string expected_in_message;
};

void PrintTo(const BadInput& input, std::ostream* out) { *out << input.args; }

class ShowRejects : public ::testing::TestWithParam<BadInput> {};

TEST_P(ShowRejects, WithOneLineAndExitCodeOne) {
  const auto r = run_cli(GetParam().args);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(count_lines(r.out), 1) << r.out;
  EXPECT_NE(r.out.find(GetParam().expected_in_message), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, ShowRejects,
    ::testing::Values(
        BadInput{"UnknownNetwork", "show no-such-network", "neither a file nor a zoo network"},
        BadInput{"ZeroDim", "show vgg-16 --input-shape 1x3x0x224", "dims must be positive"},
        BadInput{"LetterInShape", "show vgg-16 --input-shape 1x3xax224", "not an integer"},
        BadInput{"MissingFile", "show /nonexistent/x.onnx", "nonexistent"}),
    ParamName());

// `zoo` lists every network with what the default sampling plan does with it.
TEST(ZooCommand, ListsTheTransformersDetectorsAndWhichNetworksTrain) {
  if (std::getenv("NEURALPOWER_ZOO") != nullptr) GTEST_SKIP() << "NEURALPOWER_ZOO is set";
  const auto r = test::run_cli("zoo");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const auto& [name, role] :
       std::vector<std::pair<std::string, std::string>>{{"vit_b_16", "trains"},
                                                        {"ssdlite320_mobilenet_v3_large", "trains"},
                                                        {"swin_t", "held out"},
                                                        {"vgg-16", "held out"},
                                                        {"lenet", "trains"}}) {
    const auto line = r.out.find("\n" + name + " ");
    ASSERT_NE(line, std::string::npos) << name << "\n" << r.out;
    const std::string row = r.out.substr(line + 1, r.out.find('\n', line + 1) - line - 1);
    EXPECT_NE(row.find(" " + role + " "), std::string::npos) << row;
  }
}

TEST(ShowCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(run_cli("show").exit_code, 2);
  EXPECT_EQ(run_cli("show vgg-16 --batch 0").exit_code, 2);
  EXPECT_EQ(run_cli("show vgg-16 --format xml").exit_code, 2);
  EXPECT_EQ(run_cli("").exit_code, 2);
}

}  // namespace
}  // namespace np::test
