#pragma once
// The layer dataset: one CSV row per measured layer configuration, written by `profile layers`
// and read by `train` (format in docs/dataset.md). A measurement that was not taken is an
// empty cell, never a made-up number.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "neuralpower/layer.hpp"
#include "neuralpower/platform.hpp"

namespace np {

// Where a row's layer ran: alone in a one-layer network (the sampling plan), or in place inside
// a whole network run (`profile nets --layer-rows`: the network's layouts and caches).
enum class Placement { isolated, in_network };
std::string_view to_string(Placement placement);         // "isolated", "in-network"
Placement placement_from_string(std::string_view name);  // throws np::Error naming it

struct LayerMeasurement {
  LayerKind kind = LayerKind::conv;
  std::string config;          // the configuration, canonical text (resume key)
  std::string source_network;  // empty for random configurations
  std::string source_layer;
  std::map<std::string, double> features;  // by feature name (features.hpp); absent = n/a
  bool failed = false;
  std::string failure_reason;
  std::optional<double> runtime_ms;          // median over trials
  std::optional<double> runtime_spread_pct;  // interquartile range / median x 100
  int64_t trials = 0;
  std::optional<double> power_w;  // average over the window (idle not removed)
  std::optional<double> power_spread_pct;
  std::optional<double> energy_mj;  // per run of the layer
  std::optional<double> window_s;   // length of the power window
  std::optional<double> idle_power_w;
  std::optional<double> sm_clock_mhz;
  std::optional<double> mem_clock_mhz;
  std::optional<double> temperature_c;
  std::optional<double> power_limit_w;
  std::string throttle_reasons;
  std::optional<double> sm_clock_min_mhz;  // over the power window
  std::optional<double> sm_clock_max_mhz;
  std::map<std::string, double> throttle_ms;  // time the clocks were held back, per reason
  std::optional<int64_t> window_periods;      // counter periods the power window spans
  std::optional<double> counter_period_ms;    // the energy counter's measured update period
  // "ok", "runtime only", "no meter", or "failed: why" when the power window failed (such a
  // row is measured again on resume); empty in files written before the column existed.
  std::string power_status;
  std::string algorithm;                // e.g. the cuDNN algorithm chosen
  std::string math_type;                // the math the library runs (LayerRunInfo)
  std::optional<int64_t> graph_copies;  // copies of the layer in one replayed graph
  Platform platform;
  std::string date;  // ISO 8601, UTC
  // The measurement protocol (docs/profiling.md, "A quiet measurement"); absent in datasets
  // written before it, which read as isolated rows with nothing redone and no reference.
  Placement placement = Placement::isolated;
  int64_t trials_redone = 0;               // trials taken again because they were disturbed
  std::optional<double> reference_ms;      // the reference conv, measured right after the row
  std::optional<double> reference_mem_ms;  // the memory-bound reference, likewise
  std::string scheduling;                  // how the measuring thread ran ("SCHED_FIFO cpu 1")
};

// Column names in file order.
const std::vector<std::string>& dataset_columns();
// The last columns of dataset_columns(), added with the measurement protocol: a file without
// them (an older dataset) is read with their defaults.
const std::vector<std::string>& protocol_columns();
std::string dataset_header();                        // the header line, newline included
std::string dataset_row(const LayerMeasurement& m);  // one CSV line, newline included

struct Dataset {
  std::vector<LayerMeasurement> rows;  // successful rows only
  int64_t failed_rows = 0;             // rows marked failed, skipped
};

// Columns added after the first datasets were written: a file without them still reads (their
// cells count as empty), so older datasets such as data/cpu-epyc-1t stay usable.
const std::vector<std::string>& dataset_columns_added_later();

// Whether a resumed run measures the configuration of this row again: it failed with an error
// (not `unsupported` or out of device memory: those fail again), or its power window failed.
bool retry_on_resume(const std::string& status, const std::string& failure_reason,
                     const std::string& power_status);

// Reads a dataset CSV; a wrong header, a missing column or a non-numeric cell is an np::Error
// naming the file, the line and the column. A row that a resumed run measured again
// (retry_on_resume) is replaced by the later row of its configuration.
Dataset read_dataset(const std::string& path);
Dataset parse_dataset(const std::string& text, const std::string& display_name);
// Several datasets read one after the other into one.
Dataset read_datasets(const std::vector<std::string>& paths);

}  // namespace np
