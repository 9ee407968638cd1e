// The oneDNN backend: single layers and whole networks prepared on the CPU engine, timed with
// a steady clock (oneDNN's CPU stream runs each primitive to completion on the calling thread,
// and the stream is waited on before the clock is read).
#include <algorithm>
#include <chrono>
#include <limits>

#include "backends/common/canonical_data.hpp"
#include "backends/cpu/cpu_device.hpp"
#include "backends/cpu/cpu_factory.hpp"
#include "backends/cpu/cpu_inspect.hpp"
#include "backends/cpu/layer_program.hpp"

namespace np {
namespace cpu {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void check_iterations(int iterations) {
  if (iterations < 0) {
    throw Error("cpu backend: iterations must not be negative, got " + std::to_string(iterations));
  }
}

// Runs `run_once` back to back (at least once) until `seconds` have passed; returns the runs.
template <typename RunOnce>
int64_t run_back_to_back(double seconds, int threads, RunOnce&& run_once) {
  if (!(seconds >= 0) || seconds > 86400) {
    throw Error("cpu backend: run_for needs 0 to 86400 seconds, got " + std::to_string(seconds));
  }
  set_threads(threads);
  const auto start = Clock::now();
  int64_t runs = 0;
  do {
    run_once();
    ++runs;
  } while (elapsed_ms(start) < seconds * 1000);
  return runs;
}

// Everything a prepared layer or network owns: the engine, one stream, the budget.
std::unique_ptr<CpuContext> make_context(const dnnl::engine& engine, const RunSettings& settings) {
  const dnnl::memory::data_type type = dnnl_type(settings.dtype);
  if (settings.dtype == DataType::bf16 && !supports_bf16()) {
    throw UnsupportedLayer("bf16 needs avx512_core or newer; oneDNN runs this cpu as " +
                           isa_name(dnnl::get_effective_cpu_isa()));
  }
  set_threads(settings.threads);  // before primitives are created: they plan for it
  auto ctx = std::make_unique<CpuContext>();
  ctx->engine = engine;
  ctx->stream = dnnl::stream(engine);
  ctx->type = type;
  return ctx;
}

// The output of an input or unmodelled layer: its canonical data.
TensorRef data_tensor(CpuContext& ctx, const Network& net, int layer_id, const std::string& what) {
  const Layer& layer = net.layer(layer_id);
  TensorRef tensor{layer.output_shape, Layout::plain, {}};
  tensor.memory =
      allocate(tensor_desc(tensor.shape, tensor.layout, ctx.type), ctx.engine, ctx.budget, what);
  write_tensor(ctx, tensor.memory, tensor.shape, canonical_layer_data(net, layer_id).values());
  return tensor;
}

class CpuPreparedLayer final : public PreparedLayer {
 public:
  CpuPreparedLayer(const dnnl::engine& engine, const Network& net, int layer_id,
                   const RunSettings& settings)
      : threads_(settings.threads) {
    const std::vector<Shape> shapes = checked_input_shapes(net, layer_id);
    const Layer& layer = net.layer(layer_id);
    const std::string context =
        "layer '" + layer.name + "' (" + std::string(to_string(layer.kind)) + ")";
    ctx_ = with_context(context, [&] { return make_context(engine, settings); });
    // Inputs in the layouts a network run hands them (for network inputs, those of the layers
    // that would compute them), filled with the canonical data; the output in the layout the
    // layer gives those inputs.
    const std::vector<Layout> input_layouts = prepared_input_layouts(net, layer_id);
    const auto canonical = canonical_inputs(shapes);
    for (size_t k = 0; k < shapes.size(); ++k) {
      TensorRef x{shapes[k], input_layouts[k], {}};
      x.memory = with_context(context, [&] {
        return allocate(tensor_desc(x.shape, x.layout, ctx_->type), ctx_->engine, ctx_->budget,
                        context + " input " + std::to_string(k));
      });
      with_context(context, [&] { write_tensor(*ctx_, x.memory, x.shape, canonical[k].values()); });
      inputs_.push_back(std::move(x));
    }
    const Layout out_layout = output_layout(layer, shapes, input_layouts);
    if (output_is_data(layer)) {
      output_ = with_context(context, [&] { return data_tensor(*ctx_, net, layer_id, context); });
      return;
    }
    if (output_is_view(layer, inputs_)) {
      output_ = view_output(layer, inputs_.at(0), out_layout);
      return;
    }
    output_ = TensorRef{layer.output_shape, out_layout, {}};
    output_.memory = with_context(context, [&] {
      return allocate(tensor_desc(output_.shape, out_layout, ctx_->type), ctx_->engine,
                      ctx_->budget, context + " output");
    });
    program_ = build_layer(*ctx_, layer, inputs_, output_);
    // One run now: page faults, lazy initialisation and cold caches stay out of the timings.
    with_context(context, [&] { run_once(); });
  }

