// The pages the commands write — `report`, `evaluate --html`, `epr --html` — from committed data,
// in Debian's headless Chromium: each loads without a console message, a page error or a request,
// and every chart renders with marks. Set NP_HTML_KEEP_DIR to keep the pages.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "chromium.hpp"
#include "cli/cli_runner.hpp"

namespace np::html {
namespace {

namespace fs = std::filesystem;
using np::test::load_page;
using np::test::PageLoad;
using np::test::render_problems;

const char* kPowerModel = "tests/fixtures/synthetic-power-model.json";  // made-up power
const char* kCpuModel = "models/cpu-epyc-1t-fp32.json";                 // runtime only

class ReportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      np::test::find_chromium();
    } catch (const std::exception& error) {
      FAIL() << error.what();
    }
  }

  // Runs the command with {page} replaced by a fresh page path; returns the page loaded.
  PageLoad written(const std::string& name, std::string args) {
    const fs::path page = dir_.path() / name;
    args.replace(args.find("{page}"), 6, page.string());
    const auto result = np::test::run_cli(args);
    EXPECT_EQ(result.exit_code, 0) << result.out;
    EXPECT_NE(result.out.find("wrote"), std::string::npos) << result.out;
    if (const char* keep = std::getenv("NP_HTML_KEEP_DIR")) {
      fs::create_directories(keep);
      fs::copy_file(page, fs::path(keep) / name, fs::copy_options::overwrite_existing);
    }
    html_ = np::test::read_file(page);
    return load_page(page);
  }

  np::test::TempDir dir_;
  std::string html_;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += "\n  " + line;
  return text;
}

int drawn(const nlohmann::json& chart, const std::string& marktype) {
  return chart["items"].value(marktype, 0);
}

TEST_F(ReportCommand, PredictionWithPowerHasShareTopLayersAndPerLayerCharts) {
  const PageLoad loaded = written(
      "resnet50.html", std::string("report resnet50 --model ") + kPowerModel + " -o {page}");
  const auto problems = render_problems(loaded, 4);
  EXPECT_TRUE(problems.empty()) << joined(problems);
  ASSERT_TRUE(loaded.record.is_object());
  const auto& charts = loaded.record["charts"];
  ASSERT_EQ(charts.size(), 4u);
  // Top 10 by runtime and by energy: ten bars each; per layer: a bar per layer and value.
  EXPECT_EQ(drawn(charts[1], "rect"), 10);
  EXPECT_EQ(drawn(charts[2], "rect"), 10);
  EXPECT_GT(drawn(charts[3], "rect"), 2 * 100);
  // No missing value shows as NaN; the layers without a power model (add) say "not predicted".
  EXPECT_GT(charts[3]["missing_shown"].get<int>(), 0);
  for (const char* text :
       {"NeuralPower prediction: resnet50", "Share by layer kind", "Top 10 layers by runtime",
        "Top 10 layers by energy", "Per-layer prediction", "flag no-power-model"}) {
    EXPECT_NE(html_.find(text), std::string::npos) << text;
  }
}

TEST_F(ReportCommand, RuntimeOnlyPredictionHasNoEnergyChart) {
  const PageLoad loaded = written(
      "nin.html", std::string("report nin --batch 4 --model ") + kCpuModel + " -o {page} --top 5");
  const auto problems = render_problems(loaded, 3);
  EXPECT_TRUE(problems.empty()) << joined(problems);
  ASSERT_EQ(loaded.record["charts"].size(), 3u);
  EXPECT_EQ(drawn(loaded.record["charts"][1], "rect"), 5);
  EXPECT_NE(html_.find("Top 5 layers by runtime"), std::string::npos);
  EXPECT_EQ(html_.find("layers by energy"), std::string::npos);
  EXPECT_NE(html_.find("The model predicts no power for this network"), std::string::npos);
}

TEST_F(ReportCommand, PaleoBaselineReportRenders) {
  const PageLoad loaded =
      written("paleo.html", "report vgg-16 --baseline paleo --gpu titan-x -o {page}");
  const auto problems = render_problems(loaded, 3);
  EXPECT_TRUE(problems.empty()) << joined(problems);
  EXPECT_NE(html_.find("paleo baseline on"), std::string::npos);
}

TEST_F(ReportCommand, EvaluationComparesEveryMeasuredNetwork) {
  const PageLoad loaded =
      written("evaluate.html", std::string("evaluate --measured data/cpu-epyc-1t/nets.json "
                                           "--model ") +
                                   kCpuModel + " --gpu titan-x --html {page}");
  // One scatter over every layer, then one bar chart per measured network (11).
  const auto problems = render_problems(loaded, 12);
  EXPECT_TRUE(problems.empty()) << joined(problems);
  ASSERT_EQ(loaded.record["charts"].size(), 12u);
  EXPECT_GT(drawn(loaded.record["charts"][0], "symbol"), 1000);
  for (const char* text : {"resnet50, batch 1: predicted and measured per layer",
                           "Paleo runtime accuracy", "runtime accuracy"}) {
    EXPECT_NE(html_.find(text), std::string::npos) << text;
  }
}

TEST_F(ReportCommand, EprPageDrawsErrorAgainstEnergy) {
  const PageLoad loaded =
      written("epr.html", "epr --from tests/fixtures/paper_table7.csv --html {page}");
  const auto problems = render_problems(loaded, 1);
  EXPECT_TRUE(problems.empty()) << joined(problems);
  ASSERT_EQ(loaded.record["charts"].size(), 1u);
  EXPECT_EQ(drawn(loaded.record["charts"][0], "symbol"), 3);  // VGG-16, AlexNet, NIN
  EXPECT_NE(html_.find("best, alpha 1"), std::string::npos);
}

TEST_F(ReportCommand, EprFromPredictedEnergy) {
  const PageLoad loaded = written("epr-predicted.html",
                                  std::string("epr vgg-16=7.3% nin=20.2% alexnet-v2=17% --model ") +
                                      kPowerModel + " --html {page}");
  const auto problems = render_problems(loaded, 1);
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(ReportCommandErrors, NoOutputIsAUsageErrorAndAnUnwritablePathAnError) {
  EXPECT_EQ(np::test::run_cli("report nin --model models/cpu-epyc-1t-fp32.json").exit_code, 2);
  const auto result = np::test::run_cli(
      "report nin --model models/cpu-epyc-1t-fp32.json -o /nonexistent-dir/x.html");
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.out.find("/nonexistent-dir/x.html"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace np::html
