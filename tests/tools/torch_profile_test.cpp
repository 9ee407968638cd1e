// tools/torch_profile.py on the CPU (Debian's python3-torch) against the C++ tool: the plan the
// C++ tool exports (`profile layers --plan-out`), torch's measurements of it, `train` on them,
// resume after a kill, torch's output shapes against the IR's, and the compare mode.
#include <gtest/gtest.h>

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "neuralpower/csv.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/features.hpp"
#include "neuralpower/sampling_plan.hpp"
#include "neuralpower/table.hpp"
#include "tools/tool_process.hpp"

namespace np {
namespace {

using test::lines_of;
using test::neuralpower;
using test::read_text;
using test::TempDir;
using test::torch_profile;

// A few dozen small random configurations of most kinds (the caps keep each run short).
const std::string kRandomPlan =
    "--plan random --random 120 --max-configs 40 --max-gflops 0.05 --max-tensor-mib 8 --seed 7";
// Fast measurement settings: the test is about the pipeline, not about steady numbers.
const std::string kQuick = " --trials 3 --warmup 1 --min-trial-ms 1";

std::string edge_layers_net() {
  return std::string(NP_SOURCE_DIR) + "/tests/tools/fixtures/edge_layers.json";
}

size_t column(const std::string& name) {
  const auto& columns = dataset_columns();
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) throw std::runtime_error("no column " + name);
  return static_cast<size_t>(it - columns.begin());
}

// The rows of a dataset CSV as cells, after checking the header is the tool's.
std::vector<std::vector<std::string>> rows_of(const std::string& path) {
  const auto lines = lines_of(read_text(path));
  EXPECT_FALSE(lines.empty()) << path;
  if (lines.empty()) return {};
  EXPECT_EQ(lines[0] + "\n", dataset_header()) << path;
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 1; i < lines.size(); ++i) {
    rows.push_back(split_csv_line(lines[i]));
    EXPECT_EQ(rows.back().size(), dataset_columns().size()) << path << ":" << i + 1;
  }
  return rows;
}

std::string cell(const std::vector<std::string>& row, const std::string& name) {
  return row.at(column(name));
}

std::multiset<std::string> configs_of(const std::string& path) {
  std::multiset<std::string> configs;
  for (const auto& row : rows_of(path)) configs.insert(cell(row, "config"));
  return configs;
}

double as_number(const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error("not a number: '" + text + "'");
  }
  return value;
}

// Makes a plan with the C++ tool; returns its path.
std::string export_plan(const TempDir& dir, const std::string& name, const std::string& options) {
  const std::string path = dir.file(name);
  const auto r = neuralpower("profile layers --backend cpu " + options + " --plan-out " + path);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return path;
}

TEST(PlanOut, RowsAreTheDryRunPlanWithTheToolsFeaturesAndStatusPlanned) {
  TempDir dir;
  const std::string options =
      "--plan both --networks lenet --batches 1,2 --random 20 --max-gflops 0.05 "
      "--max-tensor-mib 8 --seed 7";
  const std::string plan = export_plan(dir, "plan.csv", options);
  const auto dry = neuralpower("profile layers --backend cpu " + options + " --dry-run", false);
  ASSERT_EQ(dry.exit_code, 0);

  // The same plan as the C++ tool makes it, to compare every feature cell with.
  PlanOptions o;
  o.kind = PlanKind::both;
  o.networks = {"lenet"};
  o.batches = {1, 2};
  o.random_count = 20;
  o.max_flops = static_cast<int64_t>(0.05 * 1e9);
  o.max_tensor_bytes = 8 << 20;
  o.seed = 7;
  const Plan expected = make_plan(o);

  const auto rows = rows_of(plan);
  const auto dry_lines = lines_of(dry.out);
  ASSERT_EQ(rows.size(), expected.configs.size());
  ASSERT_EQ(rows.size(), dry_lines.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const LayerConfig& c = expected.configs[i];
    EXPECT_EQ(dry_lines[i].substr(0, dry_lines[i].find("  # ")), cell(row, "config"));
    EXPECT_EQ(cell(row, "config"), c.config);
    EXPECT_EQ(cell(row, "kind"), to_string(c.kind));
    EXPECT_EQ(cell(row, "source_network"), c.source_network);
    EXPECT_EQ(cell(row, "source_layer"), c.source_layer);
    EXPECT_EQ(cell(row, "status"), "planned");
    EXPECT_EQ(cell(row, "dtype"), "fp32");
    for (const char* empty : {"runtime_ms", "trials", "power_w", "device", "backend"}) {
      EXPECT_EQ(cell(row, empty), "") << empty;
    }
    const auto features = named_features(c.net, c.layer_id());
    for (const auto& name : all_feature_names()) {
      const std::string text = cell(row, "f_" + name);
      const auto it = features.find(name);
      if (it == features.end()) {
        EXPECT_EQ(text, "") << c.config << " f_" << name;
      } else {
        EXPECT_EQ(as_number(text), it->second) << c.config << " f_" << name;
      }
    }
  }
}

