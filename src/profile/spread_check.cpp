// The built-in spread check (spread_check.hpp).
#include "neuralpower/spread_check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "neuralpower/config_text.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

Layer layer_of(const std::string& name, LayerKind kind, LayerAttrs attrs, std::vector<int> inputs) {
  Layer layer;
  layer.name = name;
  layer.kind = kind;
  layer.attrs = std::move(attrs);
  layer.inputs = std::move(inputs);
  return layer;
}

// The largest deviation from the median, in % of it.
double worst_deviation_pct(const std::vector<double>& values, double mid) {
  double worst = 0;
  for (double v : values) worst = std::max(worst, std::abs(v - mid));
  return mid > 0 ? 100.0 * worst / mid : std::numeric_limits<double>::infinity();
}

}  // namespace

Network spread_conv_network(int64_t batch) {
  Network net("spread-conv", batch);
  const int x = net.add(layer_of("x0", LayerKind::input, InputAttrs{{64, 56, 56}}, {}));
  ConvAttrs conv;
  conv.out_channels = 64;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_top = conv.pad_bottom = conv.pad_left = conv.pad_right = 1;
  net.add(layer_of("conv", LayerKind::conv, conv, {x}));
  net.infer_shapes();
  return net;
}

Network spread_filler_network(int64_t batch) {
  Network net("spread-filler", batch);
  const int a = net.add(layer_of("x0", LayerKind::input, InputAttrs{{64, 56, 56}}, {}));
  const int b = net.add(layer_of("x1", LayerKind::input, InputAttrs{{64, 56, 56}}, {}));
  net.add(layer_of("add", LayerKind::add, EltwiseAttrs{}, {a, b}));
  net.infer_shapes();
  return net;
}

SpreadRow spread_row(int periods, std::vector<SlotMeasurement> windows,
                     const SpreadOptions& options) {
  SpreadRow row;
  row.periods = periods;
  bool all = !windows.empty();
  for (const auto& w : windows) {
    if (!w.failure.empty() || w.run_ms.empty()) {
      all = false;
      continue;
    }
    row.power_w.push_back(w.power_w);
    row.runtime_ms.push_back(median(w.run_ms));
  }
  row.windows = std::move(windows);
  if (!row.power_w.empty()) {
    row.power_median = median(row.power_w);
    row.power_worst_pct = worst_deviation_pct(row.power_w, *row.power_median);
    row.runtime_median = median(row.runtime_ms);
    row.runtime_worst_pct = worst_deviation_pct(row.runtime_ms, *row.runtime_median);
  }
  row.ok = all && row.power_w.size() >= 2 && *row.power_worst_pct <= options.power_limit_pct &&
           *row.runtime_worst_pct <= options.runtime_limit_pct;
  return row;
}

std::optional<int> choose_periods(const std::vector<SpreadRow>& rows) {
  std::optional<int> best;
  for (const auto& row : rows) {
    if (row.ok && (!best || row.periods < *best)) best = row.periods;
  }
  return best;
}

int steadiest_periods(const std::vector<SpreadRow>& rows, const SpreadOptions& options) {
  int best = 0;
  double best_score = std::numeric_limits<double>::infinity();
  for (const auto& row : rows) {
    if (!row.power_worst_pct) continue;
    const double score = std::max(*row.power_worst_pct / options.power_limit_pct,
                                  *row.runtime_worst_pct / options.runtime_limit_pct);
    if (score < best_score) {
      best_score = score;
      best = row.periods;
    }
  }
  if (best == 0 && !rows.empty()) {
    best = std::max_element(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
             return a.periods < b.periods;
           })->periods;
  }
  return best;
}

SpreadCheck run_spread_check(Backend& backend, PowerMeter& meter, const SpreadOptions& options,
                             const RunSettings& run, const GroupOptions& groups, double period_s,
                             Clock& clock, const std::atomic<bool>* stop) {
  if (options.periods.empty() || options.repeats < 1) {
    throw Error("spread check: needs at least one N and one repeat");
  }
  Network conv_net = spread_conv_network(options.batch);
  Network filler_net = spread_filler_network(options.batch);
  conv_net.set_dtype(run.dtype);
  filler_net.set_dtype(run.dtype);
  SpreadCheck check;
  check.config = config_text(conv_net);
  check.period_s = period_s;
  check.repeats = options.repeats;
  auto conv = backend.prepare(conv_net, conv_net.size() - 1, run);
  auto filler = backend.prepare(filler_net, filler_net.size() - 1, run);
  check.algorithm = one_line(conv->algorithm());
  const double batch_ms = groups.batch_periods * period_s * 1e3;
  const std::vector<BatchedWorkload> members{batched_workload_of(*conv, batch_ms),
                                             batched_workload_of(*filler, batch_ms)};
  // Pre-heat on the convolution, then per repeat and N: the filler for one period, the
  // convolution's window of N periods (after its settle period).
  std::vector<WindowSlot> schedule;
  schedule.push_back(
      {0, std::max(1, static_cast<int>(std::ceil(groups.preheat_first_s / period_s))), false});
  for (int r = 0; r < options.repeats; ++r) {
    for (int n : options.periods) {
      schedule.push_back({1, 1, false});
      schedule.push_back({0, std::max(n, 1), true});
    }
  }
  ThreadedWindowDriver driver(members, clock);
  WindowOptions window;
  window.period_s = period_s;
  window.settle_periods = groups.settle_periods;
  const std::vector<SlotMeasurement> slots =
      measure_windows(meter, driver, schedule, window, clock, stop);
  for (size_t i = 0; i < options.periods.size(); ++i) {
    std::vector<SlotMeasurement> windows;
    for (size_t k = 0; k < slots.size(); ++k) {
      if (!slots[k].recorded) continue;
      // Recorded slots cycle through the Ns in order.
      const size_t index = (k - 1) / 2;
      if (index % options.periods.size() == i) windows.push_back(slots[k]);
    }
    check.rows.push_back(spread_row(options.periods[i], std::move(windows), options));
  }
  check.chosen = choose_periods(check.rows);
  check.fallback = steadiest_periods(check.rows, options);
  return check;
}

}  // namespace np
