#pragma once
// Tabular output shared by every command: aligned text for people, CSV and markdown for tools.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace np {

// What every command's --format chooses.
enum class OutputFormat { table, csv, json, markdown };
std::string_view to_string(OutputFormat format);

enum class Align { left, right };

struct Column {
  std::string title;
  Align align = Align::left;
};

class Table {
 public:
  explicit Table(std::vector<Column> columns);
  void add_row(std::vector<std::string> cells);  // throws if the cell count is wrong
  void add_separator();                          // a rule before the next row (text/markdown)

  std::string to_text() const;
  std::string to_csv() const;
  std::string to_markdown() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> separators_before_;
};

// 1234567 -> "1,234,567"
std::string with_thousands(int64_t value);
// 1.234e9 -> "1.23 G" (k, M, G, T, P; three significant digits)
std::string si(double value, const std::string& unit = "");
// Fixed decimals: fixed(3.14159, 2) -> "3.14"
std::string fixed(double value, int decimals);
// The same, or "-" for a value that is missing (not measured, not predicted).
std::string fixed_or_dash(const std::optional<double>& value, int decimals);

// The table as `format` asks: text for table, CSV, markdown (json is not a table's: text).
std::string render(const Table& table, OutputFormat format);

}  // namespace np