TEST(PlanOut, TrainRefusesPlannedRowsAndUsageIsChecked) {
  TempDir dir;
  const std::string plan = export_plan(dir, "plan.csv", kRandomPlan);
  const auto train = neuralpower("train " + plan + " -o " + dir.file("model.json"));
  EXPECT_EQ(train.exit_code, 1) << train.out;
  EXPECT_NE(train.out.find("'planned' is neither ok nor failed"), std::string::npos) << train.out;
  EXPECT_FALSE(std::filesystem::exists(dir.file("model.json")));

  EXPECT_EQ(neuralpower("profile layers --backend cpu --dry-run --plan-out x.csv").exit_code, 2);
  EXPECT_EQ(neuralpower("profile layers --backend cpu --out a.csv --plan-out x.csv").exit_code, 2);
  const auto unwritable =
      neuralpower("profile layers --backend cpu --plan random --random 3 --plan-out " +
                  dir.file("missing/dir/plan.csv"));
  EXPECT_EQ(unwritable.exit_code, 1) << unwritable.out;
  EXPECT_NE(unwritable.out.find("cannot write the plan"), std::string::npos) << unwritable.out;
}

TEST(TorchProfile, MeasuresEveryPlannedConfigOnceAndTrainModelsTheKinds) {
  TempDir dir;
  const std::string plan = export_plan(dir, "plan.csv", kRandomPlan);
  const std::string data = dir.file("torch.csv");
  const auto run = torch_profile("profile --plan " + plan + " --out " + data + kQuick);
  ASSERT_EQ(run.exit_code, 0) << run.out;

  const auto planned = configs_of(plan);
  ASSERT_GE(planned.size(), 30u);
  EXPECT_EQ(configs_of(data), planned);  // each exactly once, none skipped
  std::map<std::string, int> ok_per_kind;
  for (const auto& row : rows_of(data)) {
    const std::string status = cell(row, "status");
    ASSERT_TRUE(status == "ok" || status == "failed") << status;
    EXPECT_EQ(cell(row, "backend"), "torch");
    EXPECT_EQ(cell(row, "math_mode"), "strict");
    EXPECT_NE(cell(row, "tool_version").find("+torch_profile"), std::string::npos);
    EXPECT_EQ(cell(row, "power_w"), "");  // no meter on the CPU: missing, never made up
    if (status == "failed") {
      EXPECT_NE(cell(row, "failure_reason"), "") << cell(row, "config");
      continue;
    }
    EXPECT_GT(as_number(cell(row, "runtime_ms")), 0) << cell(row, "config");
    EXPECT_EQ(cell(row, "trials"), "3");
    EXPECT_NE(cell(row, "algorithm"), "");
    ++ok_per_kind[cell(row, "kind")];
  }
  const Dataset parsed = read_dataset(data);  // the C++ reader takes the file as it is
  EXPECT_EQ(parsed.rows.size() + static_cast<size_t>(parsed.failed_rows), planned.size());
  EXPECT_EQ(parsed.failed_rows, 0) << "no kind of the random plan should fail in torch";

  const std::string model = dir.file("model.json");
  const auto train =
      neuralpower("train " + data + " -o " + model + " --min-rows 3 --folds 3 --max-degree 2");
  ASSERT_EQ(train.exit_code, 0) << train.out;
  const auto file = nlohmann::json::parse(read_text(model));
  EXPECT_EQ(file.at("platform").at("backend"), "torch");
  std::set<std::string> expected_kinds, modelled;
  for (const auto& [kind, count] : ok_per_kind) {
    if (count >= 3) expected_kinds.insert(kind);
  }
  for (const auto& [kind, value] : file.at("kinds").items()) modelled.insert(kind);
  EXPECT_GE(expected_kinds.size(), 3u);
  EXPECT_EQ(modelled, expected_kinds) << train.out;
}