  double timed_runs(int iterations) override {
    check_iterations(iterations);
    set_threads(threads_);
    const auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) program_.execute(ctx_->stream);
    ctx_->stream.wait();
    return elapsed_ms(start);
  }

  int64_t run_for(double seconds) override {
    return run_back_to_back(seconds, threads_, [this] {
      program_.execute(ctx_->stream);
      ctx_->stream.wait();
    });
  }

  std::string algorithm() const override { return program_.algorithm(); }

  std::vector<float> output() override {
    run_once();
    return read_tensor(*ctx_, output_);
  }

 private:
  void run_once() {
    set_threads(threads_);
    program_.execute(ctx_->stream);
    ctx_->stream.wait();
  }

  int threads_ = 1;
  std::unique_ptr<CpuContext> ctx_;
  std::vector<TensorRef> inputs_;
  TensorRef output_;
  LayerProgram program_;
};

// Activation buffers of a network run, reused once every reader of a tensor has run (as a
// framework's caching allocator does); network inputs and unmodelled layers' data are kept.
class BufferPool {
 public:
  explicit BufferPool(CpuContext& ctx) : ctx_(ctx) {}

  // A buffer of at least `bytes`: the smallest free one that fits, or a new one.
  int acquire(size_t bytes, const std::string& what) {
    int best = -1;
    for (int id : free_) {
      const size_t size = buffers_[static_cast<size_t>(id)].get_desc().get_size();
      if (size >= bytes &&
          (best < 0 || size < buffers_[static_cast<size_t>(best)].get_desc().get_size())) {
        best = id;
      }
    }
    if (best >= 0) {
      free_.erase(std::find(free_.begin(), free_.end(), best));
      return best;
    }
    const dnnl::memory::desc desc({static_cast<dnnl::memory::dim>(bytes)},
                                  dnnl::memory::data_type::u8, dnnl::memory::format_tag::a);
    buffers_.push_back(allocate(desc, ctx_.engine, ctx_.budget, what));
    return static_cast<int>(buffers_.size()) - 1;
  }
  void release(int id) { free_.push_back(id); }
  const dnnl::memory& buffer(int id) const { return buffers_[static_cast<size_t>(id)]; }

 private:
  CpuContext& ctx_;
  std::vector<dnnl::memory> buffers_;
  std::vector<int> free_;
};

class CpuPreparedNetwork final : public PreparedNetwork {
 public:
  CpuPreparedNetwork(const dnnl::engine& engine, const Network& net, const RunSettings& settings)
      : threads_(settings.threads) {
    if (net.size() == 0) throw Error("network '" + net.name() + "' has no layers");
    for (int id = 0; id < net.size(); ++id) checked_input_shapes(net, id);
    ctx_ = with_context("network '" + net.name() + "'",
                        [&] { return make_context(engine, settings); });
    const std::vector<Layout> layouts = network_layouts(net);
    const size_t count = static_cast<size_t>(net.size());

    // Which buffer holds each layer's output (views share their input's), and the last layer
    // reading each buffer; kept buffers are never released.
    pool_ = std::make_unique<BufferPool>(*ctx_);
    BufferPool& pool = *pool_;
    std::vector<int> buffer_of(count, -1);
    std::vector<int> last_reader(count, -1);
    for (int id = 0; id < net.size(); ++id) {
      for (int input : net.layer(id).inputs) last_reader[static_cast<size_t>(input)] = id;
    }
    std::vector<int> buffer_last_use;  // by buffer id
    std::vector<bool> buffer_kept;
    tensors_.resize(count);
    programs_.resize(count);
    for (int id = 0; id < net.size(); ++id) {
      const Layer& layer = net.layer(id);
      const auto index = static_cast<size_t>(id);
      const std::string context = "network '" + net.name() + "': layer '" + layer.name + "' (" +
                                  std::string(to_string(layer.kind)) + ")";
      std::vector<TensorRef> inputs;
      for (int input : layer.inputs) inputs.push_back(tensors_[static_cast<size_t>(input)]);
      const bool view = output_is_view(layer, inputs);
      if (view) {
        tensors_[index] = view_output(layer, inputs.at(0), layouts[index]);
        buffer_of[index] = buffer_of[static_cast<size_t>(layer.inputs[0])];
      } else {
        TensorRef out{layer.output_shape, layouts[index], {}};
        const dnnl::memory::desc desc =
            with_context(context, [&] { return tensor_desc(out.shape, out.layout, ctx_->type); });
        const int buffer =
            with_context(context, [&] { return pool.acquire(desc.get_size(), context); });
        out.memory = dnnl::memory(desc, ctx_->engine, pool.buffer(buffer).get_data_handle());
        buffer_of[index] = buffer;
        if (static_cast<size_t>(buffer) >= buffer_last_use.size()) {
          buffer_last_use.resize(static_cast<size_t>(buffer) + 1, -1);
          buffer_kept.resize(static_cast<size_t>(buffer) + 1, false);
        }
        buffer_last_use[static_cast<size_t>(buffer)] = id;
        tensors_[index] = out;
        if (output_is_data(layer)) {
          buffer_kept[static_cast<size_t>(buffer)] = true;
          with_context(context, [&] {
            write_tensor(*ctx_, out.memory, out.shape, canonical_layer_data(net, id).values());
          });
        } else {
          programs_[index] = build_layer(*ctx_, layer, inputs, out);
        }
      }
      const auto buffer = static_cast<size_t>(buffer_of[index]);
      buffer_last_use[buffer] = std::max(buffer_last_use[buffer], last_reader[index]);
      // Release the buffers whose last reader is this layer (after its output was placed).
      for (int input : layer.inputs) {
        const auto b = static_cast<size_t>(buffer_of[static_cast<size_t>(input)]);
        if (buffer_last_use[b] == id && !buffer_kept[b]) {
          buffer_last_use[b] = std::numeric_limits<int>::max();  // released once
          pool.release(static_cast<int>(b));
        }
      }
    }
    run_all();  // warm-up: page faults and cold caches stay out of the timings
  }

