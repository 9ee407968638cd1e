// Bad files fail with one message naming the file, the layer, the key and the value.
#include <gtest/gtest.h>

#include "neuralpower/error.hpp"
#include "neuralpower/network_json.hpp"

namespace np {
namespace {

std::string file_with(const std::string& layers, const std::string& top = "") {
  return R"({"format": "neuralpower-network", "version": 1, )" + top + R"("layers": [)" + layers +
         "]}";
}

const char* const kData = R"({"name": "data", "kind": "input", "shape": [3, 32, 32]})";

std::string error_of(const std::string& text, const ImportOptions& options = {}) {
  try {
    parse_network_json(text, "vgg16.json", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::string error_of_layer(const std::string& layer) {
  return error_of(file_with(std::string(kData) + ", " + layer));
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "message: " << (text)

TEST(NetworkJsonErrors, AMissingKeyNamesFileLayerAndKey) {
  EXPECT_EQ(error_of_layer(R"({"name": "conv1_1", "kind": "conv", "kernel": 3})"),
            "vgg16.json: layer 'conv1_1' (conv): missing key 'out_channels'");
  EXPECT_EQ(error_of_layer(R"({"name": "p", "kind": "pool", "mode": "max", "kernel": 2})"),
            "vgg16.json: layer 'p' (pool): missing key 'stride'");
  EXPECT_EQ(error_of(file_with(R"({"kind": "input", "shape": [1]})")),
            "vgg16.json: layer #1: missing key 'name'");
}

TEST(NetworkJsonErrors, AWrongTypeNamesTheKeyAndTheValue) {
  EXPECT_EQ(error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 8, "kernel": "3"})"),
            "vgg16.json: layer 'c' (conv): key 'kernel' must be an integer or [h, w], got \"3\"");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 8.0, "kernel": 3})"),
      "key 'out_channels' must be an integer, got 8.0");
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 8, "kernel": 3, "groups": true})"),
      "key 'groups' must be an integer, got true");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 8, "kernel": [3, 3, 3]})"),
      "key 'kernel' must be an integer or [h, w], got [3,3,3]");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 8, "kernel": 3, "bias": 1})"),
      "key 'bias' must be true or false, got 1");
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 8, "kernel": 3, "pad": [1, 1, 1]})"),
      "key 'pad' must be an integer, [h, w] or [top, left, bottom, right]");
  EXPECT_CONTAINS(error_of_layer(R"({"name": "a", "kind": "act", "function": "swish"})"),
                  "layer 'a' (act): unknown activation 'swish'");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "p", "kind": "pool", "mode": "sum", "kernel": 2, "stride": 2})"),
      "key 'mode' must be \"max\" or \"avg\", got \"sum\"");
  EXPECT_CONTAINS(error_of_layer(R"({"name": "x", "kind": "convolution"})"),
                  "layer 'x': unknown layer kind 'convolution'");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "r", "kind": "act", "function": "relu", "inputs": "data"})"),
      "key 'inputs' must be a list of strings");
  EXPECT_CONTAINS(error_of(file_with(kData, R"("dtype": "fp64", )")),
                  "vgg16.json: key 'dtype': unknown data type 'fp64'");
  EXPECT_CONTAINS(error_of(file_with("3")), "vgg16.json: layer #1: a layer must be an object");
  EXPECT_CONTAINS(error_of("[1, 2]"), "vgg16.json: the file must be an object");
}

TEST(NetworkJsonErrors, UnknownKeysAreRejectedInLayersAndAtTheTop) {
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 8, "kernal": 3, "kernel": 3})"),
      "vgg16.json: layer 'c' (conv): unknown key 'kernal' (known: ");
  EXPECT_CONTAINS(error_of_layer(R"({"name": "f", "kind": "flatten", "axis": 1})"),
                  "layer 'f' (flatten): unknown key 'axis'");
  EXPECT_CONTAINS(error_of(file_with(kData, R"("batchsize": 4, )")),
                  "vgg16.json: unknown key 'batchsize'");
}

TEST(NetworkJsonErrors, OnlyOurFormatAndVersionAreRead) {
  EXPECT_CONTAINS(error_of(R"({"format": "onnx", "version": 1, "layers": []})"),
                  "key 'format' must be \"neuralpower-network\", got \"onnx\"");
  EXPECT_CONTAINS(error_of(R"({"format": "neuralpower-network", "version": 2, "layers": []})"),
                  "unsupported version 2");
  EXPECT_CONTAINS(error_of(R"({"version": 1, "layers": []})"), "missing key 'format'");
  EXPECT_CONTAINS(error_of(R"({"name": "paleo", "layers": {"data": {}}})"),
                  "this looks like a Paleo net");
  EXPECT_CONTAINS(error_of(file_with("")), "key 'layers' must be a non-empty list");
}