TEST(TorchProfile, KilledAndResumedWritesEveryConfigurationOnce) {
  TempDir dir;
  const std::string plan = export_plan(dir, "plan.csv", kRandomPlan);
  const std::string data = dir.file("torch.csv");
  // 12 configurations of at least 5 trials of 20 ms: the kill comes after the third row.
  const std::vector<std::string> args{
      "profile", "--plan",   plan, "--out",          data, "--max-configs", "12", "--trials",
      "5",       "--warmup", "1",  "--min-trial-ms", "20"};
  std::string command;
  for (const auto& a : args) command += " " + a;
  {
    test::ToolChild child(args, dir.file("log.txt"));
    ASSERT_TRUE(test::wait_for_lines(child, data, 4, 120)) << read_text(dir.file("log.txt"));
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait(), 128 + SIGKILL);
  }
  const size_t after_kill = configs_of(data).size();
  ASSERT_LT(after_kill, 12u) << "the run finished before the kill";
  // A row cut in half, as a kill inside a write would leave it.
  std::string text = read_text(data);
  if (text.back() == '\n') {
    std::ofstream(data, std::ios::binary | std::ios::app) << "conv,\"conv in=1x3";
  }
  const auto resumed = torch_profile(command);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("removed a partial last line"), std::string::npos) << resumed.out;
  std::multiset<std::string> first_12;
  for (const auto& row : rows_of(plan)) {
    if (first_12.size() < 12) first_12.insert(cell(row, "config"));
  }
  EXPECT_EQ(configs_of(data), first_12);  // each exactly once, none lost
  EXPECT_NO_THROW(read_dataset(data));

  const std::string before = read_text(data);
  const auto again = torch_profile(command);
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("0 to measure"), std::string::npos) << again.out;
  EXPECT_EQ(read_text(data), before);
}

TEST(TorchProfile, BudgetAndCapsStopCleanlyAndResume) {
  TempDir dir;
  const std::string plan = export_plan(dir, "plan.csv", kRandomPlan);
  const std::string data = dir.file("torch.csv");
  const auto capped = torch_profile("profile --plan " + plan + " --out " + data + kQuick +
                                    " --kinds conv,fc --max-configs 5");
  ASSERT_EQ(capped.exit_code, 0) << capped.out;
  const auto rows = rows_of(data);
  EXPECT_LE(rows.size(), 5u);
  EXPECT_GE(rows.size(), 1u);
  for (const auto& row : rows) {
    EXPECT_TRUE(cell(row, "kind") == "conv" || cell(row, "kind") == "fc") << cell(row, "kind");
  }
  const auto budget = torch_profile("profile --plan " + plan + " --out " + data + kQuick +
                                    " --budget-seconds 0.000001");
  EXPECT_EQ(budget.exit_code, 0) << budget.out;
  EXPECT_NE(budget.out.find("time budget"), std::string::npos) << budget.out;
  EXPECT_NE(budget.out.find("the same command resumes"), std::string::npos) << budget.out;
  EXPECT_LT(rows_of(data).size(), configs_of(plan).size());
  EXPECT_EQ(torch_profile("profile --plan " + plan + " --out " + data + " --kinds nope").exit_code,
            1);
}

TEST(TorchProfile, OutputShapesMatchTheIrForEveryKind) {
  TempDir dir;
  const std::vector<std::string> networks{edge_layers_net(), "googlenet-2014", "shufflenet_v2_x1_0",
                                          "mobilenet_v3_small"};
  std::string list;
  for (const auto& n : networks) list += (list.empty() ? "" : ",") + n;
  const std::string plan =
      export_plan(dir, "plan.csv", "--plan nets --batches 1 --networks " + list);
  const auto shapes = torch_profile("shapes --plan " + plan, false);
  ASSERT_EQ(shapes.exit_code, 0) << shapes.out;

  // The IR's shapes, from `show`: layer name -> output shape, per network.
  std::map<std::string, std::map<std::string, std::vector<int64_t>>> ir;
  for (const auto& n : networks) {
    const auto show = neuralpower("show " + n + " --batch 1 --format json", false);
    ASSERT_EQ(show.exit_code, 0) << show.out;
    const auto parsed =
        nlohmann::json::parse(show.out);  // outlives the loop (a temporary would not)
    for (const auto& layer : parsed.at("layers")) {
      ir[n][layer.at("name").get<std::string>()] =
          layer.at("output_shape").get<std::vector<int64_t>>();
    }
  }
  std::set<std::string> kinds;
  size_t compared = 0;
  for (const auto& line : lines_of(shapes.out)) {
    const auto entry = nlohmann::json::parse(line);
    const std::string config = entry.at("config");
    const std::string layer = entry.at("source_layer");
    const std::string error = entry.at("error");
    if (layer == "avg_asym_excl") {  // the one configuration torch cannot express
      EXPECT_EQ(error.rfind("unsupported: avg pool with padding 0,1,1,0", 0), 0u) << error;
      continue;
    }
    ASSERT_EQ(error, "") << config;
    const std::string network = entry.at("source_network");
    ASSERT_EQ(ir.count(network), 1u) << network;
    ASSERT_EQ(ir.at(network).count(layer), 1u) << network << " has no layer " << layer;
    EXPECT_EQ(entry.at("output_shape").get<std::vector<int64_t>>(), ir.at(network).at(layer))
        << config;
    kinds.insert(config.substr(0, config.find(' ')));
    ++compared;
  }
  EXPECT_GT(compared, 150u);
  EXPECT_EQ(kinds.size(), modelled_kinds().size()) << "every modelled kind is compared";
}

