// Debian's libonnx-testdata: torch-exported single-op models with their expected outputs.
// Every model either imports with the expected output shape or fails with an error naming an
// input or a node of the model and its op.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "neuralpower/network.hpp"
#include "onnx/onnx_pb.h"
#include "test_support.hpp"

namespace np {
namespace {

namespace fs = std::filesystem;

const char* kTestdata = "/usr/share/libonnx-testdata/data/pytorch-converted";

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(OnnxTestdata, EachModelImportsWithTheExpectedShapeOrFailsNamingTheNode) {
  ASSERT_TRUE(fs::is_directory(kTestdata)) << "install Debian's libonnx-testdata";
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(kTestdata)) {
    if (fs::exists(entry.path() / "model.onnx")) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  int covered = 0, rejected = 0;
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(read_bytes(dir / "model.onnx")));
    onnx::TensorProto expected;
    ASSERT_TRUE(expected.ParseFromString(read_bytes(dir / "test_data_set_0" / "output_0.pb")));
    const Shape expected_shape(expected.dims().begin(), expected.dims().end());
    std::set<std::string> ops;
    for (const auto& node : model.graph().node()) ops.insert(node.op_type());

    bool imported = false;
    try {
      Network net = import_onnx((dir / "model.onnx").string(), {});
      imported = true;
      ++covered;
      EXPECT_EQ(net.layers().back().output_shape, expected_shape);
      // Reshape targets are per-sample: another batch keeps the per-sample output.
      net.set_batch(expected_shape[0] + 3);
      Shape rebatched = expected_shape;
      rebatched[0] += 3;
      EXPECT_EQ(net.layers().back().output_shape, rebatched);
    } catch (const Error& e) {
      ASSERT_FALSE(imported) << "set_batch failed: " << e.what();
      ++rejected;
      const std::string message = e.what();
      // "onnx node 'NAME' (OP): why"
      const std::string prefix = "onnx node '";
      ASSERT_EQ(message.rfind(prefix, 0), 0u) << message;
      const size_t open = message.find("' (", prefix.size());
      const size_t close = message.find("): ", open);
      ASSERT_TRUE(open != std::string::npos && close != std::string::npos) << message;
      const std::string op = message.substr(open + 3, close - open - 3);
      EXPECT_TRUE(ops.count(op)) << "names an op the model lacks: " << message;
      const bool says_why = message.find("unsupported op") != std::string::npos ||
                            message.find("rank") != std::string::npos ||
                            message.find("not modelled") != std::string::npos ||
                            message.find("modelled only") != std::string::npos;
      EXPECT_TRUE(says_why) << message;
    }
  }
  std::cout << "libonnx-testdata: " << dirs.size() << " models, " << covered << " imported, "
            << rejected << " rejected\n";
  EXPECT_EQ(covered + rejected, static_cast<int>(dirs.size()));
  EXPECT_GE(dirs.size(), 50u);
  // Non-trivial coverage: 2-D conv, pooling, batch norm, fc, activations and softmax alone
  // account for more than this.
  EXPECT_GE(covered, 25);
  EXPECT_GE(rejected, 1);
}

// With --allow-unknown the rejected ops become zero-cost layers; the network still has the
// expected output shape wherever ONNX's shape inference knows it.
TEST(OnnxTestdata, AllowUnknownKeepsUnsupportedOpsAsUnmodelledLayers) {
  ASSERT_TRUE(fs::is_directory(kTestdata));
  ImportOptions options;
  options.allow_unknown = true;
  int unmodelled_models = 0;
  for (const auto& entry : fs::directory_iterator(kTestdata)) {
    const fs::path model = entry.path() / "model.onnx";
    if (!fs::exists(model)) continue;
    SCOPED_TRACE(entry.path().filename().string());
    onnx::TensorProto expected;
    ASSERT_TRUE(
        expected.ParseFromString(read_bytes(entry.path() / "test_data_set_0" / "output_0.pb")));
    const Network net = import_onnx(model.string(), options);
    EXPECT_EQ(net.layers().back().output_shape,
              Shape(expected.dims().begin(), expected.dims().end()));
    if (!net.unmodelled_layers().empty()) ++unmodelled_models;
  }
  EXPECT_GT(unmodelled_models, 0);
}

}  // namespace
}  // namespace np
