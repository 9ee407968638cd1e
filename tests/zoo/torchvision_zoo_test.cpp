// The torchvision networks of the zoo (zoo/onnx/*.onnx), imported and costed by our tool and
// compared with numbers computed in torch by tools/export_torchvision_zoo.py
// (zoo/onnx/_reference.json: parameter counts, conv and fc multiply-adds from forward hooks)
// and with the parameter counts torchvision publishes for its models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
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

const fs::path kOnnxZoo = fs::path(NP_SOURCE_DIR) / "zoo" / "onnx";

// Parameter counts from torchvision's model documentation (weights and biases; BN running
// statistics are buffers and not included).
const std::map<std::string, int64_t> kPublishedParams = {
    {"alexnet", 61'100'840},
    {"convnext_tiny", 28'589'128},
    {"densenet121", 7'978'856},
    {"efficientnet_b0", 5'288'548},
    {"efficientnet_b1", 7'794'184},
    {"googlenet", 6'624'904},
    {"mobilenet_v2", 3'504'872},
    {"mobilenet_v3_large", 5'483'032},
    {"mobilenet_v3_small", 2'542'856},
    {"regnet_x_400mf", 5'495'976},
    {"regnet_y_400mf", 4'344'144},
    {"resnet101", 44'549'160},
    {"resnet18", 11'689'512},
    {"resnet34", 21'797'672},
    {"resnet50", 25'557'032},
    {"shufflenet_v2_x1_0", 2'278'604},
    {"squeezenet1_0", 1'248'424},
    {"squeezenet1_1", 1'235'496},
    {"vgg16", 138'357'544},
    {"vgg19", 143'667'240},
};

const json& reference() {
  static const json parsed = [] {
    std::ifstream in(kOnnxZoo / "_reference.json");
    if (!in) return json::object();
    return json::parse(in);
  }();
  return parsed;
}

const json& reference_models() {
  static const json empty = json::object();
  const json& root = reference();
  return root.contains("models") ? root["models"] : empty;
}

