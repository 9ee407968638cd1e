#include "backends/cpu/dnnl_support.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <new>
#include <sstream>

namespace np::cpu {

using tag = dnnl::memory::format_tag;

dnnl::memory::data_type dnnl_type(DataType type) {
  switch (type) {
    case DataType::fp32:
      return dnnl::memory::data_type::f32;
    case DataType::bf16:
      return dnnl::memory::data_type::bf16;
    default:
      throw UnsupportedLayer("data type " + std::string(to_string(type)) +
                             " is not supported by the cpu backend (fp32 or bf16)");
  }
}

dnnl::memory::dims to_dims(const Shape& shape) { return {shape.begin(), shape.end()}; }

dnnl::memory::desc plain_desc(const Shape& shape, dnnl::memory::data_type type) {
  static const tag kPlainTags[] = {tag::a, tag::ab, tag::abc, tag::abcd, tag::abcde, tag::abcdef};
  if (shape.empty() || shape.size() > std::size(kPlainTags)) {
    throw UnsupportedLayer("tensor of rank " + std::to_string(shape.size()) +
                           " (the cpu backend handles ranks 1 to 6)");
  }
  return {to_dims(shape), type, kPlainTags[shape.size() - 1]};
}

dnnl::memory::desc tensor_desc(const Shape& shape, Layout layout, dnnl::memory::data_type type) {
  if (layout == Layout::channels_last) {
    if (shape.size() != 4) {
      throw Error("internal: channels-last layout for a tensor of rank " +
                  std::to_string(shape.size()));
    }
    return {to_dims(shape), type, tag::acdb};
  }
  return plain_desc(shape, type);
}

bool is_physically_plain(const Shape& shape, Layout layout) {
  return layout == Layout::plain || shape[1] == 1 || shape[2] * shape[3] == 1;
}

namespace {

uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  // No /proc: fall back to the physical memory.
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) return static_cast<uint64_t>(pages) * page_size;
  return uint64_t{1} << 32;
}

}  // namespace

MemoryBudget::MemoryBudget() : limit_(available_memory_bytes() / 10 * 8) {}

void MemoryBudget::reserve(uint64_t bytes, const std::string& what) {
  if (bytes > limit_ || used_ > limit_ - bytes) {
    throw DeviceOutOfMemory(what + " needs " + std::to_string(bytes >> 20) + " MiB more, " +
                            std::to_string(used_ >> 20) + " MiB already taken of the " +
                            std::to_string(limit_ >> 20) + " MiB that may be used (80% of " +
                            "MemAvailable)");
  }
  used_ += bytes;
}

dnnl::memory allocate(const dnnl::memory::desc& desc, const dnnl::engine& engine,
                      MemoryBudget& budget, const std::string& what) {
  budget.reserve(desc.get_size(), what);
  return dnnl::memory(desc, engine);
}

void rethrow_translated(const std::string& context) {
  const std::string prefix = context.empty() ? std::string() : context + ": ";
  try {
    throw;
  } catch (const Error&) {
    if (context.empty()) throw;
    rethrow_with_context(context);  // keeps UnsupportedLayer and DeviceOutOfMemory
  } catch (const dnnl::error& e) {
    if (e.status == dnnl_out_of_memory) throw DeviceOutOfMemory(prefix + "oneDNN: " + e.what());
    if (e.status == dnnl_unimplemented || e.status == dnnl_invalid_arguments) {
      throw UnsupportedLayer(prefix + "oneDNN: " + e.what());
    }
    throw Error(prefix + "oneDNN: " + e.what() + " (status " + std::to_string(e.status) + ")");
  } catch (const std::bad_alloc&) {
    throw DeviceOutOfMemory(prefix + "out of host memory");
  } catch (const std::exception& e) {
    throw Error(prefix + e.what());
  }
}

namespace {

// libgomp is loaded because libdnnl depends on it; look its functions up at run time so that
// this library needs no OpenMP flags of its own.
struct OpenMpRuntime {
  void (*set_num_threads)(int) = nullptr;
  int (*get_max_threads)() = nullptr;
  OpenMpRuntime() {
    set_num_threads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    get_max_threads = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  }
};

const OpenMpRuntime& openmp() {
  static const OpenMpRuntime runtime;
  return runtime;
}

}  // namespace

void set_threads(int threads) {
  if (threads <= 0) {
    throw Error("cpu backend: threads must be positive, got " + std::to_string(threads));
  }
#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
  if (openmp().set_num_threads) openmp().set_num_threads(threads);
#endif
}

int default_threads() {
#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
  if (openmp().get_max_threads) return openmp().get_max_threads();
#endif
  return 0;
}

std::string threading_runtime() {
#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
  return openmp().set_num_threads ? "OpenMP"
                                  : "OpenMP (omp_set_num_threads not found: thread count not set)";
#elif DNNL_CPU_RUNTIME == DNNL_RUNTIME_TBB
  return "TBB (thread count not set)";
#elif DNNL_CPU_RUNTIME == DNNL_RUNTIME_SEQ
  return "sequential";
#else
  return "threadpool (thread count not set)";
#endif
}

std::string isa_name(dnnl::cpu_isa isa) {
  using dnnl::cpu_isa;
  switch (isa) {
    case cpu_isa::all:
      return "all (no vector ISA)";
    case cpu_isa::sse41:
      return "sse41";
    case cpu_isa::avx:
      return "avx";
    case cpu_isa::avx2:
      return "avx2";
    case cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case cpu_isa::avx512_mic:
      return "avx512_mic";
    case cpu_isa::avx512_mic_4ops:
      return "avx512_mic_4ops";
    case cpu_isa::avx512_core:
      return "avx512_core";
    case cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
  }
  return "isa " + std::to_string(static_cast<int>(isa));
}

bool supports_bf16() {
  // oneDNN 2.x runs bf16 on avx512_core (emulated) and natively from avx512_core_bf16; the
  // avx512_core bit pattern is a subset of every newer avx512 ISA's.
  const auto effective = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto core = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (effective & core) == core;
}

}  // namespace np::cpu