TEST(NetworkJsonErrors, GraphErrorsNameTheLayers) {
  EXPECT_EQ(
      error_of_layer(R"({"name": "relu", "kind": "act", "function": "relu", "inputs": ["conv9"]})"),
      "vgg16.json: layer 'relu' reads 'conv9', which is not a layer");
  EXPECT_EQ(error_of_layer(R"({"name": "data", "kind": "act", "function": "relu"})"),
            "vgg16.json: duplicate layer name 'data'");
  const std::string cycle = error_of_layer(R"(
      {"name": "a", "kind": "add", "inputs": ["data", "c"]},
      {"name": "b", "kind": "act", "function": "relu", "inputs": ["a"]},
      {"name": "c", "kind": "act", "function": "relu", "inputs": ["b"]},
      {"name": "after", "kind": "act", "function": "relu", "inputs": ["c"]})");
  EXPECT_CONTAINS(cycle, "vgg16.json: the layers form a cycle: ");
  EXPECT_CONTAINS(cycle, "'a' -> 'b' -> 'c' -> 'a'");
  EXPECT_EQ(cycle.find("after"), std::string::npos) << cycle;  // downstream, not on the cycle
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "self", "kind": "act", "function": "relu", "inputs": ["self"]})"),
      "cycle: 'self' -> 'self'");
  EXPECT_CONTAINS(error_of(file_with(R"({"name": "c", "kind": "act", "function": "relu"})")),
                  "layer 'c' (act): missing key 'inputs' (the first layer of the file");
  EXPECT_CONTAINS(
      error_of(file_with(R"({"name": "x", "kind": "input", "shape": [1], "inputs": ["y"]})")),
      "layer 'x' (input): an input layer reads no layers");
}

TEST(NetworkJsonErrors, RepeatedJsonKeysAreRejected) {
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 8, "kernel": 3, "kernel": 5})"),
      "vgg16.json: invalid JSON: key 'kernel' appears twice in one object");
}

TEST(NetworkJsonErrors, SyntaxErrorsNameTheLine) {
  EXPECT_CONTAINS(error_of("{\n\"format\": \"neuralpower-network\",\n\"version\": 1,,\n}"),
                  "vgg16.json: invalid JSON: parse error at line 3");
  EXPECT_CONTAINS(error_of(""), "vgg16.json: invalid JSON:");
}

TEST(NetworkJsonErrors, NonPositiveAndAbsurdSizesFailCleanly) {
  EXPECT_CONTAINS(error_of(file_with(R"({"name": "x", "kind": "input", "shape": [3, -224, 224]})")),
                  "layer 'x' (input): key 'shape' has a dim that is not positive: [3,-224,224]");
  EXPECT_CONTAINS(error_of(file_with(R"({"name": "x", "kind": "input", "shape": [0]})")),
                  "key 'shape' has a dim that is not positive");
  EXPECT_CONTAINS(error_of(file_with(R"({"name": "x", "kind": "input", "shape": []})")),
                  "key 'shape' must have 1 to 5 dims");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 0, "kernel": 3})"),
      "key 'out_channels' must be >= 1, got 0");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 4, "kernel": -3})"),
      "key 'kernel' must be >= 1, got -3");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 4, "kernel": 3, "pad": -1})"),
      "key 'pad' must be >= 0, got -1");
  EXPECT_CONTAINS(error_of(file_with(kData, R"("batch": 0, )")), "key 'batch' must be >= 1, got 0");
  EXPECT_CONTAINS(error_of_layer(R"({"name": "r", "kind": "reshape", "shape": [-1, -1]})"),
                  "(one -1 is allowed)");
  // 10^12 elements per sample: the IR refuses the tensor, and the message says where.
  EXPECT_CONTAINS(
      error_of(file_with(R"({"name": "x", "kind": "input", "shape": [1000000, 1000000]})")),
      "vgg16.json: layer 'x' (input): tensor of shape 1x1000000x1000000 is too large");
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 1000000000000, "kernel": 3})"),
      "layer 'c' (conv): tensor of shape");
  EXPECT_CONTAINS(error_of(file_with(kData, R"("batch": 1000000000000, )")), "is too large");
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 9223372036854775808, "kernel": 3})"),
      "key 'out_channels' is out of range: 9223372036854775808");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 1e30, "kernel": 3})"),
      "key 'out_channels' must be an integer");
  EXPECT_CONTAINS(
      error_of_layer(R"({"name": "c", "kind": "conv", "out_channels": 4, "kernel": 33})"),
      "layer 'c' (conv): window of 33 is larger than the padded height extent 32");
  // Window values large enough to overflow the window arithmetic are refused up front.
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 4, "kernel": 9223372036854775807, "dilation": 2})"),
      "layer 'c' (conv): key 'kernel' is too large: 9223372036854775807");
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 4, "kernel": 3, "pad": [0, 9223372036854775807]})"),
      "key 'pad' is too large");
  EXPECT_CONTAINS(
      error_of_layer(
          R"({"name": "c", "kind": "conv", "out_channels": 4, "kernel": 3, "dilation": 2147483647})"),
      "window of 4294967295 is larger than the padded height extent 32");
}

}  // namespace
}  // namespace np
