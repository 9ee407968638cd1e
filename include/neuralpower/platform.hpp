#pragma once
// Where and how a measurement was taken: one platform per dataset, model file and nets file.
#include <string>

namespace np {

struct Platform {
  std::string device;           // "NVIDIA H100 80GB HBM3", "Intel Xeon ... (1 thread)"
  std::string backend;          // "cuda", "cpu"
  std::string dtype = "fp32";   // data type of the run
  std::string math_mode;        // "tf32-allowed", "fp32-strict", ...
  std::string driver;           // GPU driver or kernel version
  std::string runtime_version;  // CUDA runtime, oneDNN version
  std::string library_version;  // cuDNN / cuBLAS versions
  std::string tool_version;     // neuralpower version
  std::string clocks_locked;    // "yes", "no", "unknown"
};

// Measurements from two platforms can be mixed: the same device, backend and data type.
bool same_platform(const Platform& a, const Platform& b);
// "'AMD EPYC (1 thread)' (cpu, fp32)": the platform as messages name it.
std::string platform_label(const Platform& p);

}  // namespace np
