// Every layer case of tests/common/layer_cases (the list every backend runs) on the cpu backend
// against the naive reference of tests/common, on the canonical test data, in fp32 (1e-4 relative)
// and bf16 (bf16 rounding), with inputs in both layouts the backend uses.
#include <gtest/gtest.h>

#include "backends/test_nets.hpp"
#include "common/layer_cases.hpp"
#include "common/test_names.hpp"

namespace np::test {
namespace {

bool all_rank4(const std::vector<Shape>& shapes) {
  for (const auto& s : shapes) {
    if (s.size() != 4) return false;
  }
  return true;
}

class CpuLayer : public ::testing::TestWithParam<LayerCase> {
 protected:
  static void SetUpTestSuite() { backend_ = make_backend("cpu"); }
  static void TearDownTestSuite() { backend_.reset(); }
  static std::unique_ptr<Backend> backend_;
};
std::unique_ptr<Backend> CpuLayer::backend_;

TEST_P(CpuLayer, Fp32OutputMatchesTheReferenceFromPlainInputs) {
  const auto built = single_layer_net(GetParam().layer, GetParam().inputs, Producer::input);
  expect_matches_reference(*backend_, built.net, built.id, RunSettings{}, 1e-4);
}

TEST_P(CpuLayer, Fp32OutputMatchesTheReferenceFromChannelsLastInputs) {
  if (!all_rank4(GetParam().inputs)) GTEST_SKIP() << "only rank-4 inputs come from convolutions";
  const auto built = single_layer_net(GetParam().layer, GetParam().inputs, Producer::conv);
  expect_matches_reference(*backend_, built.net, built.id, RunSettings{}, 1e-4);
}

TEST_P(CpuLayer, Bf16OutputMatchesTheReferenceToBf16Precision) {
  RunSettings settings;
  settings.dtype = DataType::bf16;
  const auto built = single_layer_net(GetParam().layer, GetParam().inputs, Producer::input);
  try {
    backend_->prepare(built.net, built.id, settings);
  } catch (const UnsupportedLayer& e) {
    if (std::string(e.what()).find("bf16 needs avx512_core") != std::string::npos) {
      GTEST_SKIP() << e.what();
    }
    throw;
  }
  // Inputs, weights and outputs are rounded to 8 significant bits: ~0.4% each.
  expect_matches_reference(*backend_, built.net, built.id, settings, 3e-2);
}

TEST_P(CpuLayer, AlgorithmNamesTheImplementationOrNone) {
  const auto built = single_layer_net(GetParam().layer, GetParam().inputs, Producer::input);
  auto prepared = backend_->prepare(built.net, built.id, RunSettings{});
  const std::string algorithm = prepared->algorithm();
  EXPECT_FALSE(algorithm.empty());
  if (is_zero_cost(GetParam().layer.kind)) {
    EXPECT_EQ(algorithm, "none");
  } else {
    EXPECT_NE(algorithm, "none");
  }
}

INSTANTIATE_TEST_SUITE_P(AllKinds, CpuLayer, ::testing::ValuesIn(layer_cases()), ParamName());

}  // namespace
}  // namespace np::test
