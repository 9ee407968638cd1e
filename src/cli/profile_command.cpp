// `neuralpower profile layers` and `neuralpower profile nets` (docs/profiling.md).
#include <csignal>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/backend_registry.hpp"
#include "neuralpower/clock_lock.hpp"
#include "neuralpower/cost.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/plan_csv.hpp"
#include "neuralpower/profile_report.hpp"
#include "neuralpower/quiet_thread.hpp"
#include "neuralpower/sampling_plan.hpp"
#include "neuralpower/spread_check.hpp"
#include "neuralpower/table.hpp"
#include "neuralpower/text_file.hpp"

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

// The device options both subcommands share, bound to the library's MeasureOptions and
// RunSettings, whose values are the defaults the help shows.
struct DeviceArguments {
  std::string backend;
  int device = 0;
  bool lock_clocks = false;
};

void add_device_options(CLI::App& command, DeviceArguments& device, MeasureOptions& measure,
                        RunSettings& run) {
  command.add_option("--backend", device.backend, "device backend")
      ->required()
      ->check(one_of(known_backends()));
  command.add_option("--device", device.device, "device index (GPU number)")
      ->check(integer_in(0, 1023));
  command.add_option("--threads", run.threads, "CPU backend threads")
      ->check(integer_in(1, 1024))
      ->capture_default_str();
  const std::map<std::string, DataType> dtypes{{"fp32", DataType::fp32},
                                               {"fp16", DataType::fp16},
                                               {"bf16", DataType::bf16},
                                               {"int8", DataType::int8}};
  add_choice_option(command, "--dtype", run.dtype, dtypes, "data type");
  command.add_flag("--tf32", run.allow_tf32,
                   "CUDA: allow TF32 tensor-core math for fp32 conv and fc");
  command.add_flag_callback(
      "--no-graphs", [&run] { run.use_graphs = false; },
      "CUDA: launch kernels one by one, no CUDA graph");
  command.add_flag("--lock-clocks", device.lock_clocks,
                   "try to lock the device clocks for the run (recorded in the data)");
  command.add_option("--trials", measure.trials, "timed trials per measurement")
      ->check(integer_in(1, 1000))
      ->capture_default_str();
  command.add_option("--warmup", measure.warmup, "warm-up runs before the trials")
      ->check(integer_in(0, 1000))
      ->capture_default_str();
  command
      .add_option("--min-trial-ms", measure.min_trial_ms,
                  "iterations per trial chosen so that a trial lasts this long")
      ->check(number_in(0.0, 10000.0))
      ->capture_default_str();
  command
      .add_option("--power-window", measure.power_window_s,
                  "seconds of back-to-back runs per power window (--group-size 0)")
      ->check(number_in(0.01, 600.0))
      ->capture_default_str();
}

// The measurement protocol both subcommands share (docs/profiling.md, "A quiet measurement"),
// bound to QuietOptions, MeasureOptions and ReferenceOptions.
void add_protocol_options(CLI::App& command, QuietOptions& quiet, MeasureOptions& measure,
                          ReferenceOptions& reference) {
  command.add_flag_callback(
      "--no-realtime", [&quiet] { quiet.realtime = false; },
      "do not run the measuring thread at real-time priority (SCHED_FIFO)");
  command.add_flag_callback(
      "--no-pin", [&quiet] { quiet.pin = false; },
      "do not pin the measuring thread to the last CPUs");
  command
      .add_option("--max-trials-redone", measure.max_trials_redone,
                  "disturbed trials (preempted, clocks moved) taken again per measurement")
      ->check(integer_in(0, 100000))
      ->capture_default_str();
  command.add_flag_callback(
      "--no-reference", [&reference] { reference.enabled = false; },
      "do not measure the reference layers between groups (no drift detection)");
  command
      .add_option("--reference-tolerance", reference.tolerance_pct,
                  "percent the reference conv may move from the run's baseline")
      ->check(number_in(0.1, 1000.0))
      ->capture_default_str();
  command
      .add_option("--reference-mem-tolerance", reference.mem_tolerance_pct,
                  "percent the memory-bound reference (a large add) may move")
      ->check(number_in(0.1, 1000.0))
      ->capture_default_str();
  command
      .add_option("--reference-retries", reference.retries,
                  "after a drift: pauses and measurements of the reference before stopping")
      ->check(integer_in(0, 1000))
      ->capture_default_str();
  command
      .add_option("--reference-pause", reference.pause_s,
                  "seconds of pause before the reference is measured again")
      ->check(number_in(0.0, 3600.0))
      ->capture_default_str();
}