// Stems of the zoo's ONNX files; '_' marks metadata, which the zoo loader skips too.
std::vector<std::string> onnx_files_in_zoo() {
  std::vector<std::string> names;
  if (!fs::is_directory(kOnnxZoo)) return names;
  for (const auto& entry : fs::directory_iterator(kOnnxZoo)) {
    const fs::path& path = entry.path();
    if (path.extension() != ".onnx" || path.filename().string().starts_with("_")) continue;
    names.push_back(path.stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<Network> load(const std::string& name, std::optional<int64_t> batch = {}) {
  ImportOptions options;
  options.batch = batch;
  // By zoo name, as a user would; a NEURALPOWER_ZOO pointing elsewhere would resolve the name
  // to another file, so then the file is named directly.
  const bool zoo_redirected = std::getenv("NEURALPOWER_ZOO") != nullptr;
  const std::string spec = zoo_redirected ? (kOnnxZoo / (name + ".onnx")).string() : name;
  try {
    return load_network(spec, options);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "loading " << spec << ": " << error.what();
    return std::nullopt;
  }
}

int64_t sum_macs(const Network& net, LayerKind kind) {
  int64_t total = 0;
  for (int id = 0; id < net.size(); ++id) {
    if (net.layer(id).kind == kind) total += layer_cost(net, id).macs;
  }
  return total;
}

int64_t count_layers(const Network& net, LayerKind kind) {
  return std::count_if(net.layers().begin(), net.layers().end(),
                       [kind](const Layer& layer) { return layer.kind == kind; });
}

Shape shape_from(const json& dims) {
  Shape shape;
  for (const auto& dim : dims) shape.push_back(dim.get<int64_t>());
  return shape;
}

TEST(TorchvisionZoo, ReferenceListsExactlyTheOnnxFilesOfTheZoo) {
  ASSERT_TRUE(reference_models().is_object() && !reference_models().empty())
      << "no models in " << kOnnxZoo / "_reference.json";
  std::set<std::string> referenced;
  for (const auto& [name, numbers] : reference_models().items()) referenced.insert(name);
  const std::vector<std::string> files = onnx_files_in_zoo();
  const std::set<std::string> present(files.begin(), files.end());
  for (const auto& name : present) {
    EXPECT_TRUE(referenced.contains(name)) << name << ".onnx has no entry in _reference.json";
  }
  for (const auto& name : referenced) {
    EXPECT_TRUE(present.contains(name))
        << "_reference.json lists " << name << " but zoo/onnx/" << name << ".onnx is missing";
  }
}

TEST(TorchvisionZoo, ReferenceAgreesWithTheCountsTorchvisionPublishes) {
  for (const auto& [name, numbers] : reference_models().items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(kPublishedParams.contains(name)) << "no published count for " << name;
    EXPECT_EQ(numbers.at("params_torch").get<int64_t>(), kPublishedParams.at(name));
    // Every parameter and every BN statistic is one float initializer element, once.
    EXPECT_EQ(numbers.at("float_initializer_elements").get<int64_t>(),
              kPublishedParams.at(name) + numbers.at("bn_stats").get<int64_t>());
  }
}

class TorchvisionNet : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(reference_models().contains(GetParam()))
        << GetParam() << ".onnx has no entry in _reference.json";
    numbers_ = reference_models().at(GetParam());
  }
  int64_t number(const char* key) const { return numbers_.at(key).get<int64_t>(); }

  json numbers_;
};

TEST_P(TorchvisionNet, ParametersAreTheFloatInitializersOfTheFile) {
  const auto net = load(GetParam());
  ASSERT_TRUE(net);
  const int64_t params = network_cost(*net).total.params;
  EXPECT_EQ(params, number("float_initializer_elements"));
  // BN layers read scale, shift, mean and variance; torchvision counts only the first two,
  // so the published count matches only networks without batch norm.
  if (number("bn_modules") == 0) {
    EXPECT_EQ(params, kPublishedParams.at(GetParam()));
  }
}

TEST_P(TorchvisionNet, BatchNormStaysOneLayerPerModule) {
  const auto net = load(GetParam());
  ASSERT_TRUE(net);
  EXPECT_EQ(count_layers(*net, LayerKind::bn), number("bn_modules"));
}

TEST_P(TorchvisionNet, ConvAndFcMacsMatchTorchForwardHooks) {
  const auto net = load(GetParam());
  ASSERT_TRUE(net);
  EXPECT_EQ(sum_macs(*net, LayerKind::conv), number("conv_macs"));
  EXPECT_EQ(sum_macs(*net, LayerKind::fc), number("fc_macs"));
}

TEST_P(TorchvisionNet, FinalLayerHasTorchsOutputShape) {
  const auto net = load(GetParam());
  ASSERT_TRUE(net);
  ASSERT_GT(net->size(), 0);
  EXPECT_EQ(net->layers().back().output_shape, shape_from(numbers_.at("output_shape")));
}

TEST_P(TorchvisionNet, BatchEightScalesMacsByEightAndKeepsParameters) {
  const auto single = load(GetParam());
  const auto batched = load(GetParam(), 8);
  ASSERT_TRUE(single && batched);
  EXPECT_EQ(batched->batch(), 8);
  const NetworkCost one = network_cost(*single);
  const NetworkCost eight = network_cost(*batched);
  EXPECT_EQ(eight.total.macs, 8 * one.total.macs);
  EXPECT_EQ(eight.total.params, one.total.params);
  Shape expected = shape_from(numbers_.at("output_shape"));
  expected.at(0) = 8;
  EXPECT_EQ(batched->layers().back().output_shape, expected);
}

INSTANTIATE_TEST_SUITE_P(Zoo, TorchvisionNet, testing::ValuesIn(onnx_files_in_zoo()),
                         test::ParamName());

// The figure usually quoted for ResNet-50 at 224 x 224 (torchvision's documentation lists
// 4.09 GFLOPS, counting a multiply-add once).
TEST(TorchvisionZoo, ResNet50IsAbout4Point09GigaMacs) {
  const auto net = load("resnet50");
  ASSERT_TRUE(net);
  const double macs =
      static_cast<double>(sum_macs(*net, LayerKind::conv) + sum_macs(*net, LayerKind::fc));
  EXPECT_NEAR(macs / 4.09e9, 1.0, 0.01) << macs;
}

}  // namespace
}  // namespace np
