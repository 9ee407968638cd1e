#include "neuralpower/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "neuralpower/csv.hpp"
#include "neuralpower/error.hpp"

namespace np {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) {
    throw Error("table row has " + std::to_string(cells.size()) + " cells, expected " +
                std::to_string(columns_.size()));
  }
  rows_.push_back(std::move(cells));
}

void Table::add_separator() { separators_before_.push_back(rows_.size()); }

namespace {

std::string pad(const std::string& text, size_t width, Align align) {
  const size_t fill = width > text.size() ? width - text.size() : 0;
  return align == Align::left ? text + std::string(fill, ' ') : std::string(fill, ' ') + text;
}

}  // namespace

std::string Table::to_text() const {
  std::vector<size_t> widths;
  for (const auto& c : columns_) widths.push_back(c.title.size());
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += "  ";
      out += pad(cells[i], widths[i], columns_[i].align);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  auto rule = [&] {
    size_t total = 0;
    for (size_t w : widths) total += w;
    return std::string(total + 2 * (widths.size() - 1), '-') + "\n";
  };
  std::vector<std::string> titles;
  for (const auto& c : columns_) titles.push_back(c.title);
  std::string out = line(titles) + rule();
  for (size_t r = 0; r < rows_.size(); ++r) {
    if (std::count(separators_before_.begin(), separators_before_.end(), r)) out += rule();
    out += line(rows_[r]);
  }
  return out;
}

std::string Table::to_csv() const {
  std::vector<std::string> titles;
  for (const auto& c : columns_) titles.push_back(c.title);
  std::string out = csv_line(titles);
  for (const auto& row : rows_) out += csv_line(row);
  return out;
}

std::string Table::to_markdown() const {
  auto escape = [](const std::string& text) {
    std::string out;
    for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
    return out;
  };
  std::string out = "|";
  for (const auto& c : columns_) out += " " + escape(c.title) + " |";
  out += "\n|";
  for (const auto& c : columns_) out += c.align == Align::right ? " ---: |" : " --- |";
  out += "\n";
  for (const auto& row : rows_) {
    out += "|";
    for (const auto& cell : row) out += " " + escape(cell) + " |";
    out += "\n";
  }
  return out;
}

std::string with_thousands(int64_t value) {
  std::string digits = std::to_string(value);
  const bool negative = digits.front() == '-';
  if (negative) digits.erase(0, 1);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string si(double value, const std::string& unit) {
  static const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  double magnitude = std::fabs(value);
  int index = 0;
  while (magnitude >= 999.5 && index < 6) {
    magnitude /= 1000.0;
    value /= 1000.0;
    ++index;
  }
  char buffer[64];
  const int decimals = magnitude >= 99.95 ? 0 : magnitude >= 9.995 ? 1 : 2;
  std::snprintf(buffer, sizeof buffer, "%.*f",
                index == 0 && value == std::floor(value) ? 0 : decimals, value);
  std::string out = buffer;
  const std::string suffix = std::string(prefixes[index]) + unit;
  return suffix.empty() ? out : out + " " + suffix;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string fixed_or_dash(const std::optional<double>& value, int decimals) {
  return value ? fixed(*value, decimals) : "-";
}

std::string_view to_string(OutputFormat format) {
  switch (format) {
    case OutputFormat::table:
      return "table";
    case OutputFormat::csv:
      return "csv";
    case OutputFormat::json:
      return "json";
    case OutputFormat::markdown:
      return "markdown";
  }
  return "table";
}

std::string render(const Table& table, OutputFormat format) {
  switch (format) {
    case OutputFormat::csv:
      return table.to_csv();
    case OutputFormat::markdown:
      return table.to_markdown();
    default:
      return table.to_text();
  }
}

}  // namespace np
