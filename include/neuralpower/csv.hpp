#pragma once
// CSV as the tool reads and writes it (RFC 4180 quoting): the layer dataset, EPR candidates,
// every --format csv output.
#include <cstddef>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace np {

// Splits one CSV line into cells. Throws np::Error("unterminated quote").
std::vector<std::string> split_csv_line(const std::string& line);

// RFC 4180 quoting for one CSV cell.
std::string csv_cell(const std::string& text);

// The cells quoted and joined by commas, newline included.
std::string csv_line(const std::vector<std::string>& cells);

// A CSV text read row by row after its header. Errors name the file and the line
// ("d.csv:3: 5 cells, the header has 6").
class CsvReader {
 public:
  // Throws when the text has no header line; `empty_message` says what was expected.
  CsvReader(const std::string& text, std::string display_name, const std::string& empty_message);

  const std::vector<std::string>& header() const { return header_; }
  // The index of a header column, if there is one by that name.
  std::optional<size_t> column(const std::string& name) const;

  // Moves to the next row that is not empty; false at the end. A row whose cell count differs
  // from the header's is an error, with `short_row_hint` appended to its message.
  bool next(const std::string& short_row_hint = "");
  const std::vector<std::string>& cells() const { return cells_; }
  // "file:line" of the current row (of the header before the first next()).
  std::string where() const;

 private:
  std::istringstream in_;
  std::string file_;
  std::vector<std::string> header_;
  std::vector<std::string> cells_;
  long line_ = 1;
};

}  // namespace np
