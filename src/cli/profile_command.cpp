// `neuralpower profile layers` and `neuralpower profile nets` (docs/profiling.md).
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/import.hpp"
#include "neuralpower/profile.hpp"
#include "neuralpower/table.hpp"
#include "neuralpower/version.hpp"

namespace np::cli {
namespace {

// Exit code of a run stopped by SIGINT or SIGTERM (128 + SIGINT, the shell's convention).
constexpr int kInterruptedExit = 130;

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int signal) {
  g_stop.store(true);
  // A second Ctrl-C ends the process at once.
  std::signal(signal, SIG_DFL);
}

// Installs the handlers for the duration of a run.
class StopSignals {
 public:
  StopSignals() {
    g_stop.store(false);
    previous_int_ = std::signal(SIGINT, on_stop_signal);
    previous_term_ = std::signal(SIGTERM, on_stop_signal);
  }
  ~StopSignals() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  void (*previous_int_)(int) = SIG_DFL;
  void (*previous_term_)(int) = SIG_DFL;
};

// Locks the clocks for the run when asked, and unlocks them however the run ends.
class ClockLock {
 public:
  ClockLock(PowerMeter& meter, bool wanted) : meter_(meter) {
    if (!wanted) return;
    std::string message;
    locked_ = meter.lock_clocks(message);
    std::cerr << (locked_ ? "clocks locked" : "clocks not locked") +
                     (message.empty() ? std::string() : ": " + message)
              << "\n";
  }
  ~ClockLock() {
    if (locked_) meter_.unlock_clocks();
  }
  ClockLock(const ClockLock&) = delete;
  ClockLock& operator=(const ClockLock&) = delete;
  bool locked() const { return locked_; }

 private:
  PowerMeter& meter_;
  bool locked_ = false;
};

struct DeviceArguments {
  std::string backend;
  int device = 0;
  int threads = 1;
  std::string dtype = "fp32";
  bool tf32 = false;
  bool no_graphs = false;
  bool lock_clocks = false;
  int trials = 15;
  int warmup = 5;
  double min_trial_ms = 10;
  double power_window = 1.0;

  void add_to(CLI::App& command) {
    command.add_option("--backend", backend, "device backend")
        ->required()
        ->check(CLI::IsMember({"cpu", "cuda"}));
    command.add_option("--device", device, "device index (GPU number)")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--threads", threads, "CPU backend threads (default 1)")
        ->check(CLI::Range(1, 1024));
    command.add_option("--dtype", dtype, "data type (default fp32)")
        ->check(CLI::IsMember({"fp32", "fp16", "bf16", "int8"}));
    command.add_flag("--tf32", tf32, "CUDA: allow TF32 tensor-core math for fp32 conv and fc");
    command.add_flag("--no-graphs", no_graphs, "CUDA: launch kernels one by one, no CUDA graph");
    command.add_flag("--lock-clocks", lock_clocks,
                     "try to lock the device clocks for the run (recorded in the data)");
    command.add_option("--trials", trials, "timed trials per measurement (default 15)")
        ->check(CLI::Range(1, 1000));
    command.add_option("--warmup", warmup, "warm-up runs before the trials (default 5)")
        ->check(CLI::Range(0, 1000));
    command
        .add_option("--min-trial-ms", min_trial_ms,
                    "iterations per trial chosen so that a trial lasts this long (default 10)")
        ->check(CLI::Range(0.0, 10000.0));
    command
        .add_option("--power-window", power_window,
                    "seconds of back-to-back runs per power window (default 1.0)")
        ->check(CLI::Range(0.01, 600.0));
  }