// Power windows in groups (power_window.hpp), shared by layers and nets.
void add_group_options(CLI::App& command, GroupOptions& groups) {
  command
      .add_option("--group-size", groups.group_size,
                  "layers prepared together and measured back to back in aligned power "
                  "windows (0: one window per layer, --power-window long)")
      ->check(integer_in(0, 4096))
      ->capture_default_str();
  command
      .add_option("--window-periods", groups.window_periods,
                  "energy-counter periods per power window (N; `profile spread` chooses it)")
      ->check(integer_in(1, 1000))
      ->capture_default_str();
}

// The backend and meter of a run, announced on stderr.
struct Device {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<PowerMeter> meter;
};

Device open_device(const DeviceArguments& args) {
  Device d{make_backend(args.backend, args.device), make_power_meter(args.backend, args.device)};
  std::cerr << device_line(d.backend->device()) << meter_line(meter_status(*d.meter));
  return d;
}

void report_clocks(const ClockLock& clocks) {
  if (!clocks.message().empty()) std::cerr << clocks.message() << "\n";
}

constexpr double kMiB = 1024.0 * 1024.0;

// The most random configurations one plan draws: the plan is built (and de-duplicated) in
// memory, about 1.5 KB a configuration, and 100000 are days of measuring already.
constexpr int64_t kMaxRandomConfigs = 100000;

struct LayersArguments {
  DeviceArguments device;
  QuietOptions quiet;
  PlanOptions plan;
  ProfileLayersOptions options;
  std::optional<double> max_gflops;  // unset: the backend's default
  std::string out;
  bool dry_run = false;
  std::string plan_out;  // the plan as dataset-CSV rows with status `planned`; "-": stdout
};

// For profilers outside this tool (tools/torch_profile.py): they measure these rows and keep
// this tool's features.
// "cannot write the plan to 'p.csv': no such folder 'x'", without repeating the path.
Error plan_write_error(const std::string& path, const Error& e) {
  std::string reason = e.what();
  const std::string repeated = "cannot write '" + path + "': ";
  if (reason.rfind(repeated, 0) == 0) reason = reason.substr(repeated.size());
  return Error("cannot write the plan to '" + path + "': " + reason);
}

void check_plan_writable(const std::string& path) {
  if (path.empty() || path == "-") return;
  try {
    check_writable(path);
  } catch (const Error& e) {
    throw plan_write_error(path, e);
  }
}

void write_plan(const Plan& plan, const std::string& path) {
  const std::string text = plan_dataset_csv(plan.configs);
  if (path == "-") {
    std::cout << text << std::flush;
    return;
  }
  try {
    replace_file(path, text);
  } catch (const Error& e) {
    throw plan_write_error(path, e);
  }
  std::cerr << "wrote " << plan.configs.size() << " planned configurations to " << path << "\n";
}

int run_layers(LayersArguments& args) {
  // An output that cannot be written fails first, before a plan is drawn or a device opened.
  const bool measuring = args.plan_out.empty() && !args.dry_run;
  check_plan_writable(args.plan_out);
  if (measuring) {
    if (args.out.empty()) throw Error("--out is required (or --dry-run to list the plan)");
    DatasetAppender::check_path(args.out);
  }
  // The device before the plan and the dataset: a backend that finds no device says so first
  // and leaves no file behind.
  std::optional<Device> device;
  if (measuring) device = open_device(args.device);
  const int64_t backend_cap = backend_defaults(args.device.backend).max_plan_flops;
  args.plan.max_flops =
      args.max_gflops ? static_cast<int64_t>(*args.max_gflops * 1e9) : backend_cap;
  args.plan.dtype = args.options.run.dtype;
  if (args.options.adaptive.share > 0) {
    // Adaptive rounds choose from the whole plan: the count is the run's, not the plan's.
    args.options.max_configs = args.plan.max_configs;
    if (!args.plan_out.empty() || args.dry_run) {
      throw Error("--adaptive chooses while measuring: it has no plan to list or write");
    }
    if (args.options.max_configs <= 0 && args.options.budget_seconds <= 0) {
      throw Error("--adaptive needs --budget-seconds or --max-configs to share");
    }
    args.plan.max_configs = 0;
  }
  const Plan plan = make_plan(args.plan);
  std::cerr << plan_summary(plan);
  if (!args.plan_out.empty()) {
    write_plan(plan, args.plan_out);
    return 0;
  }
  if (args.dry_run) {
    std::cout << plan_listing(plan);
    return 0;
  }
  DatasetAppender out(args.out);
  if (!out.repair_note().empty()) std::cerr << out.repair_note() << "\n";

  ClockLock clocks(*device->meter, args.device.lock_clocks);
  report_clocks(clocks);

  StopSignals signals;
  const QuietThread quiet(args.quiet, args.options.run.threads);
  ProfileLayersOptions options = args.options;
  options.clocks_locked = clocks.locked();
  options.scheduling = quiet.description();
  options.log = &std::cerr;
  options.stop = &g_stop;
  const ProfileLayersResult r =
      profile_layers(*device->backend, *device->meter, plan.configs, out, options);
  std::cerr << profile_layers_summary(r, args.out, options.budget_seconds);
  if (!r.stopped.empty() || !r.device_lost.empty()) return 1;
  return r.interrupted ? kInterruptedExit : 0;
}

