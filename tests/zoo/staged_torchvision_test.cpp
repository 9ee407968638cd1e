// The staged torchvision networks (tests/zoo/fixtures/torchvision/*.onnx, issue 13): the
// families the zoo lacks, transformers, segmenters and detectors, exported by
// tools/export_torchvision_zoo.py with reference counts computed in torch
// ("staged_models" of zoo/onnx/_reference.json). The reference itself is checked for all of
// them; our importer is checked on every staged classifier and segmenter whose op types outside
// the zoo's files ("onnx_ops_not_in_zoo") it maps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/test_names.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/network.hpp"

namespace np {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSourceDir = fs::path(NP_SOURCE_DIR);

const json& staged_models() {
  static const json parsed = [] {
    std::ifstream in(kSourceDir / "zoo" / "onnx" / "_reference.json");
    if (!in) return json::object();
    const json root = json::parse(in);
    return root.contains("staged_models") ? root["staged_models"] : json::object();
  }();
  return parsed;
}

// Op types outside the zoo's files that the importer maps (ViT's class token and softmax,
// MaxViT's Einsum matrix products and Tanh, Swin's q, k and v and Dropout, the segmenters'
// Resize).
const std::vector<std::string> kImportedBeyondTheZoo = {"Dropout", "Einsum",  "Expand", "Gather",
                                                        "Resize",  "Softmax", "Tanh"};

// Classifiers and segmenters the importer reads today: no op type outside the zoo's files but
// those above.
std::vector<std::string> importable_networks() {
  std::vector<std::string> names;
  for (const auto& [name, numbers] : staged_models().items()) {
    bool importable = numbers.at("task") != "detection";
    for (const auto& op : numbers.at("onnx_ops_not_in_zoo")) {
      importable =
          importable && std::find(kImportedBeyondTheZoo.begin(), kImportedBeyondTheZoo.end(),
                                  op.get<std::string>()) != kImportedBeyondTheZoo.end();
    }
    if (importable) names.push_back(name);
  }
  return names;
}

int64_t sum_macs(const Network& net, LayerKind kind) {
  int64_t total = 0;
  for (int id = 0; id < net.size(); ++id) {
    if (net.layer(id).kind == kind) total += layer_cost(net, id).macs;
  }
  return total;
}

Shape shape_from(const json& dims) {
  Shape shape;
  for (const auto& dim : dims) shape.push_back(dim.get<int64_t>());
  return shape;
}

int64_t number(const json& numbers, const char* key) {
  return numbers.contains(key) ? numbers.at(key).get<int64_t>() : 0;
}

// The issue's list: every classification family of Debian's torchvision that the zoo lacks,
// the transformers, the segmenters and the detectors.
TEST(StagedTorchvision, ReferenceHoldsEveryNetworkOfTheIssueAndItsFile) {
  const std::vector<std::string> expected = {
      "resnext50_32x4d",
      "wide_resnet50_2",
      "inception_v3",
      "mnasnet1_0",
      "efficientnet_v2_s",
      "vit_b_16",
      "swin_t",
      "maxvit_t",
      "fcn_resnet50",
      "deeplabv3_mobilenet_v3_large",
      "lraspp_mobilenet_v3_large",
      "ssdlite320_mobilenet_v3_large",
      "retinanet_resnet50_fpn",
      "fasterrcnn_mobilenet_v3_large_fpn",
  };
  for (const auto& name : expected) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(staged_models().contains(name));
    const json& numbers = staged_models().at(name);
    EXPECT_TRUE(fs::is_regular_file(kSourceDir / numbers.at("file").get<std::string>()));
  }
}

// Every parameter, BN statistic and folded float constant reaches the file exactly once.
TEST(StagedTorchvision, FloatInitializersAreParametersStatisticsAndFoldedConstants) {
  ASSERT_FALSE(staged_models().empty());
  for (const auto& [name, numbers] : staged_models().items()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(number(numbers, "float_initializer_elements"),
              number(numbers, "params_torch") + number(numbers, "bn_stats") +
                  number(numbers, "float_constant_elements") +
                  number(numbers, "gathered_position_bias_elements"));
  }
}

// Torchvision counts a multiply-add once, attention's products included, at the size of the
// weights' transforms, which is the exported size; the segmenters' figure includes their
// auxiliary head.
TEST(StagedTorchvision, ReferenceMacsAreWithinOnePercentOfPublishedGflops) {
  for (const auto& [name, numbers] : staged_models().items()) {
    if (numbers.at("task") == "detection") continue;  // the box head depends on the image
    SCOPED_TRACE(name);
    const double macs =
        numbers.contains("macs_with_aux")
            ? numbers.at("macs_with_aux").get<double>()
            : static_cast<double>(number(numbers, "conv_macs") + number(numbers, "fc_macs") +
                                  number(numbers, "matmul_macs"));
    EXPECT_NEAR(macs / 1e9 / numbers.at("published_gflops").get<double>(), 1.0, 0.01) << macs;
  }
}

