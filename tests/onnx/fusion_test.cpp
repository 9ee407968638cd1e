// Patterns torch exports for one module, imported as one layer: GELU's erf form, SiLU and a
// Linear on a 4-D tensor (MatMul + Add).
#include <gtest/gtest.h>

#include "model_builder.hpp"
#include "neuralpower/cost.hpp"
#include "test_support.hpp"

namespace np {
namespace {

using test::error_of;
using test::import_bytes;
using test::ModelBuilder;

std::vector<std::string> ops_of(const Network& net) {
  std::vector<std::string> ops;
  for (const Layer& layer : net.layers()) ops.push_back(layer.op);
  return ops;
}

TEST(OnnxFusion, TorchGeluSiluAndLinearOn4dBecomeOneLayerEach) {
  ImportOptions options;
  options.batch = 3;
  const Network net = import_onnx(test::fixture_path("fusions.onnx"), options);
  EXPECT_EQ(ops_of(net), (std::vector<std::string>{"Input", "Conv", "Gelu(erf)", "SiLU",
                                                   "Transpose", "MatMul+Add"}));
  const Layer& gelu = net.layer(2);
  EXPECT_EQ(gelu.kind, LayerKind::act);
  EXPECT_EQ(std::get<ActAttrs>(gelu.attrs).function, Activation::gelu);
  EXPECT_EQ(gelu.name, "/gelu");  // the module's scope
  EXPECT_EQ(std::get<ActAttrs>(net.layer(3).attrs).function, Activation::silu);
  const Layer& linear = net.layer(5);
  EXPECT_EQ(linear.kind, LayerKind::fc);
  EXPECT_EQ(std::get<FcAttrs>(linear.attrs).out_features, 10);
  EXPECT_TRUE(std::get<FcAttrs>(linear.attrs).bias);
  EXPECT_EQ(linear.output_shape, (Shape{3, 6, 5, 10}));
  // nn.Linear(16, 10): 16 x 10 weights and 10 biases.
  EXPECT_EQ(layer_cost(net, 5).params, 16 * 10 + 10);
}

// x -> GELU -> output, written with the given operand orders.
struct GeluForm {
  const char* name;
  bool scale_by_multiplying;  // x * (1/sqrt 2) instead of x / sqrt 2
  bool constant_first;        // Add(1, erf), Mul(0.5, .) ...
  bool half_first;            // (x * 0.5) * (1 + erf) instead of (x * (1 + erf)) * 0.5
};

std::string gelu_model(const GeluForm& form, float sqrt2 = 1.41421356f) {
  ModelBuilder b;
  b.input("x", {2, 4, 3, 3});
  b.floats("root", {form.scale_by_multiplying ? 1.0f / sqrt2 : sqrt2}, {});
  b.floats("one", {1.0f}, {}).floats("half", {0.5f}, {});
  const auto pair = [&](const std::string& a, const std::string& c) {
    return form.constant_first ? std::vector<std::string>{c, a} : std::vector<std::string>{a, c};
  };
  b.node(form.scale_by_multiplying ? "Mul" : "Div", {"x", "root"}, {"scaled"}, "/act/scale");
  b.node("Erf", {"scaled"}, {"erf"}, "/act/erf");
  b.node("Add", pair("erf", "one"), {"sum"}, "/act/add");
  if (form.half_first) {
    b.node("Mul", pair("x", "half"), {"halved"}, "/act/half");
    b.node("Mul", pair("sum", "halved"), {"y"}, "/act/mul");
  } else {
    b.node("Mul", pair("sum", "x"), {"product"}, "/act/mul");
    b.node("Mul", pair("product", "half"), {"y"}, "/act/half");
  }
  b.node("Relu", {"y"}, {"output"}, "relu");
  b.output("output");
  return b.bytes();
}

TEST(OnnxFusion, GeluIsFoundInAnyOperandOrder) {
  for (const GeluForm& form :
       {GeluForm{"torch", false, false, false}, GeluForm{"swapped", false, true, false},
        GeluForm{"half first", false, false, true},
        GeluForm{"multiply, swapped, half first", true, true, true}}) {
    SCOPED_TRACE(form.name);
    const Network net = import_bytes(gelu_model(form));
    ASSERT_EQ(ops_of(net), (std::vector<std::string>{"Input", "Gelu(erf)", "Relu"}));
    EXPECT_EQ(net.layer(1).name, "/act");
    EXPECT_EQ(net.layer(1).output_shape, (Shape{2, 4, 3, 3}));
  }
}

TEST(OnnxFusion, ErfWithOtherConstantsIsNotGelu) {
  const std::string message = error_of([] {
    import_bytes(gelu_model({"wrong", false, false, false}, 3.0f));
  });
  EXPECT_NE(message.find("onnx node '/act/erf' (Erf): unsupported op"), std::string::npos)
      << message;
}

TEST(OnnxFusion, SiluNeedsTheSameTensorOnBothSides) {
  ModelBuilder b;
  b.input("x", {2, 8}).input("gate", {2, 8});
  b.node("Sigmoid", {"x"}, {"s"}, "/silu/Sigmoid");
  b.node("Mul", {"s", "x"}, {"silu"}, "/silu/Mul");  // swapped operands: still SiLU
  b.node("Sigmoid", {"gate"}, {"g"}, "/glu/Sigmoid");
  b.node("Mul", {"silu", "g"}, {"output"}, "/glu/Mul");  // a gate, not SiLU
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(ops_of(net), (std::vector<std::string>{"Input", "Input", "SiLU", "Sigmoid", "Mul"}));
  EXPECT_EQ(net.layer(2).name, "/silu");
  EXPECT_EQ(net.layer(4).kind, LayerKind::mul);
}

// torch before opset 14 exports nn.Hardswish as x * HardSigmoid(x; alpha = 1/6).
TEST(OnnxFusion, HardSigmoidGateOnItsOwnInputIsHardSwish) {
  for (float alpha : {1.0f / 6.0f, 0.2f}) {
    SCOPED_TRACE(alpha);
    ModelBuilder b(13);
    b.input("x", {2, 8, 4, 4});
    test::set_attribute(b.node("HardSigmoid", {"x"}, {"h"}, "/act/HardSigmoid"), "alpha", alpha);
    b.node("Mul", {"x", "h"}, {"output"}, "/act/Mul");
    b.output("output");
    const Network net = import_bytes(b.bytes());
    if (alpha < 0.19f) {
      ASSERT_EQ(net.size(), 2);
      EXPECT_EQ(std::get<ActAttrs>(net.layer(1).attrs).function, Activation::hard_swish);
      EXPECT_EQ(net.layer(1).name, "/act");
    } else {  // ONNX's default slope: a gate, not hard-swish
      EXPECT_EQ(ops_of(net), (std::vector<std::string>{"Input", "HardSigmoid", "Mul"}));
    }
  }
}

TEST(OnnxFusion, MatMulAddFusesOnlyABiasVector) {
  for (bool bias_vector : {true, false}) {
    SCOPED_TRACE(bias_vector);
    ModelBuilder b;
    b.input("x", {2, 6, 5, 16}).weight("w", {16, 10});
    b.weight("b", bias_vector ? std::vector<int64_t>{10} : std::vector<int64_t>{5, 10});
    b.node("MatMul", {"x", "w"}, {"m"}, "/linear/MatMul");
    b.node("Add", {"b", "m"}, {"output"}, "/linear/Add");
    b.output("output");
    const Network net = import_bytes(b.bytes());
    if (bias_vector) {
      ASSERT_EQ(net.size(), 2);
      EXPECT_EQ(net.layer(1).op, "MatMul+Add");
      EXPECT_EQ(net.layer(1).name, "/linear");
      EXPECT_TRUE(std::get<FcAttrs>(net.layer(1).attrs).bias);
    } else {
      ASSERT_EQ(net.size(), 3);
      EXPECT_FALSE(std::get<FcAttrs>(net.layer(1).attrs).bias);
      EXPECT_EQ(net.layer(2).kind, LayerKind::add);
      EXPECT_EQ(std::get<EltwiseAttrs>(net.layer(2).attrs).constant_operands,
                std::vector<Shape>{(Shape{5, 10})});
    }
    EXPECT_EQ(net.layers().back().output_shape, (Shape{2, 6, 5, 10}));
  }
}

TEST(OnnxFusion, MatMulWhoseOutputIsReadTwiceKeepsItsAdd) {
  ModelBuilder b;
  b.input("x", {2, 16}).weight("w", {16, 10}).weight("b", {10});
  b.node("MatMul", {"x", "w"}, {"m"}, "matmul");
  b.node("Add", {"m", "b"}, {"a"}, "add");
  b.node("Mul", {"m", "a"}, {"output"}, "mul");
  b.output("output");
  const Network net = import_bytes(b.bytes());
  EXPECT_EQ(ops_of(net), (std::vector<std::string>{"Input", "MatMul", "Add", "Mul"}));
}

// Attention's product is a matmul layer (attention_ops_test.cpp); operands of different
// ranks, whose dim 0 would not follow the batch, are not modelled.
TEST(OnnxFusion, MatMulOfTwoDataTensorsOfDifferentRanksIsUnsupported) {
  ModelBuilder b;
  b.input("q", {2, 4, 8}).input("k", {2, 2, 8, 4});
  b.node("MatMul", {"q", "k"}, {"output"}, "attention");
  b.output("output");
  const std::string message = error_of([&] { import_bytes(b.bytes()); });
  EXPECT_NE(message.find("onnx node 'attention' (MatMul): MatMul of two computed tensors"),
            std::string::npos)
      << message;
  ImportOptions options;
  options.allow_unknown = true;
  const Network net = import_bytes(b.bytes(), options);
  EXPECT_EQ(net.layers().back().kind, LayerKind::unknown);
  EXPECT_EQ(net.layers().back().output_shape, (Shape{2, 2, 4, 4}));
  EXPECT_EQ(net.layers().back().inputs, (std::vector<int>{0, 1}));
}

}  // namespace
}  // namespace np
