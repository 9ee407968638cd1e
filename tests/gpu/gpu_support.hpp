#pragma once
// Shared by the gpu suite: whether a CUDA device is usable (else every GPU test skips with
// the probe's message), the backends under test, and the comparison of two outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/reference_ops.hpp"
#include "neuralpower/backend_registry.hpp"
#include "neuralpower/network.hpp"

namespace np::test {

inline bool cuda_compiled() {
  const auto names = compiled_backends();
  return std::find(names.begin(), names.end(), "cuda") != names.end();
}

inline const BackendStatus* cuda_status() {
  static const std::vector<BackendStatus> all = probe_backends();
  for (const auto& status : all) {
    if (status.backend == "cuda") return &status;
  }
  return nullptr;
}

// Empty when a CUDA device can run the tests, else why not (the probe's own message).
inline std::string cuda_unavailable_reason() {
  if (!cuda_compiled()) return "the cuda backend is not compiled in (configure with -DNP_CUDA=ON)";
  const BackendStatus* status = cuda_status();
  if (!status) return "probe_backends() lists no cuda backend";
  if (status->devices.empty()) return status->message;
  return "";
}

#define NP_SKIP_WITHOUT_CUDA()                                                \
  do {                                                                        \
    const std::string np_why_no_cuda = ::np::test::cuda_unavailable_reason(); \
    if (!np_why_no_cuda.empty()) GTEST_SKIP() << np_why_no_cuda;              \
  } while (0)

// One backend per process, never destroyed: cuDNN and cuBLAS handles must not be torn down
// by static destructors after the CUDA runtime has gone.
inline Backend& cuda_backend() {
  static Backend* backend = make_backend("cuda").release();
  return *backend;
}
inline Backend& cpu_backend() {
  static Backend* backend = make_backend("cpu").release();
  return *backend;
}

// Tolerances of compare_outputs (relative to |expected| + rms(expected)) per data type.
inline double tolerance_for(const RunSettings& settings) {
  switch (settings.dtype) {
    case DataType::fp32:
      return settings.allow_tf32 ? 1e-2 : 1e-4;  // TF32 keeps 10 mantissa bits
    case DataType::fp16:
      return 1e-2;  // inputs, weights and outputs rounded to 11 bits, fp32 accumulation
    case DataType::bf16:
      return 3e-2;  // 8 bits
    case DataType::int8:
      break;
  }
  return 0;
}

inline std::string settings_name(const RunSettings& settings) {
  return std::string(to_string(settings.dtype)) + (settings.allow_tf32 ? "+tf32" : "") +
         (settings.use_graphs ? "" : " no-graphs");
}

}  // namespace np::test
