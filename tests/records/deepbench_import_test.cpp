#include <gtest/gtest.h>

#include "neuralpower/cost.hpp"
#include "neuralpower/deepbench_import.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

const char* kHeader =
    "gpu,cudnn,cuda,precision,W,H,C,N,K,S_filter_w,R_filter_h,pad_w,pad_h,stride_w,stride_h,"
    "fwd_ms,fwd_algo,source_file,sheet\n";

TEST(DeepBenchImport, OneSetPerGpuAndPrecisionWithTheConvFeatures) {
  const std::string text =
      std::string(kHeader) +
      "NVIDIA V100,7.6.2.24,10.1.243,Float,56,56,64,8,64,3,3,1,1,1,1,0.5,WINOGRAD,f,s\n"
      "NVIDIA V100,7.6.2.24,10.1.243,\"16 bit inputs, 16 bit multiplication, 32 bit "
      "addition\",700,161,1,4,32,20,5,0,0,2,2,0.07,IMPLICIT_GEMM,f,s\n"
      "NVIDIA V100,7.6.2.24,10.1.243,Float,28,28,128,16,128,1,1,0,0,1,1,0.2,,f,s\n";
  const auto sets = import_deepbench(text, "d.csv");
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].name, "v100-fp32");
  EXPECT_EQ(sets[1].name, "v100-fp16");
  ASSERT_EQ(sets[0].rows.size(), 2u);
  const LayerMeasurement& m = sets[0].rows[0];
  EXPECT_EQ(m.kind, LayerKind::conv);
  EXPECT_EQ(m.platform.dtype, "fp32");
  EXPECT_EQ(m.platform.backend, "cuda");
  EXPECT_EQ(m.platform.library_version, "cuDNN 7.6.2.24");
  EXPECT_EQ(m.algorithm, "WINOGRAD");
  EXPECT_DOUBLE_EQ(*m.runtime_ms, 0.5);
  // 3x3, pad 1, stride 1 on 56x56: same size out; FLOPs 2·N·K·C·R·S·H·W.
  EXPECT_EQ(m.features.at("out_height"), 56);
  EXPECT_EQ(m.features.at("batch"), 8);
  EXPECT_DOUBLE_EQ(m.features.at("flops"), 2.0 * 8 * 64 * 64 * 9 * 56 * 56);
  EXPECT_EQ(m.features.at("weight_elements"), 64 * 64 * 9);
  const LayerMeasurement& half = sets[1].rows[0];
  EXPECT_EQ(half.platform.dtype, "fp16");
  EXPECT_EQ(half.features.at("out_height"), (161 - 5) / 2 + 1);
  EXPECT_EQ(half.features.at("out_width"), (700 - 20) / 2 + 1);
}

TEST(DeepBenchImport, BadRowsFailNamingTheLine) {
  auto message = [](const std::string& t) {
    try {
      import_deepbench(t, "d.csv");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string bad_precision =
      std::string(kHeader) + "NVIDIA V100,7,10,Double,56,56,64,8,64,3,3,1,1,1,1,0.5,,f,s\n";
  EXPECT_NE(message(bad_precision).find("d.csv:2"), std::string::npos) << message(bad_precision);
  EXPECT_NE(message(bad_precision).find("Double"), std::string::npos);
  const std::string bad_number =
      std::string(kHeader) + "NVIDIA V100,7,10,Float,56,x,64,8,64,3,3,1,1,1,1,0.5,,f,s\n";
  EXPECT_NE(message(bad_number).find("column H"), std::string::npos) << message(bad_number);
  EXPECT_NE(message("gpu,W\nNVIDIA,1\n").find("no column"), std::string::npos);
}

}  // namespace
}  // namespace np