TEST(TorchProfile, WhatTorchCannotRunIsAFailedRowWithTheReason) {
  TempDir dir;
  // One pool torch cannot express, among others it can.
  const std::string plan =
      export_plan(dir, "plan.csv", "--plan nets --batches 1 --networks " + edge_layers_net());
  const std::string data = dir.file("torch.csv");
  const auto run =
      torch_profile("profile --plan " + plan + " --out " + data + kQuick + " --kinds pool");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  int failed = 0;
  for (const auto& row : rows_of(data)) {
    if (cell(row, "status") != "failed") continue;
    ++failed;
    EXPECT_EQ(cell(row, "source_layer"), "avg_asym_excl");
    EXPECT_NE(cell(row, "failure_reason").find("unsupported: avg pool"), std::string::npos);
    EXPECT_EQ(cell(row, "runtime_ms"), "");
  }
  EXPECT_EQ(failed, 1);

  // int8: every row fails, none is skipped.
  const std::string int8_plan =
      export_plan(dir, "int8.csv", "--plan nets --networks lenet --batches 1 --dtype int8");
  const std::string int8_data = dir.file("int8_torch.csv");
  const auto int8 = torch_profile("profile --plan " + int8_plan + " --out " + int8_data + kQuick);
  ASSERT_EQ(int8.exit_code, 0) << int8.out;
  const auto int8_rows = rows_of(int8_data);
  EXPECT_EQ(int8_rows.size(), rows_of(int8_plan).size());
  for (const auto& row : int8_rows) {
    EXPECT_EQ(cell(row, "status"), "failed");
    EXPECT_NE(cell(row, "failure_reason").find("not int8"), std::string::npos);
  }

  // A plan row whose features disagree with what torch computes is not measured.
  auto lines = lines_of(read_text(plan));
  std::string tampered = lines[0] + "\n";
  for (size_t i = 1; i < lines.size(); ++i) {
    auto cells = split_csv_line(lines[i]);
    if (cells[column("source_layer")] != "conv_asym") continue;
    cells[column("f_output_elements")] = "12345";
    cells[column("f_out_height")] = "99";
    std::string line;
    for (const auto& c : cells) line += (line.empty() ? "" : ",") + csv_cell(c);
    tampered += line + "\n";
  }
  std::ofstream(dir.file("tampered.csv")) << tampered;
  const std::string tampered_data = dir.file("tampered_torch.csv");
  const auto checked = torch_profile("profile --plan " + dir.file("tampered.csv") + " --out " +
                                     tampered_data + kQuick);
  ASSERT_EQ(checked.exit_code, 0) << checked.out;
  const auto tampered_rows = rows_of(tampered_data);
  ASSERT_EQ(tampered_rows.size(), 1u);
  EXPECT_EQ(cell(tampered_rows[0], "status"), "failed");
  EXPECT_NE(cell(tampered_rows[0], "failure_reason").find("differs from the IR"), std::string::npos)
      << cell(tampered_rows[0], "failure_reason");
}

