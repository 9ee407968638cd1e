// The one place that knows which backends were compiled in. Backend folders expose plain
// factory functions (no device headers), declared in their *_factory.hpp.
#include "neuralpower/backend_registry.hpp"

#include "backends/cpu/cpu_factory.hpp"
#include "neuralpower/data_dir.hpp"
#ifdef NP_HAVE_CUDA
#include "backends/cuda/cuda_factory.hpp"
#endif

namespace np {

const std::vector<std::string>& known_backends() {
  static const std::vector<std::string> names{"cpu", "cuda"};
  return names;
}

std::vector<std::string> compiled_backends() {
#ifdef NP_HAVE_CUDA
  return {"cpu", "cuda"};
#else
  return {"cpu"};
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& name, int device_index) {
  if (name == "cpu") return make_cpu_backend(device_index);
#ifdef NP_HAVE_CUDA
  if (name == "cuda") return make_cuda_backend(device_index);
#else
  if (name == "cuda") {
    throw Error(
        "backend 'cuda' is not compiled in (build with -DNP_CUDA=ON on a machine with "
        "the CUDA toolkit and cuDNN)");
  }
#endif
  throw Error("unknown backend '" + name + "' (compiled in: cpu" +
              (compiled_backends().size() > 1 ? std::string(", cuda") : std::string()) + ")");
}

std::vector<BackendStatus> probe_backends() {
  std::vector<BackendStatus> all{probe_cpu_backend()};
#ifdef NP_HAVE_CUDA
  all.push_back(probe_cuda_backend());
#else
  all.push_back({"cuda", false, {}, "not compiled in (configure with -DNP_CUDA=ON)"});
#endif
  return all;
}

std::string local_device_name(const std::string& backend) {
  // NEURALPOWER_CPU_MODEL stands in for /proc/cpuinfo: output that must not depend on the CPU
  // of the machine running it (the golden tests) sets it.
  return backend == "cpu" ? env_or("NEURALPOWER_CPU_MODEL", cpu_model_name()) : "";
}

BackendDefaults backend_defaults(const std::string& name) {
  if (name == "cpu") return cpu_backend_defaults();
#ifdef NP_HAVE_CUDA
  if (name == "cuda") return cuda_backend_defaults();
#endif
  return {};
}

std::unique_ptr<PowerMeter> make_power_meter(const std::string& backend, int device_index) {
  if (backend == "cpu") return make_rapl_power_meter();
#ifdef NP_HAVE_CUDA
  if (backend == "cuda") return make_nvml_power_meter(device_index);
#endif
  (void)device_index;
  return make_null_power_meter("no power meter for backend '" + backend + "'");
}

std::vector<DeviceReport> probe_devices() {
  std::vector<DeviceReport> reports;
  for (auto& status : probe_backends()) {
    DeviceReport report{status, {}};
    try {
      report.meter = meter_status(*make_power_meter(status.backend));
    } catch (const std::exception& e) {
      report.meter.name = "none";
      report.meter.status = std::string("could not open the meter: ") + e.what();
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace np