  RunSettings run_settings() const {
    RunSettings s;
    s.dtype = data_type_from_string(dtype);
    s.allow_tf32 = tf32;
    s.threads = threads;
    s.use_graphs = !no_graphs;
    return s;
  }
  MeasureOptions measure_options() const {
    MeasureOptions m;
    m.trials = trials;
    m.warmup = warmup;
    m.min_trial_ms = min_trial_ms;
    m.power_window_s = power_window;
    return m;
  }
};

void print_meter(const PowerMeter& meter) {
  if (meter.available()) {
    std::cerr << "power meter: " << meter.name() << " (" << meter.status() << ")\n";
  } else {
    std::cerr << "runtime only: no power meter (" << meter.status()
              << "); power columns are left empty\n";
  }
}

struct LayersArguments {
  DeviceArguments device;
  std::string out;
  std::string plan = "both";
  std::vector<int64_t> batches{1, 2, 4, 8, 16, 32, 64, 128, 256};
  std::vector<std::string> networks;
  int64_t random = 1000;
  int64_t max_configs = 0;
  double budget_seconds = 0;
  uint64_t seed = 20170711;
  bool include_test_networks = false;
  double max_tensor_mib = 4096;
  double max_gflops = -1;  // -1: the backend's default
  bool dry_run = false;
  std::string plan_out;  // the plan as dataset-CSV rows with status `planned`; "-": stdout
};

PlanOptions plan_options(const LayersArguments& args) {
  PlanOptions o;
  o.kind = plan_kind_from_string(args.plan);
  o.batches = args.batches;
  o.networks = args.networks;
  o.include_test_networks = args.include_test_networks;
  o.random_count = args.random;
  o.seed = args.seed;
  o.max_configs = args.max_configs;
  o.max_tensor_bytes = static_cast<int64_t>(args.max_tensor_mib * 1024 * 1024);
  // A CPU runs a 20-GFLOP layer in about a second per core; bigger ones would take the plan's
  // time for a handful of rows. A GPU has no such limit by default.
  const double gflops =
      args.max_gflops >= 0 ? args.max_gflops : (args.device.backend == "cpu" ? 20.0 : 0.0);
  o.max_flops = static_cast<int64_t>(gflops * 1e9);
  o.dtype = data_type_from_string(args.device.dtype);
  return o;
}

void print_plan_summary(const Plan& plan, std::ostream& out) {
  std::map<std::string, int64_t> by_kind;
  int64_t from_networks = 0;
  for (const auto& c : plan.configs) {
    ++by_kind[c.kind];
    if (!c.source_network.empty()) ++from_networks;
  }
  out << "plan: " << plan.configs.size() << " configurations (" << from_networks
      << " from networks, " << plan.configs.size() - static_cast<size_t>(from_networks)
      << " random):";
  for (const auto& [kind, count] : by_kind) out << " " << kind << " " << count;
  out << "\n      dropped: " << plan.duplicates << " duplicates, " << plan.over_memory_cap
      << " over the memory cap, " << plan.over_flops_cap << " over the FLOP cap, "
      << plan.beyond_max_configs << " beyond --max-configs\n";
  if (!plan.networks.empty()) {
    out << "      networks:";
    for (const auto& n : plan.networks) out << " " << n;
    out << "\n";
  }
}

// For profilers outside this tool (tools/torch_profile.py): they measure these rows and keep
// this tool's features.
void write_plan(const Plan& plan, const std::string& path) {
  const std::string text = plan_dataset_csv(plan.configs);
  if (path == "-") {
    std::cout << text << std::flush;
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw Error("cannot write the plan to '" + path + "'");
  std::cerr << "wrote " << plan.configs.size() << " planned configurations to " << path << "\n";
}

int run_layers(const LayersArguments& args) {
  const Plan plan = make_plan(plan_options(args));
  print_plan_summary(plan, std::cerr);
  if (!args.plan_out.empty()) {
    write_plan(plan, args.plan_out);
    return 0;
  }
  if (args.dry_run) {
    for (const auto& c : plan.configs) {
      std::cout << c.config
                << (c.source_network.empty() ? ""
                                             : "  # " + c.source_network + "/" + c.source_layer)
                << "\n";
    }
    return 0;
  }
  if (args.out.empty()) throw Error("--out is required (or --dry-run to list the plan)");
  DatasetAppender out(args.out);
  if (!out.repair_note().empty()) std::cerr << out.repair_note() << "\n";

  auto backend = make_backend(args.device.backend, args.device.device);
  const DeviceInfo info = backend->device();
  std::cerr << "device: " << info.name << " (" << info.backend << ", " << info.runtime_version
            << (info.detail.empty() ? "" : ", " + info.detail) << ")\n";
  auto meter = make_power_meter(args.device.backend, args.device.device);
  print_meter(*meter);
  ClockLock clocks(*meter, args.device.lock_clocks);

  StopSignals signals;
  ProfileLayersOptions options;
  options.measure = args.device.measure_options();
  options.run = args.device.run_settings();
  options.budget_seconds = args.budget_seconds;
  options.clocks_locked = clocks.locked();
  options.log = &std::cerr;
  options.stop = &g_stop;
  const ProfileLayersResult r = profile_layers(*backend, *meter, plan.configs, out, options);

  std::cerr << "wrote " << r.measured << " rows to " << args.out << " (" << r.failed << " failed), "
            << r.already_done << " were there already"
            << (r.power_measured ? "" : "; runtime only, no power") << "\n";
  if (r.interrupted) {
    std::cerr << "interrupted: " << r.remaining
              << " configurations not measured; the same command resumes\n";
    return kInterruptedExit;
  }
  if (r.budget_reached) {
    std::cerr << "time budget of " << args.budget_seconds << " s reached: " << r.remaining
              << " configurations not measured; the same command resumes\n";
  }
  return 0;
}

struct NetsArguments {
  DeviceArguments device;
  std::vector<std::string> networks;
  std::vector<int64_t> batches;
  std::string out;
  bool no_layer_power = false;
};

int run_nets(const NetsArguments& args) {
  // Load every network first: a typo fails before any measuring.
  std::vector<std::pair<std::string, Network>> nets;
  for (const auto& spec : args.networks) {
    const std::vector<int64_t> batches =
        args.batches.empty() ? std::vector<int64_t>{0} : args.batches;
    for (int64_t batch : batches) {
      ImportOptions import;
      if (batch > 0) import.batch = batch;
      Network net = load_network(spec, import);
      net.set_dtype(data_type_from_string(args.device.dtype));
      nets.emplace_back(spec, std::move(net));
    }
  }
  auto backend = make_backend(args.device.backend, args.device.device);
  const DeviceInfo info = backend->device();
  std::cerr << "device: " << info.name << " (" << info.backend << ", " << info.runtime_version
            << (info.detail.empty() ? "" : ", " + info.detail) << ")\n";
  auto meter = make_power_meter(args.device.backend, args.device.device);
  print_meter(*meter);
  ClockLock clocks(*meter, args.device.lock_clocks);

  NetsFile file;
  file.created = utc_now_iso8601();
  file.tool_version = std::string(kVersion);
  const RunSettings run = args.device.run_settings();
  file.platform = make_platform(info, run, clocks.locked());
  file.meter.name = meter->name();
  file.meter.available = meter->available();
  file.meter.status = meter->status();
  file.meter.update_period_ms = meter->update_period_ms();
  file.settings.trials = args.device.trials;
  file.settings.warmup = args.device.warmup;
  file.settings.min_trial_ms = args.device.min_trial_ms;
  file.settings.power_window_s = args.device.power_window;
  file.settings.threads = args.device.threads;

  StopSignals signals;
  ProfileNetsOptions options;
  options.measure = args.device.measure_options();
  options.run = run;
  options.layer_power = !args.no_layer_power;
  options.log = &std::cerr;
  options.stop = &g_stop;
  try {
    if (meter->available()) {
      const PowerWindow idle =
          measure_idle_power(*meter, args.device.power_window, steady_clock(), &g_stop);
      file.meter.idle_power_w = idle.power_w;
      std::cerr << "idle power: " << idle.power_w << " W\n";
    }
  } catch (const Interrupted&) {
    std::cerr << "interrupted before any network was measured; nothing written\n";
    return kInterruptedExit;
  } catch (const Error& e) {
    std::cerr << "no idle power: " << e.what() << "\n";
  }
  for (size_t i = 0; i < nets.size(); ++i) {
    const auto& [spec, net] = nets[i];
    std::cerr << "[" << i + 1 << "/" << nets.size() << "] " << net.name() << " batch "
              << net.batch() << "\n";
    try {
      file.networks.push_back(profile_network(*backend, *meter, net, spec, options));
    } catch (const Interrupted&) {
      if (!file.networks.empty()) save_nets_file(file, args.out);
      std::cerr << "interrupted: " << file.networks.size() << " of " << nets.size()
                << " measurements written to " << args.out << "\n";
      return kInterruptedExit;
    }
    save_nets_file(file, args.out);  // after each network: an interruption keeps what is done
  }
  int failed = 0;
  for (const auto& n : file.networks) failed += n.failed ? 1 : 0;
  std::cerr << "wrote " << args.out << ": " << file.networks.size() << " measurements"
            << (failed ? " (" + std::to_string(failed) + " failed)" : std::string()) << "\n";
  return 0;
}

CLI::Validator positive_list() {
  return CLI::Validator(
      [](const std::string& text) {
        return text.find_first_not_of("0123456789") == std::string::npos &&
                       text.find_first_not_of('0') != std::string::npos
                   ? std::string()
                   : "must be a positive integer, got '" + text + "'";
      },
      "POSITIVE");
}

}  // namespace

Runner add_profile_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("profile", "measure runtime and power on a device (docs/profiling.md)");
  command->require_subcommand(1);

