#include "neuralpower/csv.hpp"

#include <algorithm>

#include "neuralpower/error.hpp"

namespace np {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cells.back() += ch;
      }
    } else if (ch == '"' && cells.back().empty()) {
      quoted = true;
    } else if (ch == ',') {
      cells.emplace_back();
    } else if (ch != '\r') {
      cells.back() += ch;
    }
  }
  if (quoted) throw Error("unterminated quote");
  return cells;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_cell(cells[i]);
  return out + "\n";
}

CsvReader::CsvReader(const std::string& text, std::string display_name,
                     const std::string& empty_message)
    : in_(text), file_(std::move(display_name)) {
  std::string line;
  if (!std::getline(in_, line)) throw Error(file_ + ": " + empty_message);
  header_ = split_csv_line(line);
}

std::optional<size_t> CsvReader::column(const std::string& name) const {
  const auto it = std::find(header_.begin(), header_.end(), name);
  if (it == header_.end()) return std::nullopt;
  return static_cast<size_t>(it - header_.begin());
}

bool CsvReader::next(const std::string& short_row_hint) {
  std::string line;
  while (std::getline(in_, line)) {
    ++line_;
    if (line.empty() || line == "\r") continue;
    try {
      cells_ = split_csv_line(line);
    } catch (const Error& e) {
      throw Error(where() + ": " + e.what());
    }
    if (cells_.size() != header_.size()) {
      throw Error(where() + ": " + std::to_string(cells_.size()) + " cells, the header has " +
                  std::to_string(header_.size()) + short_row_hint);
    }
    return true;
  }
  return false;
}

std::string CsvReader::where() const { return file_ + ":" + std::to_string(line_); }

}  // namespace np
