// Prediction speed: a whole ResNet-50 from a loaded model and network. Target (issue 3):
// >= 5,000,000 layer predictions per second on one core; the Paleo reference implementation
// does about 93,000 per second on this machine.
#include <benchmark/benchmark.h>

#include "neuralpower/compiled_model.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/predict.hpp"
#include "neuralpower/train.hpp"
#include "synthetic_rows.hpp"

namespace {

const np::ModelFile& model() {
  static const np::ModelFile file = [] {
    const auto rows = np::bench::synthetic_rows(
        {"resnet18", "mobilenet_v2", "vgg-19", "googlenet-2014", "alexnet-2012"}, {1, 8, 32},
        100000);
    np::TrainOptions options;
    options.max_degree = 3;
    options.folds = 5;
    np::TrainReport report;
    return np::train_models(rows, {"synthetic"}, options, report);
  }();
  return file;
}

const np::Network& resnet50() {
  static const np::Network net = np::load_network("resnet50", {});
  return net;
}

int64_t modelled_layers(const np::Network& net) {
  int64_t n = 0;
  for (const auto& layer : net.layers()) n += layer.kind != np::LayerKind::input;
  return n;
}

void BM_EstimateResNet50(benchmark::State& state) {
  const np::CompiledModel compiled(model());
  const np::Network& net = resnet50();
  std::vector<np::LayerEstimate> out;
  for (auto _ : state) {
    compiled.estimate(net, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["layers/s"] = benchmark::Counter(
      static_cast<double>(modelled_layers(net)) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EstimateResNet50);

void BM_PredictNetworkReportResNet50(benchmark::State& state) {
  const np::Network& net = resnet50();
  for (auto _ : state) {
    auto p = np::predict_network(net, model(), "m");
    benchmark::DoNotOptimize(p.runtime_ms);
  }
  state.counters["layers/s"] = benchmark::Counter(
      static_cast<double>(modelled_layers(net)) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PredictNetworkReportResNet50);

}  // namespace
