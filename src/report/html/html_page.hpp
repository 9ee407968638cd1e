#pragma once
// One self-contained HTML file (issue 14): a title, a summary of key/value rows and small tables,
// and Vega-Lite charts. Vega, Vega-Lite and vega-embed (third_party/vega, with their licences)
// are inlined, so the page works offline; its Content-Security-Policy forbids every network
// request. Every text is escaped; chart data travels as JSON that cannot close its <script>.
//
// When the page has rendered, each chart's element carries data-np-status ("ok", "empty" or
// "error"; an error is also shown in place of the chart) and <pre id="np-render-status">
// holds a JSON record of every chart (size, mark items drawn, warnings) and of any page error,
// which the headless-browser tests read (tests/html).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace np::html {

struct SummaryRow {
  std::string label;
  std::string value;
};

struct SummaryTable {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each as many cells as columns
  // Columns whose cells are numbers, aligned right; the others are aligned left.
  std::vector<size_t> numeric_columns;
};

struct Chart {
  std::string title;
  std::string description;  // one or two sentences under the title; may be empty
  // A Vega-Lite spec without top-level "data": the page adds {"values": values}. Layers that need
  // other rows (a y = x line) carry their own inline "data".
  nlohmann::json spec;
  nlohmann::json values = nlohmann::json::array();  // an array of records
};

struct HtmlPage {
  std::string title;
  std::string subtitle;  // e.g. the network, model file and platform; may be empty
  std::vector<SummaryRow> summary;
  std::vector<SummaryTable> tables;
  std::vector<Chart> charts;
  std::vector<std::string> notes;  // shown under the charts, e.g. which values are missing
  std::string generator;           // e.g. "neuralpower 0.1.0", in the footer
};

// The whole page. Throws np::Error when a table row has the wrong number of cells, a chart spec
// is not an object or already has "data", or chart values are not an array.
std::string render_html_page(const HtmlPage& page);

// Text for an HTML element or a quoted attribute value: & < > " ' escaped.
std::string escape_html(std::string_view text);
// JSON for a <script type="application/json"> element: '<', '>' and '&' as \u escapes, so that no
// "</script>" or "<!--" can appear, and invalid UTF-8 replaced rather than thrown on.
std::string json_for_script(const nlohmann::json& value);

// The libraries inlined into every page, for the footer and the docs.
struct BundledLibrary {
  std::string name;
  std::string version;
  size_t bytes = 0;
};
std::vector<BundledLibrary> bundled_libraries();

}  // namespace np::html
