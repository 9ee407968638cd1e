// Placeholder until the oneDNN backend lands.
#include "backends/cpu/cpu_factory.hpp"

namespace np {
std::unique_ptr<Backend> make_cpu_backend(int) { throw Error("cpu backend not built yet"); }
BackendStatus probe_cpu_backend() { return {"cpu", true, {}, "not built yet"}; }
std::unique_ptr<PowerMeter> make_rapl_power_meter() {
  return make_null_power_meter("RAPL not built yet");
}
}  // namespace np