TEST(TorchProfile, ErrorsAndUsage) {
  TempDir dir;
  const std::string plan = export_plan(dir, "plan.csv", kRandomPlan);
  EXPECT_EQ(torch_profile("").exit_code, 2);
  EXPECT_EQ(torch_profile("profile --plan " + plan).exit_code, 2);  // no --out
  EXPECT_EQ(torch_profile("profile --plan " + plan + " --out x.csv --trials 0").exit_code, 2);
  const auto power = torch_profile("profile --plan " + plan + " --out x.csv --power");
  EXPECT_EQ(power.exit_code, 2) << power.out;
  EXPECT_NE(power.out.find("--power needs --device cuda"), std::string::npos) << power.out;

  const auto missing = torch_profile("profile --plan " + dir.file("none.csv") + " --out x.csv");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("cannot read plan"), std::string::npos) << missing.out;
  // Measured rows are not a plan.
  const std::string data = dir.file("torch.csv");
  ASSERT_EQ(torch_profile("profile --plan " + plan + " --out " + data + kQuick + " --max-configs 1")
                .exit_code,
            0);
  const auto not_plan = torch_profile("profile --plan " + data + " --out " + dir.file("b.csv"));
  EXPECT_EQ(not_plan.exit_code, 1);
  EXPECT_NE(not_plan.out.find("not 'planned'"), std::string::npos) << not_plan.out;
  // A file of another platform or another format is refused and left untouched.
  std::string foreign = read_text(data);
  const auto pos = foreign.find(",torch,");
  ASSERT_NE(pos, std::string::npos);
  foreign.replace(pos, 7, ",cpu,");
  std::ofstream(dir.file("foreign.csv")) << foreign;
  const auto other = torch_profile("profile --plan " + plan + " --out " + dir.file("foreign.csv"));
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.out.find("a dataset holds one platform"), std::string::npos) << other.out;
  std::ofstream(dir.file("junk.csv")) << "a,b\n1,2\n";
  const auto junk = torch_profile("profile --plan " + plan + " --out " + dir.file("junk.csv"));
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_EQ(read_text(dir.file("junk.csv")), "a,b\n1,2\n");
  // Without --plan the tool runs neuralpower for it.
  const auto own = torch_profile("shapes --neuralpower " + std::string(NP_CLI_PATH) +
                                 " --plan-args '--plan random --random 3 --seed 3'");
  EXPECT_EQ(own.exit_code, 0) << own.out;
  int shapes = 0;
  for (const auto& line : lines_of(own.out)) shapes += line.rfind("{\"config\"", 0) == 0;
  EXPECT_EQ(shapes, 3) << own.out;
}

LayerMeasurement measured(const std::string& kind, const std::string& config, double runtime_ms,
                          std::optional<double> power_w, const std::string& backend) {
  LayerMeasurement m;
  m.kind = layer_kind_from_string(kind);
  m.config = config;
  m.runtime_ms = runtime_ms;
  m.power_w = power_w;
  m.trials = 15;
  m.platform.device = "GPU";
  m.platform.backend = backend;
  m.platform.math_mode = "strict";
  return m;
}

TEST(TorchProfileCompare, MedianRatiosPerKindOverTheCommonConfigs) {
  TempDir dir;
  std::string a = dataset_header(), b = dataset_header();
  a += dataset_row(measured("conv", "c1", 1.0, 100.0, "cuda"));
  a += dataset_row(measured("conv", "c2", 2.0, 100.0, "cuda"));
  a += dataset_row(measured("conv", "c3", 4.0, std::nullopt, "cuda"));
  a += dataset_row(measured("fc", "f1", 0.5, std::nullopt, "cuda"));
  b += dataset_row(measured("conv", "c1", 2.0, 150.0, "torch"));
  b += dataset_row(measured("conv", "c2", 3.0, std::nullopt, "torch"));
  LayerMeasurement failed = measured("conv", "c3", 1.0, std::nullopt, "torch");
  failed.failed = true;
  failed.runtime_ms.reset();
  b += dataset_row(failed);
  b += dataset_row(measured("fc", "f1", 1.0, 80.0, "torch"));
  b += dataset_row(measured("fc", "f9", 1.0, std::nullopt, "torch"));
  std::ofstream(dir.file("a.csv")) << a;
  std::ofstream(dir.file("b.csv")) << b;

  const auto r =
      torch_profile("compare " + dir.file("a.csv") + " " + dir.file("b.csv") + " --markdown");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // conv: runtime ratios 2 and 1.5, one power ratio 1.5; fc: runtime 2, no power in A.
  EXPECT_NE(r.out.find("| conv | 2 | 1.750 [1.625, 1.875] | 1.500 [1.500, 1.500] | 1 |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| fc | 1 | 2.000 [2.000, 2.000] | - | 0 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| all | 3 | 2.000 [1.750, 2.000] | 1.500 [1.500, 1.500] | 1 |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("common: 3 configs (1 only in A, 1 only in B)"), std::string::npos) << r.out;
  const auto table = torch_profile("compare " + dir.file("a.csv") + " " + dir.file("b.csv"));
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("1.750 [1.625, 1.875]"), std::string::npos) << table.out;

  std::ofstream(dir.file("c.csv"))
      << dataset_header() << dataset_row(measured("fc", "x", 1.0, std::nullopt, "cpu"));
  const auto none = torch_profile("compare " + dir.file("a.csv") + " " + dir.file("c.csv"));
  EXPECT_EQ(none.exit_code, 1) << none.out;
  EXPECT_NE(none.out.find("no measured configuration in common"), std::string::npos) << none.out;
}

}  // namespace
}  // namespace np