  auto* layers = command->add_subcommand(
      "layers", "measure layer configurations and append them to a dataset CSV");
  auto la = std::make_shared<LayersArguments>();
  la->device.add_to(*layers);
  auto* out =
      layers->add_option("--out", la->out, "dataset CSV to append to (resumes where it stopped)");
  layers->add_option("--plan", la->plan, "nets (zoo layers), random, or both (default)")
      ->check(CLI::IsMember({"nets", "random", "both"}));
  layers->add_option("--batches", la->batches, "batch sizes of the nets plan (default 1,2,...,256)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(positive_list());
  layers
      ->add_option("--networks", la->networks,
                   "networks of the nets plan (default: every training network of the zoo)")
      ->delimiter(',')
      ->allow_extra_args(false);
  layers->add_option("--random", la->random, "random configurations in the plan (default 1000)")
      ->check(CLI::NonNegativeNumber);
  layers->add_option("--max-configs", la->max_configs, "measure at most this many configurations")
      ->check(CLI::NonNegativeNumber);
  layers
      ->add_option("--budget-seconds", la->budget_seconds,
                   "stop cleanly once this much time has passed (resumable)")
      ->check(CLI::NonNegativeNumber);
  layers->add_option("--seed", la->seed, "seed of the random plan and the plan's order");
  layers->add_flag("--include-test-networks", la->include_test_networks,
                   "let the held-out test networks feed the dataset");
  layers
      ->add_option("--max-tensor-mib", la->max_tensor_mib,
                   "drop configurations whose tensors exceed this (default 4096)")
      ->check(CLI::PositiveNumber);
  layers
      ->add_option("--max-gflops", la->max_gflops,
                   "drop configurations above this many GFLOP (default: 20 on cpu, none on cuda; "
                   "0 for none)")
      ->check(CLI::NonNegativeNumber);
  auto* dry_run = layers->add_flag("--dry-run", la->dry_run,
                                   "print the plan's configurations, measure nothing");
  layers
      ->add_option("--plan-out", la->plan_out,
                   "write the plan as dataset-CSV rows with status 'planned' (features filled, "
                   "measurements empty) to FILE or - (stdout), measure nothing")
      ->excludes(dry_run)
      ->excludes(out);

  auto* nets = command->add_subcommand(
      "nets", "measure whole networks end to end and layer by layer (for evaluate)");
  auto na = std::make_shared<NetsArguments>();
  nets->add_option("NET", na->networks, "zoo names or network files")->required();
  na->device.add_to(*nets);
  nets->add_option("--out", na->out, "nets JSON to write")->required();
  nets->add_option("--batch", na->batches,
                   "batch sizes, comma-separated or repeated (default: each network's own)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(positive_list());
  nets->add_flag("--no-layer-power", na->no_layer_power,
                 "skip the per-layer power windows (end-to-end power only)");

  return [layers, nets, la, na]() -> int {
    if (layers->parsed()) return run_layers(*la);
    if (nets->parsed()) return run_nets(*na);
    return 2;
  };
}

}  // namespace np::cli
