#pragma once
// Small pieces shared by the oneDNN executor: tensor layouts and descriptors, error
// translation, the memory budget and the OpenMP thread count. Internal to src/backends/cpu/.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "neuralpower/backend.hpp"

namespace np::cpu {

// How an activation tensor is stored. Rank-4 tensors that come out of convolutions stay
// channels-last (NHWC, oneDNN's preferred layout for its fast convolution kernels), as in a
// framework running channels_last; everything else is plain row-major in the IR's dim order.
enum class Layout { plain, channels_last };

dnnl::memory::data_type dnnl_type(DataType type);
dnnl::memory::dims to_dims(const Shape& shape);
dnnl::memory::desc tensor_desc(const Shape& shape, Layout layout, dnnl::memory::data_type type);
dnnl::memory::desc plain_desc(const Shape& shape, dnnl::memory::data_type type);
// True when the layout stores the elements in plain row-major order (channels-last with
// H*W == 1 or C == 1 does), so a reshape of it is a view.
bool is_physically_plain(const Shape& shape, Layout layout);

// Bytes that may still be allocated: a share of MemAvailable, because Linux overcommits and a
// too large layer would otherwise be killed while its test data is written, not refused.
class MemoryBudget {
 public:
  MemoryBudget();
  // Throws DeviceOutOfMemory naming `what` when the bytes do not fit.
  void reserve(uint64_t bytes, const std::string& what);
  uint64_t limit() const { return limit_; }

 private:
  uint64_t limit_ = 0;
  uint64_t used_ = 0;
};

// Allocates a oneDNN-owned buffer for the descriptor after checking the budget.
dnnl::memory allocate(const dnnl::memory::desc& desc, const dnnl::engine& engine,
                      MemoryBudget& budget, const std::string& what);

// Runs `body` and rethrows what it throws with `context` in front, keeping UnsupportedLayer
// and DeviceOutOfMemory apart from other errors and translating oneDNN's own status codes.
template <typename Body>
auto with_context(const std::string& context, Body&& body) -> decltype(body());
[[noreturn]] void rethrow_translated(const std::string& context);

// OpenMP thread count for oneDNN's parallel regions on the calling thread (Debian's libdnnl is
// built with DNNL_CPU_RUNTIME=OMP). Throws np::Error when the count is not positive.
void set_threads(int threads);
// The OpenMP runtime's default thread count, or 0 when the runtime was not found.
int default_threads();
// "OpenMP (libgomp)": how oneDNN parallelises in this build.
std::string threading_runtime();

// The effective instruction set oneDNN dispatches to, e.g. "avx512_core_bf16".
std::string isa_name(dnnl::cpu_isa isa);
// Whether oneDNN can run bf16 primitives on this CPU (avx512_core and newer).
bool supports_bf16();

template <typename Body>
auto with_context(const std::string& context, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (...) {
    rethrow_translated(context);
  }
}

}  // namespace np::cpu