class StagedNetwork : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { numbers_ = staged_models().at(GetParam()); }

  std::optional<Network> load(std::optional<int64_t> batch = {}) const {
    ImportOptions options;
    options.batch = batch;
    const fs::path path = kSourceDir / numbers_.at("file").get<std::string>();
    try {
      return load_network(path.string(), options);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "loading " << path << ": " << error.what();
      return std::nullopt;
    }
  }

  json numbers_;
};

TEST_P(StagedNetwork, ImportsWithTorchsParametersAndMacs) {
  const auto net = load();
  ASSERT_TRUE(net);
  EXPECT_EQ(network_cost(*net).total.params, number(numbers_, "float_initializer_elements"));
  EXPECT_EQ(sum_macs(*net, LayerKind::conv), number(numbers_, "conv_macs"));
  EXPECT_EQ(sum_macs(*net, LayerKind::fc), number(numbers_, "fc_macs"));
  EXPECT_EQ(sum_macs(*net, LayerKind::matmul), number(numbers_, "matmul_macs"));
  ASSERT_GT(net->size(), 0);
  EXPECT_EQ(net->layers().back().output_shape, shape_from(numbers_.at("output_shape")));
}

// A segmenter's published figure counts its auxiliary head, which the inference export drops:
// the head's MACs as torch counted them are taken off.
TEST_P(StagedNetwork, MacsAreWithinOnePercentOfPublishedGflops) {
  const auto net = load();
  ASSERT_TRUE(net);
  const double macs =
      static_cast<double>(sum_macs(*net, LayerKind::conv) + sum_macs(*net, LayerKind::fc) +
                          sum_macs(*net, LayerKind::matmul));
  double published = numbers_.at("published_gflops").get<double>() * 1e9;
  if (numbers_.contains("macs_with_aux")) {
    published -= numbers_.at("macs_with_aux").get<double>() -
                 static_cast<double>(number(numbers_, "conv_macs") + number(numbers_, "fc_macs") +
                                     number(numbers_, "matmul_macs"));
  }
  EXPECT_NEAR(macs / published, 1.0, 0.01) << macs;
}

TEST_P(StagedNetwork, FlopsScaleExactlyLinearlyFromBatchOneToEight) {
  const auto single = load();
  const auto batched = load(8);
  ASSERT_TRUE(single && batched);
  const NetworkCost one = network_cost(*single);
  const NetworkCost eight = network_cost(*batched);
  EXPECT_EQ(eight.total.flops, 8 * one.total.flops);
  EXPECT_EQ(eight.total.macs, 8 * one.total.macs);
  EXPECT_EQ(eight.total.params, one.total.params);
  if (numbers_.contains("batch8")) {
    EXPECT_EQ(sum_macs(*batched, LayerKind::conv), number(numbers_.at("batch8"), "conv_macs"));
    EXPECT_EQ(sum_macs(*batched, LayerKind::fc), number(numbers_.at("batch8"), "fc_macs"));
    EXPECT_EQ(sum_macs(*batched, LayerKind::matmul), number(numbers_.at("batch8"), "matmul_macs"));
  }
}

INSTANTIATE_TEST_SUITE_P(Staged, StagedNetwork, testing::ValuesIn(importable_networks()),
                         test::ParamName());

std::vector<std::string> detectors() {
  std::vector<std::string> names;
  for (const auto& [name, numbers] : staged_models().items()) {
    if (numbers.at("task") == "detection") names.push_back(name);
  }
  return names;
}

class StagedDetector : public StagedNetwork {};

// The transform, backbone and heads are layers with torch's convolutions; the data-dependent
// post-processing (box selection, NMS, and Faster R-CNN's box head on the proposals) is left
// out and listed, never dropped silently.
TEST_P(StagedDetector, ImportsBackboneAndHeadsAndListsThePostProcessing) {
  const auto net = load();
  ASSERT_TRUE(net);
  EXPECT_EQ(sum_macs(*net, LayerKind::conv), number(numbers_, "conv_macs"));
  const int64_t params = network_cost(*net).total.params;
  if (numbers_.contains("fc_macs_per_roi")) {
    EXPECT_LT(params, number(numbers_, "params_torch"));  // the box head reads proposals
  } else {
    EXPECT_GE(params, number(numbers_, "params_torch") + number(numbers_, "bn_stats"));
    EXPECT_LE(params, number(numbers_, "float_initializer_elements"));
  }
  const UnmodelledNodes& left_out = net->unmodelled_nodes();
  ASSERT_FALSE(left_out.empty());
  EXPECT_GT(left_out.ops.count("NonZero") + left_out.ops.count("TopK"), 0u);
  EXPECT_LT(left_out.count(), left_out.graph_nodes);
  for (const auto& [op, count] : left_out.ops) {
    SCOPED_TRACE(op);
    ASSERT_TRUE(numbers_.at("onnx_ops").contains(op));
    EXPECT_LE(count, numbers_.at("onnx_ops").at(op).get<int64_t>());
  }
  EXPECT_NE(left_out.summary().find("graph nodes"), std::string::npos) << left_out.summary();
}

INSTANTIATE_TEST_SUITE_P(Staged, StagedDetector, testing::ValuesIn(detectors()), test::ParamName());

}  // namespace
}  // namespace np