  double timed_runs(int iterations) override {
    check_iterations(iterations);
    set_threads(threads_);
    const auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) {
      for (const auto& program : programs_) program.execute(ctx_->stream);
    }
    ctx_->stream.wait();
    return elapsed_ms(start);
  }

  int64_t run_for(double seconds) override {
    return run_back_to_back(seconds, threads_, [this] { run_all(); });
  }

  std::vector<double> timed_layers(int iterations) override {
    check_iterations(iterations);
    set_threads(threads_);
    std::vector<double> total(programs_.size(), 0.0);
    for (int i = 0; i < iterations; ++i) {
      for (size_t k = 0; k < programs_.size(); ++k) {
        if (programs_[k].empty()) continue;
        const auto start = Clock::now();
        programs_[k].execute(ctx_->stream);
        ctx_->stream.wait();
        total[k] += elapsed_ms(start);
      }
    }
    if (iterations > 0) {
      for (double& t : total) t /= iterations;
    }
    return total;
  }

  std::vector<float> layer_output(int layer_id) {
    if (layer_id < 0 || static_cast<size_t>(layer_id) >= tensors_.size()) {
      throw Error("layer id " + std::to_string(layer_id) + " is out of range");
    }
    return read_tensor(*ctx_, tensors_[static_cast<size_t>(layer_id)]);
  }

 private:
  void run_all() {
    set_threads(threads_);
    for (const auto& program : programs_) program.execute(ctx_->stream);
    ctx_->stream.wait();
  }

  int threads_ = 1;
  std::unique_ptr<CpuContext> ctx_;
  std::unique_ptr<BufferPool> pool_;  // owns the activation buffers the tensors view
  std::vector<TensorRef> tensors_;
  std::vector<LayerProgram> programs_;
};

class CpuBackend final : public Backend {
 public:
  CpuBackend() : engine_(dnnl::engine::kind::cpu, 0) {}

  DeviceInfo device() const override { return cpu_device_info(); }

  std::string run_device_name(const RunSettings& settings) const override {
    std::string name = device().name;
    if (name.find("thread") == std::string::npos) {
      name += " (" + std::to_string(settings.threads) +
              (settings.threads == 1 ? " thread)" : " threads)");
    }
    return name;
  }

  // oneDNN runs on the calling thread (and its OpenMP workers): a trial is disturbed when that
  // thread was preempted or lost time to other work.
  std::unique_ptr<TrialMonitor> trial_monitor(const RunSettings& settings) const override {
    return thread_preemption_monitor(settings.threads);
  }

  std::unique_ptr<PreparedLayer> prepare(const Network& net, int layer_id,
                                         const RunSettings& settings) override {
    return std::make_unique<CpuPreparedLayer>(engine_, net, layer_id, settings);
  }

  std::unique_ptr<PreparedNetwork> prepare_network(const Network& net,
                                                   const RunSettings& settings) override {
    return std::make_unique<CpuPreparedNetwork>(engine_, net, settings);
  }

 private:
  dnnl::engine engine_;
};

}  // namespace

std::vector<float> network_layer_output(PreparedNetwork& prepared, int layer_id) {
  auto* network = dynamic_cast<CpuPreparedNetwork*>(&prepared);
  if (!network) throw Error("not a network prepared by the cpu backend");
  return network->layer_output(layer_id);
}

}  // namespace cpu

BackendDefaults cpu_backend_defaults() {
  BackendDefaults d;
  d.max_plan_flops = int64_t{20'000'000'000};  // about a second per layer on one core
  return d;
}

std::unique_ptr<Backend> make_cpu_backend(int device_index) {
  if (device_index != 0) {
    throw Error("cpu backend has one device (index 0), got index " + std::to_string(device_index));
  }
  return cpu::with_context("cpu backend",
                           [] { return std::unique_ptr<Backend>(new cpu::CpuBackend()); });
}

}  // namespace np
