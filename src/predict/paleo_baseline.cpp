#include "neuralpower/paleo_baseline.hpp"

#include <algorithm>

#include "neuralpower/data_dir.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/json.hpp"
#include "neuralpower/text_file.hpp"

namespace np {
namespace {

constexpr double kFloatBytes = 4.0;

using json::Json;
using json::ObjectReader;

GpuSpec spec_from_json(const Json& j, const std::string& where) {
  GpuSpec spec;
  try {
    ObjectReader r(j, "a GPU spec");
    spec.id = r.required_string("id");
    spec.name = r.required_string("name");
    spec.clock_mhz = json::to_double(r.required("clock_mhz"), "clock_mhz");
    spec.peak_gflops = json::to_double(r.required("peak_gflops"), "peak_gflops");
    spec.bandwidth_gbps = json::to_double(r.required("bandwidth_gbps"), "bandwidth_gbps");
    spec.source = r.required_string("source");
  } catch (...) {
    rethrow_with_context(where);
  }
  if (spec.clock_mhz <= 0 || spec.peak_gflops <= 0 || spec.bandwidth_gbps <= 0) {
    throw Error(where + ": GPU '" + spec.id + "' needs positive clock, peak and bandwidth");
  }
  return spec;
}

Json read_json(const std::string& path) {
  const std::string text = read_text_file(path);
  try {
    return json::parse_strict(text);
  } catch (...) {
    rethrow_with_context(path);
  }
}

struct PaleoClock {
  const GpuSpec& gpu;
  const PaleoOptions& options;
  double period_ms() const { return 1.0 / gpu.clock_mhz / 1e3; }
  double compute_ms(double flops) const {
    if (flops <= 0) return 0;
    const double ms = flops / 1e9 / gpu.peak_gflops * 1e3 / options.compute_percent_of_peak;
    return std::max(period_ms(), ms);
  }
  double memory_ms(double bytes) const {
    const double ms =
        bytes / (1u << 30) / gpu.bandwidth_gbps * 1e3 / options.memory_percent_of_peak;
    return std::max(period_ms(), ms);
  }
};

double elements(const Shape& s) { return static_cast<double>(element_count(s)); }

}  // namespace

std::vector<GpuSpec> shipped_gpu_specs() {
  const std::string path = env_or("NEURALPOWER_DATA", shipped_path("data")) + "/gpu_specs.json";
  const Json doc = read_json(path);
  if (!doc.is_object() || doc.value("format", "") != "neuralpower-gpu-specs" ||
      doc.value("version", 0) != 1) {
    throw Error(path + ": not a version-1 neuralpower-gpu-specs file");
  }
  std::vector<GpuSpec> specs;
  try {
    for (const auto& j : ObjectReader(doc, "the file").array("gpus")) {
      specs.push_back(spec_from_json(j, path));
    }
  } catch (...) {
    rethrow_with_context(path);
  }
  return specs;
}

GpuSpec find_gpu_spec(const std::string& id_or_path) {
  if (id_or_path.ends_with(".json")) return spec_from_json(read_json(id_or_path), id_or_path);
  const auto specs = shipped_gpu_specs();
  for (const auto& spec : specs) {
    if (spec.id == id_or_path) return spec;
  }
  std::string ids;
  for (const auto& spec : specs) ids += (ids.empty() ? "" : ", ") + spec.id;
  throw Error("unknown GPU '" + id_or_path + "' (shipped: " + ids + "; or give a .json spec)");
}

std::vector<PaleoLayerTime> paleo_layer_times(const Network& net, const GpuSpec& gpu,
                                              const PaleoOptions& options) {
  if (options.compute_percent_of_peak <= 0 || options.memory_percent_of_peak <= 0) {
    throw Error("percent-of-peak factors must be positive");
  }
  const PaleoClock clock{gpu, options};
  std::vector<PaleoLayerTime> times(static_cast<size_t>(net.size()));
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    PaleoLayerTime& t = times[static_cast<size_t>(id)];
    if (layer.inputs.empty()) continue;
    const Shape& in = net.layer(layer.inputs[0]).output_shape;
    const Shape& out = layer.output_shape;
    std::vector<double> transfers;  // bytes of each tensor moved, floored one by one
    switch (layer.kind) {
      case LayerKind::conv: {
        const auto& a = std::get<ConvAttrs>(layer.attrs);
        const double window = static_cast<double>(a.kernel_h * a.kernel_w * (in[1] / a.groups));
        t.flops = 2.0 * window * elements(out);
        double input = elements(in);
        if (options.padded_input) {
          input = static_cast<double>(in[0] * in[1]) *
                  static_cast<double>(in[2] + a.pad_top + a.pad_bottom) *
                  static_cast<double>(in[3] + a.pad_left + a.pad_right);
        }
        transfers = {input, window * static_cast<double>(a.out_channels), elements(out)};
        break;
      }
      case LayerKind::pool: {
        const auto& a = std::get<PoolAttrs>(layer.attrs);
        const double window = a.global ? static_cast<double>(in[2] * in[3])
                                       : static_cast<double>(a.kernel_h * a.kernel_w);
        t.flops = 2.0 * window * elements(out);
        transfers = {elements(in), elements(out)};
        break;
      }
      case LayerKind::fc: {
        const double k = static_cast<double>(in.back());
        const double m = static_cast<double>(out.back());
        t.flops = 2.0 * elements(in) * m;
        transfers = {elements(in), k * m, elements(out)};
        break;
      }
      case LayerKind::dropout:
        t.flops = elements(in);
        transfers = {elements(in), elements(out)};
        break;
      default:
        continue;
    }
    t.compute_ms = clock.compute_ms(t.flops);
    for (double e : transfers) {
      t.bytes += e * kFloatBytes;
      t.memory_ms += clock.memory_ms(e * kFloatBytes);
    }
  }
  return times;
}

NetworkPrediction paleo_prediction(const Network& net, const GpuSpec& gpu) {
  NetworkPrediction p;
  p.network = net.name();
  p.batch = net.batch();
  p.model = "paleo baseline on " + gpu.name;
  const auto times = paleo_layer_times(net, gpu);
  for (int id = 0; id < net.size(); ++id) {
    const Layer& layer = net.layer(id);
    if (layer.kind == LayerKind::input) continue;
    LayerPrediction l;
    l.id = id;
    l.name = layer.name;
    l.kind = layer.kind;
    l.runtime_ms = times[static_cast<size_t>(id)].total_ms();
    if (l.runtime_ms == 0) {
      l.estimate_flags = LayerEstimate::kZeroCost;
      l.flags.push_back("zero-cost");
    }
    p.runtime_ms += l.runtime_ms;
    p.runtime_without_power_ms += l.runtime_ms;
    p.layers.push_back(std::move(l));
  }
  return p;
}

double paleo_network_ms(const Network& net, const GpuSpec& gpu, const PaleoOptions& options) {
  double total = 0;
  for (const auto& t : paleo_layer_times(net, gpu, options)) total += t.total_ms();
  return total;
}

}  // namespace np
