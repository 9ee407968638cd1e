#pragma once
// Factories of the CUDA backend (cuDNN/cuBLAS executor) and its NVML meter. No CUDA, cuDNN or
// NVML header here: the registry includes this file in builds with NP_HAVE_CUDA.
#include <memory>

#include "neuralpower/backend.hpp"
#include "neuralpower/power_meter.hpp"

namespace np {

// Throws np::Error ("no CUDA device: ...") when the device cannot be used.
std::unique_ptr<Backend> make_cuda_backend(int device_index);
// Never throws: compiled = true, and the devices found or why there are none.
BackendStatus probe_cuda_backend();
BackendDefaults cuda_backend_defaults();
// Never throws: a meter whose available() and status() say whether NVML energy works.
std::unique_ptr<PowerMeter> make_nvml_power_meter(int device_index);

}  // namespace np