struct NetsArguments {
  DeviceArguments device;
  QuietOptions quiet;
  ProfileNetsOptions options;
  ImportArguments import;
  std::vector<std::string> networks;
  std::vector<int64_t> batches;
  std::string out;
  std::string layer_rows;  // in-network dataset rows
  bool training_networks = false;
  double max_network_gflops = 0;  // 0: no cap
};

// The nets file to add to: the one at `path` when it exists (a resumed run), else a new one.
NetsFile nets_file_for(const std::string& path, const Backend& backend, const PowerMeter& meter,
                       const ProfileNetsOptions& options, bool clocks_locked) {
  NetsFile fresh = new_nets_file(backend, meter, options, clocks_locked);
  if (!std::filesystem::exists(path)) return fresh;
  NetsFile file = read_nets_file(path);
  if (platform_label(file.platform) != platform_label(fresh.platform)) {
    throw Error("'" + path + "' holds networks measured on " + platform_label(file.platform) +
                ", this run is on " + platform_label(fresh.platform) + "; write to another --out");
  }
  std::cerr << path << ": " << file.networks.size()
            << " networks already measured; those are kept and skipped\n";
  return file;
}

int run_nets(const NetsArguments& args) {
  // The output and every network first: a typo or an unwritable --out fails before any
  // measuring.
  check_writable(args.out);
  std::vector<NamedNetwork> nets;
  std::vector<std::string> specs = args.networks;
  if (args.training_networks) {
    for (const auto& name : default_training_networks()) specs.push_back(name);
  }
  int over_cap = 0;
  for (const auto& spec : specs) {
    const std::vector<int64_t> batches =
        args.batches.empty() ? std::vector<int64_t>{0} : args.batches;
    bool one_image_measured = false;
    for (int64_t batch : batches) {
      Network net = load_network_at_batch_or_one_image(spec, args.import.import_options(batch));
      if (!net.has_batch_dim()) {
        // A detector: one image per run, so one measurement whatever --batch lists.
        if (one_image_measured) continue;
        one_image_measured = true;
        if (batches.size() > 1 || batch > 1) {
          std::cerr
              << spec
              << ": its input has no batch dim (one image per run); measured at batch 1 only\n";
        }
      }
      net.set_dtype(args.options.run.dtype);
      if (args.max_network_gflops > 0 &&
          static_cast<double>(network_cost(net).total.flops) > args.max_network_gflops * 1e9) {
        ++over_cap;
        continue;
      }
      nets.emplace_back(spec, std::move(net));
    }
  }
  if (over_cap > 0) {
    std::cerr << over_cap << " network and batch pairs over --max-network-gflops left out\n";
  }
  Device device = open_device(args.device);
  ClockLock clocks(*device.meter, args.device.lock_clocks);
  report_clocks(clocks);

  const QuietThread quiet(args.quiet, args.options.run.threads);
  ProfileNetsOptions options = args.options;
  options.scheduling = quiet.description();
  NetsFile file = nets_file_for(args.out, *device.backend, *device.meter, options, clocks.locked());
  std::optional<DatasetAppender> rows;
  if (!args.layer_rows.empty()) {
    rows.emplace(args.layer_rows);
    if (!rows->repair_note().empty()) std::cerr << rows->repair_note() << "\n";
    options.layer_rows = &*rows;
  }
  StopSignals signals;
  options.log = &std::cerr;
  options.stop = &g_stop;
  const ProfileNetsResult r =
      profile_networks(*device.backend, *device.meter, nets, file, args.out, options);
  std::cerr << profile_nets_summary(r, nets.size(), args.out);
  if (!r.stopped.empty() || !r.device_lost.empty()) return 1;
  return r.interrupted ? kInterruptedExit : 0;
}

