// The page as text: escaping, inlined libraries, no external references, input checks.
#include <gtest/gtest.h>

#include <cctype>
#include <regex>

#include "chromium.hpp"
#include "neuralpower/error.hpp"
#include "report/html/charts.hpp"
#include "report/html/embedded_assets.hpp"
#include "report/html/html_page.hpp"
#include "synthetic.hpp"

namespace np::html {
namespace {

const std::string kHostile = "</script><b>&\"'";

std::string without(std::string text, std::string_view part) {
  const size_t at = text.find(part);
  if (at != std::string::npos) text.erase(at, part.size());
  return text;
}

size_t occurrences(const std::string& text, std::string_view part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

HtmlPage page_with_a_chart() {
  HtmlPage page;
  page.title = "resnet " + kHostile;
  page.subtitle = "model " + kHostile;
  page.summary = {{"label " + kHostile, "value " + kHostile}};
  page.tables = {{"table " + kHostile, {"a", "b"}, {{"1", kHostile}}, {0}}};
  page.notes = {"note " + kHostile};
  page.generator = "neuralpower test";
  LayerValues layer = np::test::layer(kHostile, "conv", 0, 1.5);
  layer.power_w = 100;
  layer.energy_mj = 150;
  page.charts.push_back(per_layer_chart({layer}));
  page.charts[0].title = "chart " + kHostile;
  return page;
}

TEST(EscapeHtml, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(escape_html("</script><b>&\"'"), "&lt;/script&gt;&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(escape_html("plain text, 12 % ok"), "plain text, 12 % ok");
}

TEST(JsonForScript, NeverContainsAngleBracketsOrAmpersandsAndParsesBack) {
  const nlohmann::json value = {{"name", kHostile + "<!-- -->"}, {"n", 3}};
  const std::string text = json_for_script(value);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(text.find('&'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(text), value);
}

TEST(JsonForScript, ReplacesInvalidUtf8InsteadOfThrowing) {
  const nlohmann::json value = {{"name", std::string("conv\xff")}};
  EXPECT_NO_THROW(nlohmann::json::parse(json_for_script(value)));
}

TEST(RenderHtmlPage, EscapesEveryTextItIsGiven) {
  const std::string html = render_html_page(page_with_a_chart());
  // The libraries are the only raw script text; outside them the hostile name must never appear
  // unescaped, and each text shows up escaped.
  std::string page_text = html;
  for (auto script : {embedded::vega_js(), embedded::vega_lite_js(), embedded::vega_embed_js(),
                      embedded::page_js()}) {
    page_text = without(page_text, script);
  }
  EXPECT_EQ(page_text.find(kHostile), std::string::npos);
  EXPECT_EQ(page_text.find("<b>"), std::string::npos);
  const std::string escaped = escape_html(kHostile);
  for (const char* where : {"<title>resnet ", "<h1>resnet ", "model ", "label ", "value ",
                            "<caption>table ", "note ", "<h2>chart "}) {
    EXPECT_NE(html.find(std::string(where) + escaped), std::string::npos) << where;
  }
}

TEST(RenderHtmlPage, ScriptElementsCloseOnlyWhereThePageClosesThem) {
  std::string html = render_html_page(page_with_a_chart());
  for (char& ch : html) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const size_t opened = occurrences(html, "<script>") + occurrences(html, "<script ");
  const size_t closed = occurrences(html, "</script");
  EXPECT_EQ(opened, 5u);  // the chart specs, page.js and the three libraries
  EXPECT_EQ(closed, opened);
}

TEST(RenderHtmlPage, InlinesTheLibrariesByteForByte) {
  const std::string html = render_html_page(page_with_a_chart());
  for (auto script : {embedded::vega_js(), embedded::vega_lite_js(), embedded::vega_embed_js()}) {
    ASSERT_GT(script.size(), 50'000u);
    EXPECT_NE(html.find("<script>" + std::string(script) + "</script>"), std::string::npos);
  }
  EXPECT_NE(html.find("Vega 6."), std::string::npos);  // the footer names the versions
  EXPECT_NE(html.find("University of Washington Interactive Data Lab"), std::string::npos);
}

TEST(RenderHtmlPage, EmbeddedFilesAreTheCommittedFiles) {
  const std::string dir = std::string(NP_SOURCE_DIR) + "/third_party/vega/";
  EXPECT_EQ(embedded::vega_js(), np::test::read_file(dir + "vega.min.js"));
  EXPECT_EQ(embedded::vega_lite_js(), np::test::read_file(dir + "vega-lite.min.js"));
  EXPECT_EQ(embedded::vega_embed_js(), np::test::read_file(dir + "vega-embed.min.js"));
  EXPECT_EQ(embedded::third_party_notices(), np::test::read_file(dir + "THIRD_PARTY_NOTICES.txt"));
}

TEST(RenderHtmlPage, BundledLibrariesNameTheirVersions) {
  const auto libraries = bundled_libraries();
  ASSERT_EQ(libraries.size(), 3u);
  for (const auto& library : libraries) {
    EXPECT_TRUE(std::regex_match(library.version, std::regex(R"(\d+\.\d+\.\d+)"))) << library.name;
    EXPECT_GT(library.bytes, 50'000u);
  }
}

// Offline: the page's own markup, styles, script and data refer to no URL, and its policy forbids
// every request. The verbatim third-party texts are set aside: the libraries' code holds
// namespace URIs such as the SVG one (names, never fetched) and their licences cite project
// addresses as plain text. The browser tests check that nothing is requested.
TEST(RenderHtmlPage, RefersToNoExternalUrl) {
  const std::string html = render_html_page(page_with_a_chart());
  std::string own = html;
  for (auto script : {embedded::vega_js(), embedded::vega_lite_js(), embedded::vega_embed_js()}) {
    own = without(own, script);
  }
  for (auto licence : {embedded::vega_license(), embedded::vega_lite_license(),
                       embedded::vega_embed_license(), embedded::third_party_notices()}) {
    own = without(own, escape_html(licence));
  }
  EXPECT_EQ(own.find("://"), std::string::npos);
  EXPECT_EQ(std::regex_search(own, std::regex(R"((src|href)\s*=\s*"(?!data:))")), false);
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none';"),
            std::string::npos);
}

TEST(RenderHtmlPage, RejectsMalformedInput) {
  HtmlPage page = page_with_a_chart();
  page.tables[0].rows.push_back({"only one cell"});
  EXPECT_THROW(render_html_page(page), np::Error);

  page = page_with_a_chart();
  page.charts[0].spec["data"] = {{"values", nlohmann::json::array()}};
  EXPECT_THROW(render_html_page(page), np::Error);

  page = page_with_a_chart();
  page.charts[0].values = nlohmann::json::object();
  EXPECT_THROW(render_html_page(page), np::Error);

  page = page_with_a_chart();
  page.charts[0].spec = nlohmann::json::array();
  EXPECT_THROW(render_html_page(page), np::Error);
}

TEST(RenderHtmlPage, AChartlessPageHasNoNoscriptWarning) {
  HtmlPage page;
  page.title = "empty";
  const std::string html = render_html_page(page);
  EXPECT_EQ(html.find("<noscript>"), std::string::npos);
  EXPECT_NE(html.find("<h1>empty</h1>"), std::string::npos);
}

}  // namespace
}  // namespace np::html
