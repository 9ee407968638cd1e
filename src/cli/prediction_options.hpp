#pragma once
// What `predict` and `report` share: where the prediction comes from (a model file, or the Paleo
// baseline on a GPU spec).
#include <CLI/CLI.hpp>
#include <string>

#include "neuralpower/network.hpp"
#include "neuralpower/paleo_baseline.hpp"
#include "neuralpower/predict.hpp"

namespace np::cli {

struct PredictionSource {
  std::string model;
  std::string baseline;
  std::string gpu = kDefaultPaleoGpu;

  void add_to(CLI::App& command);
  NetworkPrediction predict(const Network& net) const;
};

// Writes a report page to `path` (atomic replace) and says so on stderr.
void write_page(const std::string& path, const std::string& page, const std::string& what);

}  // namespace np::cli
