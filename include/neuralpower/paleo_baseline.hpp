#pragma once
// The analytical baseline the paper compares with: Paleo (Qi, Sparks & Talwalkar, "Paleo: a
// performance model for deep neural networks", ICLR 2017), forward pass, FLOP-based (GEMM)
// estimator, as in paleo/profilers/flops_profiler.py:
//
//   compute time = FLOPs / peak FLOP/s,  memory time = bytes / 2^30 / bandwidth (GB/s),
//   each divided by a percent-of-peak factor and floored at one clock period; each tensor's
//   transfer (input, weights, output) is floored on its own; layer time = compute + memory.
//
//   conv:    FLOPs = 2 kh kw (C_in/groups) H_out W_out C_out N; bytes = input + filters + output
//   pool:    FLOPs = 2 kh kw C H_out W_out N;                    bytes = input + output
//   fc:      FLOPs = 2 N K M (input flattened to N x K);         bytes = X + W + Y
//   dropout: FLOPs = elements;                                   bytes = input + output
//   other kinds: zero (Paleo does not model them). Floats are 4 bytes.
#include <string>
#include <vector>

#include "neuralpower/network.hpp"
#include "neuralpower/predict.hpp"

namespace np {

// The GPU `predict --baseline paleo` assumes without --gpu.
inline constexpr const char* kDefaultPaleoGpu = "h100-sxm";

struct GpuSpec {
  std::string id;
  std::string name;
  double clock_mhz = 0;
  double peak_gflops = 0;
  double bandwidth_gbps = 0;
  std::string source;
};

// Shipped specs (data/gpu_specs.json, or $NEURALPOWER_DATA/gpu_specs.json).
std::vector<GpuSpec> shipped_gpu_specs();
// An id from the shipped specs, or a path to a JSON file holding one spec object.
GpuSpec find_gpu_spec(const std::string& id_or_path);

struct PaleoOptions {
  double compute_percent_of_peak = 1.0;  // Paleo's ppp_comp
  double memory_percent_of_peak = 1.0;
  // Count the conv input with its zero padding: with it, the paper's Table 4 Paleo column is
  // reproduced (VGG-16 345.83 ms, AlexNet 33.16); Paleo's own code counts the unpadded input.
  bool padded_input = true;
};

struct PaleoLayerTime {
  double flops = 0;
  double bytes = 0;
  double compute_ms = 0;
  double memory_ms = 0;
  double total_ms() const { return compute_ms + memory_ms; }
};

std::vector<PaleoLayerTime> paleo_layer_times(const Network& net, const GpuSpec& gpu,
                                              const PaleoOptions& options = {});
double paleo_network_ms(const Network& net, const GpuSpec& gpu, const PaleoOptions& options = {});

// The baseline's per-layer times as a prediction (runtime only): what `predict --baseline
// paleo` reports.
NetworkPrediction paleo_prediction(const Network& net, const GpuSpec& gpu);

}  // namespace np
