#include "report/html/html_page.hpp"

#include <algorithm>
#include <cctype>

#include "neuralpower/error.hpp"
#include "report/html/embedded_assets.hpp"

namespace np::html {

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string json_for_script(const nlohmann::json& value) {
  const std::string dumped = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size());
  // Outside strings JSON has no '<', '>' or '&', so escaping them everywhere only touches strings.
  for (char ch : dumped) {
    switch (ch) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::vector<BundledLibrary> bundled_libraries() {
  const std::string_view versions = embedded::versions();
  auto version_of = [&](std::string_view name) -> std::string {
    size_t at = 0;
    while (at < versions.size()) {
      const size_t end = std::min(versions.find('\n', at), versions.size());
      const std::string_view line = versions.substr(at, end - at);
      const size_t space = line.find(' ');
      if (space != std::string_view::npos && line.substr(0, space) == name) {
        return std::string(line.substr(space + 1));
      }
      at = end + 1;
    }
    throw Error("third_party/vega/VERSIONS names no version of " + std::string(name));
  };
  return {{"Vega", version_of("vega"), embedded::vega_js().size()},
          {"Vega-Lite", version_of("vega-lite"), embedded::vega_lite_js().size()},
          {"vega-embed", version_of("vega-embed"), embedded::vega_embed_js().size()}};
}

namespace {

// The inlined libraries must not end their <script> element early or open a comment in it.
void append_script(std::string& out, std::string_view name, std::string_view code) {
  std::string lower(code);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (lower.find("</script") != std::string::npos || lower.find("<!--") != std::string::npos) {
    throw Error(std::string(name) + " contains '</script' or '<!--' and cannot be inlined");
  }
  out += "<script>";
  out += code;
  out += "</script>\n";
}

std::string file_name_for(const std::string& title, size_t index) {
  std::string name;
  for (unsigned char ch : title) {
    if (std::isalnum(ch)) {
      name += static_cast<char>(std::tolower(ch));
    } else if (!name.empty() && name.back() != '-') {
      name += '-';
    }
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name.empty() ? "chart-" + std::to_string(index + 1) : name;
}

void append_summary(std::string& out, const HtmlPage& page) {
  if (page.summary.empty() && page.tables.empty()) return;
  out += "<section class=\"np-summary\" aria-label=\"Summary\">\n";
  if (!page.summary.empty()) {
    out += "<table class=\"np-keyvalue\"><tbody>\n";
    for (const SummaryRow& row : page.summary) {
      out += "<tr><th scope=\"row\">" + escape_html(row.label) + "</th><td>" +
             escape_html(row.value) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  for (const SummaryTable& table : page.tables) {
    auto cell_class = [&](size_t column) {
      const bool numeric = std::find(table.numeric_columns.begin(), table.numeric_columns.end(),
                                     column) != table.numeric_columns.end();
      return numeric ? std::string(" class=\"np-num\"") : std::string();
    };
    out += "<table class=\"np-table\">";
    if (!table.title.empty()) out += "<caption>" + escape_html(table.title) + "</caption>";
    out += "<thead><tr>";
    for (size_t c = 0; c < table.columns.size(); ++c) {
      out += "<th scope=\"col\"" + cell_class(c) + ">" + escape_html(table.columns[c]) + "</th>";
    }
    out += "</tr></thead><tbody>\n";
    for (const auto& row : table.rows) {
      if (row.size() != table.columns.size()) {
        throw Error("summary table '" + table.title + "': a row has " + std::to_string(row.size()) +
                    " cells, expected " + std::to_string(table.columns.size()));
      }
      out += "<tr>";
      for (size_t c = 0; c < row.size(); ++c) {
        out += "<td" + cell_class(c) + ">" + escape_html(row[c]) + "</td>";
      }
      out += "</tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

nlohmann::json chart_entries(const HtmlPage& page) {
  nlohmann::json entries = nlohmann::json::array();
  for (size_t i = 0; i < page.charts.size(); ++i) {
    const Chart& chart = page.charts[i];
    if (!chart.spec.is_object()) throw Error("chart '" + chart.title + "': spec is not an object");
    if (chart.spec.contains("data")) {
      throw Error("chart '" + chart.title + "': spec has its own top-level data");
    }
    if (!chart.values.is_array()) {
      throw Error("chart '" + chart.title + "': values are not an array");
    }
    nlohmann::json spec = chart.spec;
    spec["data"] = {{"values", chart.values}};
    entries.push_back({{"id", "np-chart-" + std::to_string(i)},
                       {"file", file_name_for(chart.title, i)},
                       {"spec", std::move(spec)}});
  }
  return entries;
}

std::string footer(const HtmlPage& page) {
  std::string libraries;
  const auto bundled = bundled_libraries();
  for (size_t i = 0; i < bundled.size(); ++i) {
    if (i) libraries += i + 1 == bundled.size() ? " and " : ", ";
    libraries += bundled[i].name + " " + bundled[i].version;
  }
  std::string out = "<footer>\n<p>";
  if (!page.generator.empty()) out += "Generated by " + escape_html(page.generator) + ". ";
  out += "Charts drawn with " + escape_html(libraries) +
         " (BSD-3-Clause, University of Washington Interactive Data Lab), included in this file: "
         "it needs no network.</p>\n<details><summary>Licences of the included libraries</summary>"
         "\n<pre>";
  out += escape_html("Vega\n\n") + escape_html(embedded::vega_license());
  out += escape_html("\n\nVega-Lite\n\n") + escape_html(embedded::vega_lite_license());
  out += escape_html("\n\nvega-embed\n\n") + escape_html(embedded::vega_embed_license());
  out += "\n\n" + escape_html(embedded::third_party_notices());
  out += "</pre>\n</details>\n</footer>\n";
  return out;
}

}  // namespace

std::string render_html_page(const HtmlPage& page) {
  const nlohmann::json entries = chart_entries(page);
  std::string out;
  out.reserve(embedded::vega_js().size() + embedded::vega_lite_js().size() +
              embedded::vega_embed_js().size() + 128 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // No request may leave the page: scripts and styles are inline, images are data: or blob:.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src "
      "'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:\">\n";
  if (!page.generator.empty()) {
    out += "<meta name=\"generator\" content=\"" + escape_html(page.generator) + "\">\n";
  }
  out += "<title>" + escape_html(page.title) + "</title>\n";
  out += "<link rel=\"icon\" href=\"data:,\">\n";
  out += "<style>\n";
  out += embedded::page_css();
  out += "</style>\n</head>\n<body>\n<main>\n<header>\n<h1>" + escape_html(page.title) + "</h1>\n";
  if (!page.subtitle.empty()) {
    out += "<p class=\"np-subtitle\">" + escape_html(page.subtitle) + "</p>\n";
  }
  out += "</header>\n";
  append_summary(out, page);
  for (size_t i = 0; i < page.charts.size(); ++i) {
    const Chart& chart = page.charts[i];
    out += "<figure class=\"np-figure\">\n<h2>" + escape_html(chart.title) + "</h2>\n";
    if (!chart.description.empty()) {
      out += "<p class=\"np-description\">" + escape_html(chart.description) + "</p>\n";
    }
    out += "<div class=\"np-chart\" id=\"np-chart-" + std::to_string(i) +
           "\" data-np-status=\"pending\"></div>\n</figure>\n";
  }
  if (!page.notes.empty()) {
    out += "<section class=\"np-notes\"><h3>Notes</h3><ul>\n";
    for (const std::string& note : page.notes) out += "<li>" + escape_html(note) + "</li>\n";
    out += "</ul></section>\n";
  }
  if (!page.charts.empty()) {
    out += "<noscript><p class=\"np-chart-error\">The charts need JavaScript.</p></noscript>\n";
  }
  out += footer(page);
  out += "</main>\n<pre id=\"np-render-status\">{\"done\":false}</pre>\n";
  out += "<script type=\"application/json\" id=\"np-chart-specs\">" + json_for_script(entries) +
         "</script>\n";
  append_script(out, "page.js", embedded::page_js());
  append_script(out, "vega.min.js", embedded::vega_js());
  append_script(out, "vega-lite.min.js", embedded::vega_lite_js());
  append_script(out, "vega-embed.min.js", embedded::vega_embed_js());
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace np::html
