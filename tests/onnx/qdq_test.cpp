// Quantized ONNX graphs in the QDQ format (onnxruntime's static quantization): QuantizeLinear
// and DequantizeLinear pairs around every quantized op, int8 weights and int32 biases behind
// DequantizeLinear. The pairs are views; the ops between them are int8 layers.
#include <gtest/gtest.h>

#include "model_builder.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/network_json.hpp"
#include "test_support.hpp"

namespace np {
namespace {

using test::error_of;
using test::has;
using test::import_bytes;
using test::ModelBuilder;

// x -> Q -> DQ -> Conv(DQ(int8 W), DQ(int32 b)) -> Q -> DQ -> Relu -> Q -> DQ -> Flatten -> Gemm
// (float W: the classifier left in fp32, as quantizers often do) -> y.
ModelBuilder qdq_network() {
  ModelBuilder b;
  b.input("x", {1, 3, 8, 8});
  b.floats("scale", {0.05f}, {}).zero_point("zp");
  b.weight("w_q", {4, 3, 3, 3}, onnx::TensorProto::INT8);
  b.floats("w_scale", {0.01f, 0.01f, 0.01f, 0.01f})
      .zero_point("w_zp", onnx::TensorProto::INT8, {4});
  b.weight("b_q", {4}, onnx::TensorProto::INT32);
  b.floats("b_scale", {0.0005f, 0.0005f, 0.0005f, 0.0005f});
  b.weight("fc_w", {10, 4 * 8 * 8}).weight("fc_b", {10});
  b.node("QuantizeLinear", {"x", "scale", "zp"}, {"x_q"}, "quant_x");
  b.node("DequantizeLinear", {"x_q", "scale", "zp"}, {"x_dq"}, "dequant_x");
  auto& w = b.node("DequantizeLinear", {"w_q", "w_scale", "w_zp"}, {"w"}, "dequant_w");
  test::set_attribute(w, "axis", int64_t{0});
  b.node("DequantizeLinear", {"b_q", "b_scale"}, {"b"}, "dequant_b");
  auto& conv = b.node("Conv", {"x_dq", "w", "b"}, {"c"}, "conv");
  test::set_attribute(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("QuantizeLinear", {"c", "scale", "zp"}, {"c_q"}, "quant_c");
  b.node("DequantizeLinear", {"c_q", "scale", "zp"}, {"c_dq"}, "dequant_c");
  b.node("Relu", {"c_dq"}, {"r"}, "relu");
  b.node("QuantizeLinear", {"r", "scale", "zp"}, {"r_q"}, "quant_r");
  b.node("DequantizeLinear", {"r_q", "scale", "zp"}, {"r_dq"}, "dequant_r");
  b.node("Flatten", {"r_dq"}, {"f"}, "flatten");
  test::set_attribute(b.node("Gemm", {"f", "fc_w", "fc_b"}, {"g"}, "fc"), "transB", int64_t{1});
  b.node("Relu", {"g"}, {"y"}, "fc_relu");
  b.output("y");
  return b;
}

const Layer& named(const Network& net, const std::string& name) {
  return net.layer(net.find(name).value());
}

TEST(OnnxQdq, PairsAreViewsAndTheOpsBetweenThemAreInt8Layers) {
  const Network net = import_bytes(qdq_network().bytes());
  // No layer for any QuantizeLinear or DequantizeLinear.
  for (const Layer& layer : net.layers()) {
    EXPECT_NE(layer.op, "QuantizeLinear") << layer.name;
    EXPECT_NE(layer.op, "DequantizeLinear") << layer.name;
  }
  EXPECT_EQ(net.dtype(), DataType::fp32);
  EXPECT_EQ(net.dtype_of(*net.find("conv")), DataType::int8);
  EXPECT_EQ(net.dtype_of(*net.find("relu")), DataType::int8);
  EXPECT_EQ(net.dtype_of(*net.find("flatten")), DataType::int8);
  // The Gemm reads int8 data but float weights: a float Gemm, as in onnxruntime; the Relu
  // after it reads its float output.
  EXPECT_EQ(net.dtype_of(*net.find("fc")), DataType::fp32);
  EXPECT_EQ(net.dtype_of(*net.find("fc_relu")), DataType::fp32);
  EXPECT_FALSE(named(net, "fc_relu").dtype.has_value());
  EXPECT_EQ(net.layers_in_other_dtypes(), 3);
}

TEST(OnnxQdq, Int8LayersCostOneBytePerElementAndKeepTheirParameters) {
  const Network net = import_bytes(qdq_network().bytes());
  const int conv = *net.find("conv");
  const LayerCost cost = layer_cost(net, conv);
  EXPECT_EQ(cost.params, 4 * 3 * 3 * 3 + 4);  // the int8 weights and the int32 bias
  EXPECT_EQ(cost.macs, 4 * 8 * 8 * 3 * 3 * 3);
  EXPECT_EQ(cost.bytes_read, 1 * (3 * 8 * 8 + 4 * 3 * 3 * 3 + 4));
  EXPECT_EQ(cost.bytes_written, 1 * (4 * 8 * 8));
  const LayerCost fc = layer_cost(net, *net.find("fc"));
  EXPECT_EQ(fc.bytes_read, 4 * (4 * 8 * 8 + 10 * 4 * 8 * 8 + 10));  // fp32

  // The same graph without the pairs is fp32 throughout, with four times the conv's bytes.
  ModelBuilder plain;
  plain.input("x", {1, 3, 8, 8}).weight("w", {4, 3, 3, 3}).weight("b", {4});
  auto& c = plain.node("Conv", {"x", "w", "b"}, {"y"}, "conv");
  test::set_attribute(c, "pads", std::vector<int64_t>{1, 1, 1, 1});
  plain.output("y");
  const Network fp32 = import_bytes(plain.bytes());
  EXPECT_EQ(layer_cost(fp32, *fp32.find("conv")).bytes(), 4 * cost.bytes());
}

TEST(OnnxQdq, Int8LayersScaleWithTheBatchAndSurviveOurJsonFormat) {
  ImportOptions eight;
  eight.batch = 8;
  const Network one = import_bytes(qdq_network().bytes());
  const Network batched = import_bytes(qdq_network().bytes(), eight);
  EXPECT_EQ(network_cost(batched).total.flops, 8 * network_cost(one).total.flops);
  EXPECT_EQ(batched.layers_in_other_dtypes(), one.layers_in_other_dtypes());

  const std::string text = write_network_json(one);
  EXPECT_TRUE(has(text, "\"dtype\": \"int8\"")) << text;
  const Network back = parse_network_json(text, "qdq.json", {});
  ASSERT_EQ(back.size(), one.size());
  for (int id = 0; id < one.size(); ++id) {
    EXPECT_EQ(back.dtype_of(id), one.dtype_of(id)) << one.layer(id).name;
    EXPECT_EQ(layer_cost(back, id).bytes(), layer_cost(one, id).bytes()) << one.layer(id).name;
  }
}

// torch's export of a fake-quantized (QAT) ResNet-18 (tests/onnx/make_fixtures.py): a Clip
// between each QuantizeLinear and DequantizeLinear, float biases, Conv -> Relu -> Q.
TEST(OnnxQdq, TorchsFakeQuantizedResnet18HasItsConvolutionsInInt8) {
  const Network qdq = import_onnx(test::fixture_path("resnet18_qdq.onnx"), {});
  const Network fp32 = load_network("resnet18", {});
  int64_t qdq_macs = 0, fp32_macs = 0, qdq_conv_bytes = 0, fp32_conv_bytes = 0;
  int convs = 0;
  for (int id = 0; id < qdq.size(); ++id) {
    const Layer& layer = qdq.layer(id);
    if (layer.kind == LayerKind::conv || layer.kind == LayerKind::add ||
        (layer.kind == LayerKind::act && layer.op == "Relu")) {
      EXPECT_EQ(qdq.dtype_of(id), DataType::int8) << layer.name;
    }
    if (layer.kind != LayerKind::conv) continue;
    ++convs;
    qdq_macs += layer_cost(qdq, id).macs;
    qdq_conv_bytes += layer_cost(qdq, id).bytes();
  }
  for (int id = 0; id < fp32.size(); ++id) {
    if (fp32.layer(id).kind != LayerKind::conv) continue;
    fp32_macs += layer_cost(fp32, id).macs;
    fp32_conv_bytes += layer_cost(fp32, id).bytes();
  }
  EXPECT_EQ(convs, 20);
  EXPECT_EQ(qdq_macs, fp32_macs);
  // Batch norm is folded into the convolutions (one bias each), otherwise the same tensors.
  EXPECT_NEAR(static_cast<double>(qdq_conv_bytes) / static_cast<double>(fp32_conv_bytes), 0.25,
              0.001);
  // The classifier reads the flattened average pool in float: fp32.
  EXPECT_EQ(qdq.dtype_of(qdq.size() - 1), DataType::fp32);
}

TEST(OnnxQdq, SixteenBitQuantizationIsNamedAsNotModelled) {
  ModelBuilder b;
  b.input("x", {1, 4});
  b.floats("scale", {0.1f}, {}).zero_point("zp", onnx::TensorProto::INT16);
  b.node("QuantizeLinear", {"x", "scale", "zp"}, {"q"}, "quant16");
  b.node("DequantizeLinear", {"q", "scale", "zp"}, {"y"}, "dequant16");
  b.output("y");
  const std::string message = error_of([&] { import_bytes(b.bytes()); });
  EXPECT_TRUE(has(message, "onnx node 'quant16' (QuantizeLinear)")) << message;
  EXPECT_TRUE(has(message, "only 8-bit integers are modelled")) << message;
}

}  // namespace
}  // namespace np
