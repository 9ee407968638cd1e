#pragma once
// What `profile layers` measures (docs/profiling.md, "Sampling plans"):
//
//   nets    the modelled layers of the training networks at a sweep of batch sizes, the
//           paper's way of collecting data (section 3.3); the test networks and the modern
//           held-out networks never feed the layer dataset unless asked;
//   random  one-layer networks drawn from realistic ranges per layer kind, to fill the feature
//           space between the zoo's layers;
//   both    the two, and the coverage grids (coverage_layers.hpp) for the ranges neither
//           reaches (a random plan alone is the N draws asked for, nothing more).
//
// Every configuration is a one-layer Network (input layers + the layer) built with the IR, so
// its features come from named_features() exactly as at prediction time, and it is identified
// by a canonical text (the dataset's `config` column, the resume key). Plans are deterministic
// for a seed, de-duplicated by that text and put in a space-filling order (plan_order.hpp), so
// that any prefix (a run capped by count or cut short by its time budget) covers every kind
// and the range of its features.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "neuralpower/network.hpp"
#include "neuralpower/plan_order.hpp"
#include "neuralpower/seed.hpp"

namespace np {

// One configuration to measure.
struct LayerConfig {
  std::string config;                // canonical text (config_text), the resume key
  LayerKind kind = LayerKind::conv;  // of the measured layer
  Network net;                       // input layers, then the measured layer (the last one)
  std::string source_network;        // plan nets: the zoo network it came from; empty for random
  std::string source_layer;
  int64_t tensor_bytes = 0;  // inputs + output + weights, in the network's data type
  int64_t flops = 0;

  int layer_id() const { return net.size() - 1; }
};

enum class PlanKind { nets, random, both };
std::string_view to_string(PlanKind kind);
PlanKind plan_kind_from_string(std::string_view name);  // throws np::Error naming the text

// The paper's test networks (section 4.2) and the modern networks held out for evaluation.
const std::vector<std::string>& paper_test_networks();
const std::vector<std::string>& modern_held_out_networks();
// Zoo networks that are twins of a test network (the same layer configurations under another
// name): excluded with the test networks, or the test set would leak into training.
const std::vector<std::string>& test_network_twins();
bool is_held_out_network(const std::string& name);
// Every zoo network that trains by default: the zoo minus the held-out ones, in zoo order.
std::vector<std::string> default_training_networks();

struct PlanOptions {
  PlanKind kind = PlanKind::both;
  std::vector<int64_t> batches{1, 2, 4, 8, 16, 32, 64, 128, 256};
  std::vector<std::string> networks;  // empty: default_training_networks()
  bool include_test_networks =
      false;                    // allows held-out networks in `networks`, adds them by default
  int64_t random_count = 1000;  // random configurations drawn (before the caps)
  bool coverage = true;         // the coverage grids, in a `both` plan
  PlanOrder order = PlanOrder::space_filling;
  uint64_t seed = kDefaultSeed;
  int64_t max_configs = 0;                      // 0: no cap
  int64_t max_tensor_bytes = int64_t{4} << 30;  // drop configurations above (0: no cap)
  int64_t max_flops = 0;                        // drop configurations above (0: no cap)
  DataType dtype = DataType::fp32;
};

struct Plan {
  std::vector<LayerConfig> configs;
  int64_t duplicates = 0;             // configurations seen more than once (kept once)
  int64_t over_memory_cap = 0;        // dropped by max_tensor_bytes
  int64_t over_flops_cap = 0;         // dropped by max_flops
  int64_t beyond_max_configs = 0;     // dropped by max_configs
  std::vector<std::string> networks;  // the networks plan nets used
};

// Throws np::Error naming the network when a held-out network is asked for without
// include_test_networks, or when a network cannot be loaded.
Plan make_plan(const PlanOptions& options);

}  // namespace np
