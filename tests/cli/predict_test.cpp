// `predict`'s readable output against its JSON: CSV cells are numbers that match it, --top and
// --sort choose and order the rows, the legend counts each flag once, and the summary says when
// the total is incomplete.
#include <gtest/gtest.h>

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_runner.hpp"

namespace np::test {
namespace {

const std::string kPower = " --model tests/fixtures/synthetic-power-model.json";
const std::string kCpu = " --model models/cpu-epyc-1t-fp32.json";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Cells of a CSV line without quotes (layer names here have no commas).
std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

double number(const std::string& cell) {
  double value = 0;
  const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  EXPECT_TRUE(error == std::errc() && end == cell.data() + cell.size()) << "'" << cell << "'";
  return value;
}

nlohmann::json predicted_json(const std::string& args) {
  const auto r = run_cli("predict " + args + " --format json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return nlohmann::json::parse(r.out);
}

TEST(PredictOutput, CsvIsNumbersThatMatchTheJson) {
  const auto doc = predicted_json("resnet50" + kPower);
  const auto r = run_cli("predict resnet50" + kPower + " --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines[0],
            "index,layer,kind,runtime_ms,runtime_share,power_w,energy_mj,energy_share,flags");
  ASSERT_EQ(lines.size(), doc["layers"].size() + 1);  // every layer, no totals row
  double share = 0, energy_share = 0;
  int empty_power = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto cells = cells_of(lines[i]);
    ASSERT_EQ(cells.size(), 9u) << lines[i];
    const auto& layer = doc["layers"][i - 1];
    EXPECT_EQ(cells[0], std::to_string(layer["index"].get<int>()));
    EXPECT_EQ(cells[1], layer["name"]);
    EXPECT_EQ(number(cells[3]), layer["runtime_ms"].get<double>());  // full precision
    share += number(cells[4]);
    if (layer["power_w"].is_null()) {
      EXPECT_EQ(cells[5], "");
      ++empty_power;
    } else {
      EXPECT_EQ(number(cells[5]), layer["power_w"].get<double>());
    }
    if (!cells[7].empty()) energy_share += number(cells[7]);
    EXPECT_EQ(r.out.find('%'), std::string::npos);
    EXPECT_EQ(lines[i].find(",-"), std::string::npos) << lines[i];
  }
  EXPECT_NEAR(share, 1.0, 1e-9);
  EXPECT_NEAR(energy_share, 1.0, 1e-9);
  EXPECT_GT(empty_power, 0);  // add layers: no power model in the synthetic model
}

TEST(PredictOutput, TopAndSortChooseAndOrderTheRows) {
  const auto doc = predicted_json("resnet18" + kPower);
  const auto csv =
      lines_of(run_cli("predict resnet18" + kPower + " --format csv --top 7 --sort energy").out);
  ASSERT_EQ(csv.size(), 8u);
  double previous = 1e300;
  for (size_t i = 1; i < csv.size(); ++i) {
    const double energy = number(cells_of(csv[i])[6]);
    EXPECT_LE(energy, previous);
    previous = energy;
  }
  double largest = 0;
  for (const auto& layer : doc["layers"]) {
    if (!layer["energy_mj"].is_null())
      largest = std::max(largest, layer["energy_mj"].get<double>());
  }
  EXPECT_EQ(number(cells_of(csv[1])[6]), largest);
  // --top in network order keeps the largest runtimes but lists them by index.
  const auto ordered = lines_of(run_cli("predict resnet18" + kPower + " --format csv --top 5").out);
  ASSERT_EQ(ordered.size(), 6u);
  for (size_t i = 2; i < ordered.size(); ++i) {
    EXPECT_LT(number(cells_of(ordered[i - 1])[0]), number(cells_of(ordered[i])[0]));
  }
  const auto table = run_cli("predict resnet18" + kPower + " --top 5");
  EXPECT_NE(table.out.find("shown: the top 5 of "), std::string::npos) << table.out;
  // Sorted by energy without --top: every layer, those without an energy last.
  const auto all =
      lines_of(run_cli("predict resnet18" + kPower + " --format csv --sort energy").out);
  ASSERT_EQ(all.size(), doc["layers"].size() + 1);
  EXPECT_EQ(cells_of(all.back())[6], "");
}

TEST(PredictOutput, TheLegendCountsEachFlagOnceAndNoRowRepeatsIt) {
  const auto doc = predicted_json("resnet50" + kCpu);
  int no_power = 0;
  for (const auto& layer : doc["layers"]) {
    for (const auto& flag : layer["flags"]) no_power += flag == "no-power-model";
  }
  const auto r = run_cli("predict resnet50" + kCpu);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find("no-power-model"), r.out.rfind("no-power-model")) << r.out;  // once
  EXPECT_NE(r.out.find("no-power-model  " + std::to_string(no_power) + " layers"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("  share  "), std::string::npos);  // the old duplicated column name
  EXPECT_EQ(r.out.rfind("network  resnet50, batch 1\nmodel    ", 0), 0u) << r.out;  // summary first
}

TEST(PredictOutput, SaysWhenTheTotalIsIncomplete) {
  // The synthetic model has no lrn or softmax model; alexnet-2012 has two lrn and a softmax.
  const auto doc = predicted_json("alexnet-2012" + kPower);
  EXPECT_EQ(doc["total"]["layers_without_model"], 3);
  EXPECT_EQ(doc["total"]["layers"], doc["layers"].size());
  const auto r = run_cli("predict alexnet-2012" + kPower);
  EXPECT_NE(r.out.find("incomplete: 3 of 24 layers (lrn 2, softmax 1) have no runtime model and "
                       "count as 0 ms"),
            std::string::npos)
      << r.out;
  const auto full = run_cli("predict vgg-16" + kCpu);
  EXPECT_EQ(full.out.find("incomplete"), std::string::npos) << full.out;
  const auto markdown = run_cli("predict alexnet-2012" + kPower + " --format markdown");
  EXPECT_EQ(
      markdown.out.rfind("### alexnet-2012, batch 80\n\nmodel: synthetic-power-model.json", 0), 0u)
      << markdown.out;
}

TEST(PredictOutput, BadChoicesAreUsageErrors) {
  EXPECT_EQ(run_cli("predict nin" + kCpu + " --sort flops").exit_code, 2);
  EXPECT_EQ(run_cli("predict nin" + kCpu + " --top -1").exit_code, 2);
  const auto r = run_cli("predict nin" + kCpu + " --sort energy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("no layer of 'nin' has a predicted energy"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace np::test
