#pragma once
// Many networks at many batch sizes from one compiled model, network totals only (eqs. 3-5):
// what an architecture search calls in its loop (the Python package's predict_many). No names,
// no flag strings, no per-layer report: a network costs its layers' estimates, and each batch
// other than its own one shape inference.
#include <cstdint>
#include <optional>
#include <vector>

#include "neuralpower/compiled_model.hpp"
#include "neuralpower/network.hpp"

namespace np {

struct NetworkTotals {
  int64_t batch = 0;
  double runtime_ms = 0;            // eq. 3
  std::optional<double> power_w;    // eq. 4, over the layers that have a power prediction
  std::optional<double> energy_mj;  // eq. 5, the same layers
  double runtime_without_power_ms = 0;
  int layers = 0;                // every layer but the inputs
  int layers_without_model = 0;  // no runtime model for their kind (no-model, unmodelled): 0 ms
};

// The totals predict_network reports, from the layer estimates of `net` (CompiledModel::estimate).
NetworkTotals network_totals(const Network& net, const std::vector<LayerEstimate>& estimates);

// Every network at every batch of `batches` (at its own batch when `batches` is empty),
// network-major: the totals of networks[i] at batches[j] are at i * batches.size() + j. Throws
// np::Error for a batch that is not positive, naming it, and for a null network.
std::vector<NetworkTotals> predict_many(const std::vector<const Network*>& networks,
                                        const std::vector<int64_t>& batches,
                                        const CompiledModel& model);

}  // namespace np
