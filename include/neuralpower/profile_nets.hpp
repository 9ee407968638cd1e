#pragma once
// `profile nets`: whole networks measured end to end and layer by layer, for `evaluate`
// (docs/profiling.md, "The nets file"), and, with `--layer-rows`, each layer as it runs in its
// network written as a dataset row (placement in-network) for `train`.
#include <atomic>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "neuralpower/dataset_appender.hpp"
#include "neuralpower/measurement.hpp"
#include "neuralpower/nets_file.hpp"
#include "neuralpower/power_window.hpp"
#include "neuralpower/reference_layers.hpp"

namespace np {

struct ProfileNetsOptions {
  MeasureOptions measure;
  RunSettings run;
  bool layer_power = true;  // a power window per layer (when the meter works)
  GroupOptions groups;      // power windows in groups (power_window.hpp); group_size 0: alone
  ReferenceOptions reference;
  // In-network dataset rows of every measured layer of a modelled kind (null: none). Held-out
  // networks are refused unless include_test_networks: their layers never feed training.
  DatasetAppender* layer_rows = nullptr;
  bool include_test_networks = false;
  std::string scheduling;  // how the measuring thread runs (QuietThread)
  std::ostream* log = nullptr;
  const std::atomic<bool>* stop = nullptr;
  Clock* clock = nullptr;
};

// One network at its batch: end-to-end T_total (PreparedNetwork::timed_runs), per-layer T_n
// (timed_layers, median over the trials), and when the meter works P_avg over whole-network
// runs and P_n per layer (the layer prepared alone, run_for). Disturbed trials (the backend's
// TrialMonitor) are taken again. A network the backend cannot prepare is returned with failed
// set. Throws only Interrupted.
// With groups, `counter_period_s` is the energy counter's period (measured when not given).
MeasuredNetwork profile_network(Backend& backend, PowerMeter& meter, const Network& net,
                                const std::string& spec, const ProfileNetsOptions& options,
                                std::optional<double> counter_period_s = std::nullopt);

// The in-network dataset rows of a measured network: one per layer of a modelled kind that ran
// (T_n > 0), with the features of the layer in the network, source_network and source_layer
// set, placement in-network. Layers whose one-layer configuration cannot be written are left
// out (`skipped` counts them).
std::vector<LayerMeasurement> in_network_rows(const Network& net, const MeasuredNetwork& measured,
                                              const Platform& platform,
                                              const std::string& scheduling, int& skipped);

// A nets file for a run on `backend`: when, this tool, the platform, the meter and the
// settings; no network yet.
NetsFile new_nets_file(const Backend& backend, const PowerMeter& meter,
                       const ProfileNetsOptions& options, bool clocks_locked);

struct ProfileNetsResult {
  size_t written = 0;  // networks in the file, failed ones included
  int failed = 0;
  int skipped = 0;              // already in the file (resumed)
  int64_t rows_written = 0;     // in-network dataset rows
  int networks_remeasured = 0;  // measured again after a drift of the reference
  bool interrupted = false;
  std::string device_lost;            // why the run stopped: the device is unusable
  bool before_first_network = false;  // interrupted while measuring idle power
  std::string stopped;  // why the run stopped before its end (a drift); empty otherwise
};

// A network to measure: what the command line named it (zoo name or path) and the network.
using NamedNetwork = std::pair<std::string, Network>;

// Measures the meter's idle power (when it works) into the file and the reference baseline,
// then each network not already in the file (same network and batch, status ok) in turn,
// holding it against the reference after it, appending its in-network rows, and saving the file
// to `path` after each one so that an interruption keeps what is done. Stops early, keeping
// what was written, when *options.stop becomes true or the reference drifted for good.
ProfileNetsResult profile_networks(Backend& backend, PowerMeter& meter,
                                   const std::vector<NamedNetwork>& nets, NetsFile& file,
                                   const std::string& path, const ProfileNetsOptions& options);

}  // namespace np
