// A prediction that cannot be trusted as a whole says so: a model that overflows on a layer
// fails naming the layer (never inf or nan totals), and a network in another data type than
// the model's measurements gets a plain warning.
#include <gtest/gtest.h>

#include <cmath>

#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/model_file.hpp"
#include "neuralpower/predict.hpp"

namespace np {
namespace {

const std::string kFiles = std::string(NP_SOURCE_DIR) + "/tests/bad_input/files/";

TEST(PredictionChecks, AnOverflowingModelFailsNamingTheLayerInsteadOfPrintingInf) {
  const ModelFile model = read_model_file(kFiles + "model-coefficient-1e300.json");
  const Network net = load_network("lenet", {});
  try {
    predict_network(net, model, "huge.json");
    ADD_FAILURE() << "predicted with a coefficient of 1e300";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("predicting with huge.json: layer 'conv", 0), 0u) << message;
    EXPECT_NE(message.find("the runtime model gives inf"), std::string::npos) << message;
  }
  // The same model without the broken coefficient predicts finite numbers.
  const NetworkPrediction fine =
      predict_network(net, read_model_file(kFiles + "model.json"), "model.json");
  EXPECT_TRUE(std::isfinite(fine.runtime_ms));
  EXPECT_TRUE(fine.warnings.empty());
}

TEST(PredictionChecks, ANetworkInFp16PricedByAnFp32ModelIsWarnedAbout) {
  const ModelFile model = read_model_file(kFiles + "model.json");
  ASSERT_EQ(model.platform.dtype, "fp32");
  for (DataType dtype : {DataType::fp16, DataType::int8}) {
    Network net = load_network("lenet", {});
    net.set_dtype(dtype);
    const NetworkPrediction p = predict_network(net, model, "model.json");
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_EQ(p.warnings[0], "the network is " + std::string(to_string(dtype)) +
                                 ", the model was trained on fp32 measurements: the prediction "
                                 "prices it as fp32");
  }
}

// A quantized (QDQ) ONNX network is fp32 at its edges with int8 layers inside.
TEST(PredictionChecks, Int8LayersOfAQuantizedNetworkPricedByAnFp32ModelAreWarnedAbout) {
  const ModelFile model = read_model_file(kFiles + "model.json");
  Network net = load_network("lenet", {});
  int marked = 0;
  for (int id = 0; id < net.size(); ++id) {
    if (net.layer(id).kind != LayerKind::conv && net.layer(id).kind != LayerKind::pool) continue;
    net.mutable_layer(id).dtype = DataType::int8;
    ++marked;
  }
  ASSERT_GT(marked, 1);
  const NetworkPrediction p = predict_network(net, model, "model.json");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0], std::to_string(marked) +
                               " int8 layers (a quantized network's) are priced by a model "
                               "trained on fp32 measurements, as fp32");
}

}  // namespace
}  // namespace np
