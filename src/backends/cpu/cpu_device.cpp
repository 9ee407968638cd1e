#include "backends/cpu/cpu_device.hpp"

#include <sched.h>
#include <sys/utsname.h>

#include <fstream>
#include <thread>

#include "backends/cpu/cpu_factory.hpp"
#include "backends/cpu/dnnl_support.hpp"

namespace np {
namespace cpu {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

}  // namespace
}  // namespace cpu

// "model name" on x86, "Model"/"Hardware"/"cpu model" elsewhere.
std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::string fallback;
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = cpu::trim(line.substr(0, colon));
    const std::string value = cpu::trim(line.substr(colon + 1));
    if (value.empty()) continue;
    if (key == "model name") return value;
    if (fallback.empty() && (key == "Model" || key == "Hardware" || key == "cpu model")) {
      fallback = value;
    }
  }
  return fallback.empty() ? "unknown CPU (no model name in /proc/cpuinfo)" : fallback;
}

namespace cpu {
namespace {

std::string kernel_version() {
  utsname name{};
  if (uname(&name) != 0) return "unknown kernel";
  return std::string(name.sysname) + " " + name.release;
}

int available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::thread::hardware_concurrency());
}

}  // namespace

DeviceInfo cpu_device_info() {
  DeviceInfo info;
  info.backend = "cpu";
  info.name = cpu_model_name();
  info.driver = kernel_version();
  const dnnl::version_t* version = dnnl::version();
  info.runtime_version = "oneDNN " + std::to_string(version->major) + "." +
                         std::to_string(version->minor) + "." + std::to_string(version->patch);
  if (version->hash && std::string(version->hash) != "N/A") {
    info.runtime_version += " (" + std::string(version->hash) + ")";
  }
  info.library_version = "oneDNN cpu runtime " + threading_runtime();
  info.detail = "isa " + isa_name(dnnl::get_effective_cpu_isa()) + "; " +
                std::to_string(available_cpus()) + " logical CPUs available; " +
                (supports_bf16() ? "bf16 supported" : "bf16 not supported") + "; measures with " +
                std::to_string(RunSettings{}.threads) +
                (RunSettings{}.threads == 1 ? " thread" : " threads") + " by default (--threads)";
  return info;
}

}  // namespace cpu

BackendStatus probe_cpu_backend() {
  BackendStatus status;
  status.backend = "cpu";
  status.compiled = true;
  try {
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    status.devices.push_back(cpu::cpu_device_info());
    status.message = "oneDNN cpu engine ready";
  } catch (const std::exception& e) {
    status.message = std::string("oneDNN cpu engine could not be created: ") + e.what();
  }
  return status;
}

}  // namespace np
