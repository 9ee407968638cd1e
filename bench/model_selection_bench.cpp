// One full model selection (degrees 1..4, 10 folds, 100 λ) on 2,000 synthetic convolution-like
// rows with 4 special terms: the unit of work `neuralpower train` repeats per layer kind and
// target. 7 features is the paper's convolution runtime model; 10 is this project's widest
// kind (1,000 candidate monomials at degree 4).
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <random>

#include "neuralpower/model_selection.hpp"

namespace {

// Features [batch, H_out, W_out, kernel, C_in, C_out, H_in] and, for 10, [W_in, stride,
// padding]; special terms [FLOPs, input, output and kernel elements]. Runtime ∝ FLOPs and bytes
// plus a launch overhead, with 5% multiplicative noise, so the target spans about four orders
// of magnitude like measured layer runtimes.
np::TrainingData synthetic_convolutions(int rows, int features, unsigned seed) {
  std::mt19937_64 rng(seed);
  const std::array<double, 5> batches{1, 2, 8, 32, 64};
  const std::array<double, 4> kernels{1, 3, 5, 7};
  std::uniform_int_distribution<int> pick_batch(0, 4);
  std::uniform_int_distribution<int> pick_kernel(0, 3);
  std::uniform_int_distribution<int> size(7, 112);
  std::uniform_int_distribution<int> channels(3, 512);
  std::uniform_int_distribution<int> pick_stride(1, 2);
  std::uniform_int_distribution<int> pick_padding(0, 3);
  std::normal_distribution<double> noise(0.0, 0.05);
  np::TrainingData data;
  data.features.resize(rows, features);
  data.special.resize(rows, 4);
  data.target.resize(rows);
  for (int r = 0; r < rows; ++r) {
    const double n = batches[static_cast<std::size_t>(pick_batch(rng))];
    const double k = kernels[static_cast<std::size_t>(pick_kernel(rng))];
    const double h_out = size(rng);
    const double c_in = channels(rng);
    const double c_out = channels(rng);
    const double stride = features > 7 ? pick_stride(rng) : 1.0;
    const double padding = features > 7 ? pick_padding(rng) : 0.0;
    const double h_in = (h_out - 1) * stride + k - 2 * padding;
    const double flops = 2.0 * n * h_out * h_out * c_out * c_in * k * k;
    const double input = n * c_in * h_in * h_in;
    const double output = n * c_out * h_out * h_out;
    const double kernel = c_out * c_in * k * k;
    data.features.row(r).head(7) << n, h_out, h_out, k, c_in, c_out, h_in;
    if (features > 7) data.features.row(r).tail(3) << h_in, stride, padding;
    data.special.row(r) << flops, input, output, kernel;
    const double runtime_ms = 2e-10 * flops + 4e-9 * (input + output + kernel) + 0.005;
    data.target(r) = runtime_ms * std::exp(noise(rng));
  }
  return data;
}

void run_selection(benchmark::State& state, std::vector<np::TargetTreatment> treatments) {
  const np::TrainingData data = synthetic_convolutions(2000, static_cast<int>(state.range(0)), 7);
  np::SelectionOptions options;
  options.max_degree = 4;
  for (auto _ : state) {
    np::ModelSelection selection = np::select_model(data, treatments, options);
    benchmark::DoNotOptimize(selection);
    state.counters["degree"] = selection.model().degree;
    state.counters["terms"] = static_cast<double>(selection.model().size());
    state.counters["cv_rmspe"] = selection.best().cv_rmspe;
  }
}

void BM_SelectRaw(benchmark::State& state) { run_selection(state, {np::TargetTreatment::raw}); }
void BM_SelectRelative(benchmark::State& state) {
  run_selection(state, {np::TargetTreatment::relative});
}
void BM_SelectRawAndRelative(benchmark::State& state) {
  run_selection(state, {np::TargetTreatment::raw, np::TargetTreatment::relative});
}
void BM_SelectLog(benchmark::State& state) { run_selection(state, {np::TargetTreatment::log}); }
void BM_SelectAllTreatments(benchmark::State& state) {
  run_selection(
      state, {np::TargetTreatment::raw, np::TargetTreatment::relative, np::TargetTreatment::log});
}

}  // namespace

BENCHMARK(BM_SelectRaw)->Arg(7)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SelectRelative)->Arg(7)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SelectRawAndRelative)->Arg(7)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SelectLog)->Arg(7)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SelectAllTreatments)->Arg(7)->Arg(10)->Unit(benchmark::kMillisecond);
