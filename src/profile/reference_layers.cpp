// The reference layers: a fixed conv and a fixed large add, measured between groups.
#include "neuralpower/reference_layers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include "neuralpower/config_text.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

std::string one_drift(const char* what, double now, double then, double tolerance_pct) {
  if (!(then > 0)) return "";
  const double change_pct = 100.0 * (now / then - 1.0);
  if (std::abs(change_pct) <= tolerance_pct) return "";
  char text[160];
  std::snprintf(text, sizeof text, "reference %s %.3f ms against %.3f ms (%+.1f%%)", what, now,
                then, change_pct);
  return text;
}

}  // namespace

Network reference_conv_network(DataType dtype) {
  ConvAttrs a;
  a.out_channels = 64;
  a.kernel_h = a.kernel_w = 3;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = 1;
  return one_layer_network("reference-conv", 1, dtype, {{64, 56, 56}}, LayerKind::conv, a);
}

Network reference_mem_network(DataType dtype) {
  return one_layer_network("reference-mem", 32, dtype, {{64, 56, 56}, {64, 56, 56}}, LayerKind::add,
                           EltwiseAttrs{});
}

std::string reference_drift(const ReferenceTimes& now, const ReferenceTimes& then,
                            const ReferenceOptions& options) {
  std::string conv = one_drift("conv", now.conv_ms, then.conv_ms, options.tolerance_pct);
  std::string mem = one_drift("add", now.mem_ms, then.mem_ms, options.mem_tolerance_pct);
  if (conv.empty()) return mem;
  return mem.empty() ? conv : conv + ", " + mem;
}

ReferenceLayers::ReferenceLayers(Backend& backend, const RunSettings& run,
                                 const MeasureOptions& measure, const ReferenceOptions& options,
                                 Clock& clock, const std::atomic<bool>* stop, std::ostream* log)
    : backend_(backend),
      run_(run),
      measure_(measure),
      options_(options),
      clock_(clock),
      stop_(stop),
      log_(log),
      monitor_(backend.trial_monitor(run)) {
  measure_.trials = std::max(options.trials, 1);
  try {
    const Network conv = reference_conv_network(run.dtype);
    const Network mem = reference_mem_network(run.dtype);
    conv_ = backend_.prepare(conv, conv.size() - 1, run_);
    mem_ = backend_.prepare(mem, mem.size() - 1, run_);
  } catch (const Interrupted&) {
    throw;
  } catch (...) {
    rethrow_with_context("preparing the reference layers");
  }
  conv_work_ = workload_of(*conv_);
  mem_work_ = workload_of(*mem_);
  conv_work_.monitor = mem_work_.monitor = monitor_.get();
}

ReferenceLayers::~ReferenceLayers() = default;

double ReferenceLayers::measure_one(Workload& workload) {
  return measure_runtime(workload, measure_, stop_).median_ms;
}

ReferenceTimes ReferenceLayers::measure() {
  ReferenceTimes t;
  t.conv_ms = measure_one(conv_work_);
  t.mem_ms = measure_one(mem_work_);
  return t;
}

ReferenceTimes ReferenceLayers::establish_baseline() {
  std::vector<double> conv, mem;
  for (int i = 0; i < 3; ++i) {
    const ReferenceTimes t = measure();
    conv.push_back(t.conv_ms);
    mem.push_back(t.mem_ms);
  }
  const ReferenceTimes best{median(conv), median(mem)};
  baseline_ = best;
  if (log_) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "reference: conv %.3f ms, add %.3f ms (tolerances %.0f%%, %.0f%%)\n",
                  best.conv_ms, best.mem_ms, options_.tolerance_pct, options_.mem_tolerance_pct);
    *log_ << text;
  }
  return best;
}

std::string ReferenceLayers::drift(const ReferenceTimes& now) const {
  return reference_drift(now, baseline_, options_);
}

ReferenceTimes ReferenceLayers::settle(std::string& drift_text) {
  ReferenceTimes t;
  for (int attempt = 1; attempt <= options_.retries && !drift_text.empty(); ++attempt) {
    if (log_) {
      *log_ << "  " << drift_text << ": the machine is not in the state the run started in; "
            << "pausing " << options_.pause_s << " s and measuring the reference again (" << attempt
            << "/" << options_.retries << ")\n";
      log_->flush();
    }
    const double until = clock_.now_s() + options_.pause_s;
    while (clock_.now_s() < until) {
      check_stop(stop_);
      clock_.sleep_s(std::min(0.5, until - clock_.now_s()));
    }
    t = measure();
    drift_text = drift(t);
  }
  return t;
}

}  // namespace np