std::string max_gflops_help() {
  std::string defaults;
  for (const auto& name : known_backends()) {
    const int64_t cap = backend_defaults(name).max_plan_flops;
    defaults += (defaults.empty() ? "" : ", ") +
                (cap > 0 ? fixed(static_cast<double>(cap) / 1e9, 0) : std::string("none")) +
                " on " + name;
  }
  return "drop configurations above this many GFLOP (default: " + defaults + "; 0 for none)";
}

void add_layers_options(CLI::App& layers, LayersArguments& la) {
  add_device_options(layers, la.device, la.options.measure, la.options.run);
  add_protocol_options(layers, la.quiet, la.options.measure, la.options.reference);
  layers
      .add_option("--group", la.options.group_size,
                  "configurations measured together, their trials interleaved")
      ->check(integer_in(1, 1000))
      ->capture_default_str();
  const std::map<std::string, PlanOrder> orders{{"space-filling", PlanOrder::space_filling},
                                                {"shuffled", PlanOrder::shuffled}};
  add_choice_option(layers, "--order", la.plan.order, orders,
                    "order of the plan: every prefix covering every kind, or a seeded shuffle");
  layers.add_flag_callback(
      "--no-coverage", [&la] { la.plan.coverage = false; },
      "leave the coverage grids (fc as conv, large kernels on tiny maps, long rows, many-operand "
      "concat) out of a --plan both");
  layers
      .add_option("--adaptive", la.options.adaptive.share,
                  "share of the run (--budget-seconds or --max-configs) spent where quick models "
                  "err most (nn-Meter's adaptive sampling); 0: off")
      ->check(number_in(0.0, 0.9))
      ->capture_default_str();
  layers
      .add_option("--adaptive-round", la.options.adaptive.round,
                  "configurations chosen per adaptive round")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  add_group_options(layers, la.options.groups);
  layers
      .add_option("--power-seconds", la.options.power_seconds,
                  "measure power only in the first S seconds of the run, runtime alone after "
                  "(0: power throughout)")
      ->check(non_negative_number())
      ->capture_default_str();
  layers.add_flag("--runtime-only", la.options.runtime_only,
                  "no power windows, even where the meter works");
  PlanOptions& plan = la.plan;
  auto* out =
      layers.add_option("--out", la.out, "dataset CSV to append to (resumes where it stopped)");
  const std::map<std::string, PlanKind> kinds{
      {"nets", PlanKind::nets}, {"random", PlanKind::random}, {"both", PlanKind::both}};
  add_choice_option(layers, "--plan", plan.kind, kinds, "nets (zoo layers), random, or both");
  layers.add_option("--batches", plan.batches, "batch sizes of the nets plan")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(positive_integer())
      ->capture_default_str();
  layers
      .add_option("--networks", plan.networks,
                  "networks of the nets plan (default: every training network of the zoo)")
      ->delimiter(',')
      ->allow_extra_args(false);
  layers
      .add_option("--random", plan.random_count,
                  "random configurations in the plan (at most " +
                      std::to_string(kMaxRandomConfigs) + ": the plan is built in memory)")
      ->check(integer_in(0, kMaxRandomConfigs))
      ->capture_default_str();
  layers.add_option("--max-configs", plan.max_configs, "measure at most this many configurations")
      ->check(integer_in(0, std::numeric_limits<int64_t>::max()));
  layers
      .add_option("--budget-seconds", la.options.budget_seconds,
                  "stop cleanly once this much time has passed (resumable)")
      ->check(non_negative_number());
  layers.add_option("--seed", plan.seed, "seed of the random plan and the plan's order")
      ->capture_default_str();
  layers.add_flag("--include-test-networks", plan.include_test_networks,
                  "let the held-out test networks feed the dataset");
  layers
      .add_option_function<double>(
          "--max-tensor-mib",
          [&plan](double mib) { plan.max_tensor_bytes = static_cast<int64_t>(mib * kMiB); },
          "drop configurations whose tensors exceed this")
      ->check(positive_number())
      ->default_str(fixed(static_cast<double>(plan.max_tensor_bytes) / kMiB, 0));
  layers
      .add_option_function<double>(
          "--max-gflops", [&la](double gflops) { la.max_gflops = gflops; }, max_gflops_help())
      ->check(non_negative_number());
  auto* dry_run =
      layers.add_flag("--dry-run", la.dry_run, "print the plan's configurations, measure nothing");
  layers
      .add_option("--plan-out", la.plan_out,
                  "write the plan as dataset-CSV rows with status 'planned' (features filled, "
                  "measurements empty) to FILE or - (stdout), measure nothing")
      ->excludes(dry_run)
      ->excludes(out);
}

