// The page in a real browser (Debian's chromium, headless): every chart kind renders, draws what
// its data says, with no console message, no page error and no request; broken charts are caught.
// Set NP_HTML_KEEP_DIR to keep the rendered test page (and its screenshot) for a look.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>

#include "chromium.hpp"
#include "report/html/charts.hpp"
#include "report/html/html_page.hpp"
#include "synthetic.hpp"

namespace np::html {
namespace {

namespace fs = std::filesystem;
using np::test::load_page;
using np::test::PageLoad;
using np::test::render_problems;
using np::test::TempDir;

const std::string kHostile = "</script><b>&\"'";

class Browser : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      np::test::find_chromium();
    } catch (const std::exception& error) {
      FAIL() << error.what();
    }
  }

  PageLoad load(const HtmlPage& page, const std::string& name = "page.html") {
    const fs::path file = dir_.path() / name;
    np::test::write_file(file, render_html_page(page));
    if (const char* keep = std::getenv("NP_HTML_KEEP_DIR")) {
      fs::create_directories(keep);
      fs::copy_file(file, fs::path(keep) / name, fs::copy_options::overwrite_existing);
    }
    return load_page(file);
  }

  TempDir dir_;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += "\n  " + line;
  return text;
}

int items(const nlohmann::json& chart, const std::string& marktype) {
  return chart["items"].value(marktype, 0);
}

// Every chart kind, from a 200-layer network with a hostile layer name and missing values.
HtmlPage full_page() {
  auto layers = np::test::synthetic_layers(
      {.layers = 200, .power_missing_every = 7, .measured_missing_every = 9, .baseline = true});
  layers[5].name = kHostile;
  HtmlPage page;
  page.title = "Synthetic network " + kHostile;
  page.subtitle = "200 layers, made up for the tests";
  page.summary = {{"layers", "200"}, {"name with markup", kHostile}};
  page.tables = {kind_share_table(layers), top_layers_table(layers, Quantity::runtime),
                 top_layers_table(layers, Quantity::energy)};
  page.charts = {kind_share_chart(layers),
                 top_layers_chart(layers, Quantity::runtime),
                 top_layers_chart(layers, Quantity::energy),
                 per_layer_chart(layers),
                 comparison_chart(layers),
                 comparison_scatter(layers),
                 epr_chart(np::test::synthetic_epr())};
  page.notes = {"power is missing for every seventh layer on purpose"};
  page.generator = "neuralpower tests";
  return page;
}

