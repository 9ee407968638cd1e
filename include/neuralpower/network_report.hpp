#pragma once
// `neuralpower show`: a network's layers with shapes and analytical costs.
#include <string>

#include <vector>

#include "neuralpower/load.hpp"
#include "neuralpower/network.hpp"
#include "neuralpower/table.hpp"

namespace np {

// Stable machine interface (docs/cli.md): {"network", "batch", "dtype", "layers": [{"name",
// "kind", "op", "inputs", "output_shape", "flops", "params", "bytes", "bytes_read",
// "bytes_written"}], "total": {"flops", "params", "bytes", "layers"}, "unmodelled": [...]}.
std::string network_json(const Network& net);
// Aligned table for people, with SI units and a totals row.
std::string network_table(const Network& net);
std::string network_csv(const Network& net);
// `neuralpower zoo`: the shipped networks and where they are.
std::string zoo_report(const std::string& zoo_folder, const std::vector<ZooEntry>& entries);

// One of the three as `format` asks (markdown is not offered: the table).
std::string network_report(const Network& net, OutputFormat format);

}  // namespace np