void add_nets_options(CLI::App& nets, NetsArguments& na) {
  nets.add_option("NET", na.networks, "zoo names or network files");
  nets.parse_complete_callback([&na] {
    if (na.networks.empty() && !na.training_networks) {
      throw CLI::RequiredError("NET (a network, or --training-networks)");
    }
  });
  add_device_options(nets, na.device, na.options.measure, na.options.run);
  add_protocol_options(nets, na.quiet, na.options.measure, na.options.reference);
  nets.add_flag(
      "--training-networks", na.training_networks,
      "add every training network of the zoo (the default of profile layers --plan nets)");
  nets.add_option("--layer-rows", na.layer_rows,
                  "dataset CSV to append each layer's in-place time to, as in-network rows for "
                  "train (resumes; held-out networks refused)");
  nets.add_flag("--include-test-networks", na.options.include_test_networks,
                "let held-out networks write --layer-rows");
  nets.add_option("--max-network-gflops", na.max_network_gflops,
                  "leave out network and batch pairs above this many GFLOP per run (0: none)")
      ->check(non_negative_number());
  nets.add_option("--out", na.out, "nets JSON to write")->required();
  nets.add_option("--batch", na.batches,
                  "batch sizes, comma-separated or repeated (default: each network's own)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(positive_integer());
  na.import.add_to(nets);
  nets.add_flag_callback(
      "--no-layer-power", [&na] { na.options.layer_power = false; },
      "skip the per-layer power windows (end-to-end power only)");
  add_group_options(nets, na.options.groups);
}

struct SpreadArguments {
  DeviceArguments device;
  MeasureOptions measure;  // bound for the shared device options; the check uses windows
  RunSettings run;
  GroupOptions groups;
  SpreadOptions spread;
  std::string out;
};

void add_spread_options(CLI::App& spread, SpreadArguments& sa) {
  add_device_options(spread, sa.device, sa.measure, sa.run);
  spread.add_option("--batch", sa.spread.batch, "batch of the check's convolution")
      ->check(positive_integer())
      ->capture_default_str();
  spread.add_option("--repeats", sa.spread.repeats, "windows per N")
      ->check(integer_in(2, 1000))
      ->capture_default_str();
  spread.add_option("--periods", sa.spread.periods, "the Ns to compare")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(integer_in(1, 1000));
  spread.add_option("--out", sa.out, "CSV of every window (N, repeat, power, runtime, clocks)");
}

int run_spread(SpreadArguments& args) {
  Device device = open_device(args.device);
  if (!device.meter->available()) {
    std::cout << "spread check: skipped, no power meter (" << device.meter->status() << ")\n"
              << "spread verdict: none, N = " << args.groups.window_periods << " (default)\n";
    // The header alone: a campaign's files are the same with and without a meter.
    if (!args.out.empty()) replace_file(args.out, spread_check_csv(SpreadCheck{}));
    return 0;
  }
  StopSignals signals;
  const CounterPeriod period =
      measure_counter_period(*device.meter, steady_clock(), 10, 5.0, &g_stop);
  std::cout << counter_period_line(device.meter->name(), period);
  const SpreadCheck check = run_spread_check(*device.backend, *device.meter, args.spread, args.run,
                                             args.groups, period.period_s, steady_clock(), &g_stop);
  std::cout << spread_check_report(check, args.spread);
  if (!args.out.empty()) replace_file(args.out, spread_check_csv(check));
  return 0;
}

}  // namespace

Runner add_profile_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("profile", "measure runtime and power on a device (docs/profiling.md)");
  command->require_subcommand(1);

  auto* layers = command->add_subcommand(
      "layers", "measure layer configurations and append them to a dataset CSV");
  auto la = std::make_shared<LayersArguments>();
  add_layers_options(*layers, *la);

  auto* nets = command->add_subcommand(
      "nets", "measure whole networks end to end and layer by layer (for evaluate)");
  auto na = std::make_shared<NetsArguments>();
  add_nets_options(*nets, *na);

  auto* spread = command->add_subcommand(
      "spread", "the spread check that chooses the power window's N (docs/cuda-backend.md)");
  auto sa = std::make_shared<SpreadArguments>();
  add_spread_options(*spread, *sa);

  return [layers, nets, spread, la, na, sa]() -> int {
    if (layers->parsed()) return run_layers(*la);
    if (nets->parsed()) return run_nets(*na);
    if (spread->parsed()) return run_spread(*sa);
    return 2;
  };
}

}  // namespace np::cli
