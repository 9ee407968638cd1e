#include "neuralpower/deepbench_import.hpp"

#include <cctype>
#include <stdexcept>

#include "neuralpower/csv.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/network.hpp"

namespace np {
namespace {

// "NVIDIA Tesla P100" -> "p100"
std::string short_gpu(const std::string& gpu) {
  const auto space = gpu.find_last_of(' ');
  std::string s = space == std::string::npos ? gpu : gpu.substr(space + 1);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// DeepBench's precision names: "Float" is fp32; "16 bit inputs, ..." is fp16 (tensor cores
// on V100, fp32 multiply on P100: the library string keeps DeepBench's wording).
std::string dtype_of(const std::string& precision, const std::string& where) {
  if (precision == "Float") return "fp32";
  if (precision.rfind("16 bit inputs", 0) == 0) return "fp16";
  throw Error(where + ": unknown precision '" + precision + "'");
}

}  // namespace

std::vector<DeepBenchSet> import_deepbench(const std::string& text, const std::string& name) {
  CsvReader csv(text, name, "a DeepBench CSV with a header line");
  const std::vector<std::string> needed{"gpu",        "cudnn",   "cuda",  "precision", "W",
                                        "H",          "C",       "N",     "K",         "S_filter_w",
                                        "R_filter_h", "pad_w",   "pad_h", "stride_w",  "stride_h",
                                        "fwd_ms",     "fwd_algo"};
  std::map<std::string, size_t> at;
  for (const auto& column : needed) {
    const auto index = csv.column(column);
    if (!index) throw Error(name + ": no column '" + column + "'");
    at[column] = *index;
  }
  std::vector<DeepBenchSet> sets;
  while (csv.next()) {
    const auto& cells = csv.cells();
    const std::string where = csv.where();
    auto integer = [&](const std::string& column) {
      try {
        size_t used = 0;
        const long long v = std::stoll(cells[at[column]], &used);
        if (used != cells[at[column]].size()) throw std::invalid_argument(column);
        return static_cast<int64_t>(v);
      } catch (const std::exception&) {
        throw Error(where + ": column " + column + " is '" + cells[at[column]] +
                    "', not an integer");
      }
    };
    const std::string dtype = dtype_of(cells[at["precision"]], where);
    const std::string set_name = short_gpu(cells[at["gpu"]]) + "-" + dtype;
    double runtime = 0;
    try {
      runtime = std::stod(cells[at["fwd_ms"]]);
    } catch (const std::exception&) {
      throw Error(where + ": fwd_ms is '" + cells[at["fwd_ms"]] + "'");
    }

    const int64_t batch = integer("N");
    Network net(set_name + "/conv", batch, dtype == "fp16" ? DataType::fp16 : DataType::fp32);
    Layer in;
    in.name = "x0";
    in.kind = LayerKind::input;
    in.op = "Input";
    in.attrs = InputAttrs{Shape{integer("C"), integer("H"), integer("W")}};
    const int input = net.add(std::move(in));
    ConvAttrs conv;
    conv.out_channels = integer("K");
    conv.kernel_h = integer("R_filter_h");
    conv.kernel_w = integer("S_filter_w");
    conv.stride_h = integer("stride_h");
    conv.stride_w = integer("stride_w");
    conv.pad_top = conv.pad_bottom = integer("pad_h");
    conv.pad_left = conv.pad_right = integer("pad_w");
    conv.bias = false;  // DeepBench times the convolution alone
    Layer layer;
    layer.name = "conv";
    layer.kind = LayerKind::conv;
    layer.op = "Conv";
    layer.inputs = {input};
    layer.attrs = conv;
    const int id = net.add(std::move(layer));
    try {
      net.infer_shapes();
    } catch (...) {
      rethrow_with_context(where);
    }

    LayerMeasurement m;
    m.kind = LayerKind::conv;
    m.config = "deepbench conv N=" + std::to_string(batch) + " C=" + cells[at["C"]] +
               " H=" + cells[at["H"]] + " W=" + cells[at["W"]] + " K=" + cells[at["K"]] +
               " R=" + cells[at["R_filter_h"]] + " S=" + cells[at["S_filter_w"]] +
               " pad=" + cells[at["pad_h"]] + "," + cells[at["pad_w"]] +
               " stride=" + cells[at["stride_h"]] + "," + cells[at["stride_w"]] + " " + dtype;
    m.features = named_features(net, id);
    m.runtime_ms = runtime;
    m.trials = 0;  // DeepBench reports one time per configuration
    m.algorithm = cells[at["fwd_algo"]];
    m.platform.device = cells[at["gpu"]];
    m.platform.backend = "cuda";
    m.platform.dtype = dtype;
    m.platform.math_mode = cells[at["precision"]];
    m.platform.runtime_version = "CUDA " + cells[at["cuda"]];
    m.platform.library_version = "cuDNN " + cells[at["cudnn"]];
    m.platform.tool_version = "DeepBench (da81ba7)";
    m.platform.clocks_locked = "unknown";
    DeepBenchSet* set = nullptr;
    for (auto& s : sets) {
      if (s.name == set_name) set = &s;
    }
    if (!set) set = &sets.emplace_back(DeepBenchSet{set_name, {}});
    set->rows.push_back(std::move(m));
  }
  return sets;
}

}  // namespace np
