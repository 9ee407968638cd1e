#pragma once
// `profile nets`: whole networks measured end to end and layer by layer, for `evaluate`
// (docs/profiling.md, "The nets file").
#include <atomic>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "neuralpower/measurement.hpp"
#include "neuralpower/nets_file.hpp"
#include "neuralpower/power_window.hpp"

namespace np {

struct ProfileNetsOptions {
  MeasureOptions measure;
  RunSettings run;
  bool layer_power = true;  // a power window per layer (when the meter works)
  GroupOptions groups;      // power windows in groups (power_window.hpp); group_size 0: alone
  std::ostream* log = nullptr;
  const std::atomic<bool>* stop = nullptr;
  Clock* clock = nullptr;
};

// One network at its batch: end-to-end T_total (PreparedNetwork::timed_runs), per-layer T_n
// (timed_layers, median over the trials), and when the meter works P_avg over whole-network
// runs and P_n per layer (the layer prepared alone, run_for). A network the backend cannot
// prepare is returned with failed set. Throws only Interrupted.
// With groups, `counter_period_s` is the energy counter's period (measured when not given).
MeasuredNetwork profile_network(Backend& backend, PowerMeter& meter, const Network& net,
                                const std::string& spec, const ProfileNetsOptions& options,
                                std::optional<double> counter_period_s = std::nullopt);

// A nets file for a run on `backend`: when, this tool, the platform, the meter and the
// settings; no network yet.
NetsFile new_nets_file(const Backend& backend, const PowerMeter& meter,
                       const ProfileNetsOptions& options, bool clocks_locked);

struct ProfileNetsResult {
  size_t written = 0;  // networks in the file, failed ones included
  int failed = 0;
  bool interrupted = false;
  std::string device_lost;            // why the run stopped: the device is unusable
  bool before_first_network = false;  // interrupted while measuring idle power
};

// A network to measure: what the command line named it (zoo name or path) and the network.
using NamedNetwork = std::pair<std::string, Network>;

// Measures the meter's idle power (when it works) into the file, then each network in turn,
// saving the file to `path` after each one so that an interruption keeps what is done. Stops
// early, keeping what was written, when *options.stop becomes true.
ProfileNetsResult profile_networks(Backend& backend, PowerMeter& meter,
                                   const std::vector<NamedNetwork>& nets, NetsFile& file,
                                   const std::string& path, const ProfileNetsOptions& options);

}  // namespace np