TEST_F(Browser, EveryChartKindRendersWithoutAnyError) {
  const HtmlPage page = full_page();
  const PageLoad loaded = load(page, "full.html");
  const auto problems = render_problems(loaded, page.charts.size());
  EXPECT_TRUE(problems.empty()) << joined(problems);
  ASSERT_TRUE(loaded.record.is_object());
  const auto& charts = loaded.record["charts"];
  ASSERT_EQ(charts.size(), page.charts.size());
  for (const auto& chart : charts) {
    EXPECT_GT(chart["width"].get<double>(), 100) << chart["id"];
    EXPECT_GT(chart["height"].get<double>(), 100) << chart["id"];
  }
  // What each chart drew is what its data holds: one bar per value, none for a missing one.
  const auto& kinds = page.charts[0].values;
  EXPECT_EQ(items(charts[0], "rect"), static_cast<int>(kinds.size()));
  EXPECT_EQ(items(charts[0], "text"), static_cast<int>(kinds.size()));
  EXPECT_EQ(items(charts[1], "rect"), 10);
  EXPECT_EQ(items(charts[2], "text"), 10);
  int per_layer_values = 0;
  for (const auto& row : page.charts[3].values) {
    per_layer_values += 1 + row.contains("power_w") + row.contains("energy_mj");
  }
  EXPECT_LT(per_layer_values, 600);  // some power and energy are missing
  EXPECT_EQ(items(charts[3], "rect"), per_layer_values);
  EXPECT_EQ(items(charts[4], "rect"), static_cast<int>(page.charts[4].values.size()));
  EXPECT_EQ(items(charts[5], "symbol"), static_cast<int>(page.charts[5].values.size()));
  EXPECT_EQ(items(charts[6], "symbol"), 7);
  EXPECT_EQ(items(charts[6], "text"), 7);
  // Every bar and point has a tooltip; a missing power or energy reads "not predicted" in it.
  for (size_t i : {0, 1, 2, 3, 4}) EXPECT_GE(charts[i]["tooltips"], items(charts[i], "rect")) << i;
  for (size_t i : {5, 6}) EXPECT_GE(charts[i]["tooltips"], items(charts[i], "symbol")) << i;
  int missing = 0;
  for (const auto& row : page.charts[3].values) {
    missing += !row.contains("power_w") + !row.contains("energy_mj");
  }
  // Each layer's tooltip is on each of its bars: runtime for all, power and energy where known.
  EXPECT_GT(missing, 0);
  EXPECT_GE(charts[3]["missing_shown"].get<int>(), missing);
  // The hostile name is drawn as text, never as markup.
  EXPECT_EQ(loaded.dom.find("<b>"), std::string::npos);
  EXPECT_NE(loaded.dom.find("&lt;/script&gt;&lt;b&gt;&amp;"), std::string::npos);
  for (size_t i = 0; i < page.charts.size(); ++i) {
    EXPECT_NE(loaded.dom.find("id=\"np-chart-" + std::to_string(i) + "\" data-np-status=\"ok\""),
              std::string::npos)
        << i;
  }
}

HtmlPage page_with(nlohmann::json broken_spec, nlohmann::json values) {
  auto layers = np::test::synthetic_layers({.layers = 12});
  HtmlPage page;
  page.title = "broken";
  page.charts = {per_layer_chart(layers),
                 Chart{"broken", "", std::move(broken_spec), std::move(values)}};
  return page;
}

const nlohmann::json kBars =
    nlohmann::json::array({{{"a", "x"}, {"b", 1}}, {{"a", "y"}, {"b", 2}}});

TEST_F(Browser, ABrokenSpecIsShownAndDetected) {
  const PageLoad loaded = load(page_with(
      {{"mark", "no-such-mark"}, {"encoding", {{"x", {{"field", "a"}, {"type", "nominal"}}}}}},
      kBars));
  const auto problems = render_problems(loaded, 2);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(joined(problems).find("np-chart-1: error"), std::string::npos) << joined(problems);
  EXPECT_EQ(joined(problems).find("np-chart-0"), std::string::npos) << joined(problems);
  EXPECT_NE(loaded.dom.find("id=\"np-chart-1\" data-np-status=\"error\""), std::string::npos);
  EXPECT_NE(loaded.dom.find("class=\"np-chart-error\">This chart could not be drawn"),
            std::string::npos);
}

TEST_F(Browser, AFieldThatIsNotInTheDataIsDetected) {
  const PageLoad loaded =
      load(page_with({{"mark", "bar"},
                      {"encoding",
                       {{"x", {{"field", "a"}, {"type", "nominal"}}},
                        {"y", {{"field", "no_such_field"}, {"type", "quantitative"}}}}}},
                     kBars));
  const auto problems = render_problems(loaded, 2);
  EXPECT_NE(joined(problems).find("np-chart-1"), std::string::npos) << joined(problems);
  EXPECT_EQ(joined(problems).find("np-chart-0"), std::string::npos) << joined(problems);
}

