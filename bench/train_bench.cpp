// Model selection speed: all kinds, both targets, degrees 1-4, 10 folds, 100 lambdas, on a
// 2,000-row dataset. Target (issue 3): under 10 s on the 2-core development machine (the
// paper's took up to 20 minutes).
#include <benchmark/benchmark.h>

#include "neuralpower/train.hpp"
#include "synthetic_rows.hpp"

namespace {

const std::vector<np::LayerMeasurement>& rows() {
  static const auto data = np::bench::synthetic_rows(
      {"resnet50", "mobilenet_v2", "densenet121", "vgg-19", "googlenet-2014", "convnext_tiny",
       "efficientnet_b0", "alexnet-2012"},
      {1, 4, 16, 64}, 2000);
  return data;
}

void train(benchmark::State& state, std::vector<np::TargetTreatment> treatments) {
  np::TrainOptions options;
  options.max_degree = 4;
  options.folds = 10;
  options.treatments = std::move(treatments);
  for (auto _ : state) {
    np::TrainReport report;
    auto file = np::train_models(rows(), {"synthetic"}, options, report);
    benchmark::DoNotOptimize(file.kinds.size());
  }
  state.counters["rows"] = static_cast<double>(rows().size());
}

void BM_TrainAllKindsRelative(benchmark::State& state) {
  train(state, {np::TargetTreatment::relative});
}
BENCHMARK(BM_TrainAllKindsRelative)->Unit(benchmark::kSecond)->Iterations(1);

void BM_TrainAllKindsAllTreatments(benchmark::State& state) {
  train(state, {np::TargetTreatment::raw, np::TargetTreatment::relative, np::TargetTreatment::log});
}
BENCHMARK(BM_TrainAllKindsAllTreatments)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