TEST_F(Browser, ADataRequestIsBlockedAndDetected) {
  // A chart that would load its data from the network: the page's policy refuses it.
  const PageLoad loaded =
      load(page_with({{"layer",
                       {{{"data", {{"url", "https://example.invalid/data.json"}}},
                         {"mark", "bar"},
                         {"encoding", {{"x", {{"field", "a"}, {"type", "nominal"}}}}}}}}},
                     nlohmann::json::array()));
  const auto problems = render_problems(loaded, 2);
  EXPECT_NE(joined(problems).find("np-chart-1"), std::string::npos) << joined(problems);
  EXPECT_NE(joined(problems).find("connect-src"), std::string::npos) << joined(problems);
}

TEST_F(Browser, ConsoleMessagesAreCaught) {
  // The harness itself: a console message and an uncaught error in a plain page are seen.
  const fs::path file = dir_.path() / "console.html";
  np::test::write_file(file,
                       "<!DOCTYPE html><html><body><script>console.error('np console check');"
                       "</script><script>throw new Error('np uncaught check');</script></body>"
                       "</html>");
  const PageLoad loaded = load_page(file);
  const std::string messages = joined(loaded.console_messages);
  EXPECT_NE(messages.find("np console check"), std::string::npos) << messages;
  EXPECT_NE(messages.find("np uncaught check"), std::string::npos) << messages;
  EXPECT_FALSE(render_problems(loaded, 0).empty());
}

// PNG: 8-byte signature, then the IHDR chunk with big-endian width and height.
std::pair<uint32_t, uint32_t> png_size(const std::string& png) {
  auto be32 = [&](size_t at) {
    return (uint32_t(uint8_t(png[at])) << 24) | (uint32_t(uint8_t(png[at + 1])) << 16) |
           (uint32_t(uint8_t(png[at + 2])) << 8) | uint32_t(uint8_t(png[at + 3]));
  };
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return {0, 0};
  return {be32(16), be32(20)};
}

TEST_F(Browser, ScreenshotsThePage) {
  const fs::path page = dir_.path() / "shot.html";
  np::test::write_file(page, render_html_page(full_page()));
  const fs::path png = dir_.path() / "shot.png";
  np::test::screenshot(page, png, 1200, 1600);
  const std::string image = np::test::read_file(png);
  EXPECT_EQ(png_size(image), std::make_pair(1200u, 1600u));
  // A page with charts and tables compresses far worse than an empty one.
  HtmlPage empty;
  empty.title = "empty";
  const fs::path blank = dir_.path() / "blank.html";
  np::test::write_file(blank, render_html_page(empty));
  np::test::screenshot(blank, dir_.path() / "blank.png", 1200, 1600);
  EXPECT_GT(image.size(), 4 * np::test::read_file(dir_.path() / "blank.png").size());
  if (const char* keep = std::getenv("NP_HTML_KEEP_DIR")) {
    fs::create_directories(keep);
    fs::copy_file(png, fs::path(keep) / "full.png", fs::copy_options::overwrite_existing);
  }
}

// Without chromium the tests must fail and say why, not pass.
TEST(Chromium, MissingChromiumIsAClearError) {
  const char* choice = std::getenv("NP_CHROMIUM");
  const std::optional<std::string> saved_choice =
      choice ? std::optional<std::string>(choice) : std::nullopt;
  const std::string saved_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("NP_CHROMIUM", "/nonexistent/chromium", 1);
  EXPECT_THROW(
      {
        try {
          np::test::find_chromium();
        } catch (const std::runtime_error& error) {
          EXPECT_NE(std::string(error.what()).find("NP_CHROMIUM=/nonexistent/chromium"),
                    std::string::npos);
          throw;
        }
      },
      std::runtime_error);
  unsetenv("NP_CHROMIUM");
  setenv("PATH", "/nonexistent", 1);
  try {
    np::test::find_chromium();
    ADD_FAILURE() << "found a chromium on an empty PATH";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("chromium not found"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("setup.sh"), std::string::npos);
  }
  setenv("PATH", saved_path.c_str(), 1);
  if (saved_choice) setenv("NP_CHROMIUM", saved_choice->c_str(), 1);
}

}  // namespace
}  // namespace np::html
