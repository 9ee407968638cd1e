// The dataset CSV opened for appending: header check, repair of a cut last line, resume keys.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "neuralpower/csv.hpp"
#include "neuralpower/dataset_appender.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

std::string system_error(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

std::string read_all(int fd, const std::string& path) {
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(system_error("cannot read", path));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

void write_all(int fd, const std::string& text, const std::string& path) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(system_error("cannot write", path));
    }
    written += static_cast<size_t>(n);
  }
}

size_t column_index(const std::string& name) {
  const auto& columns = dataset_columns();
  return static_cast<size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin());
}

}  // namespace

DatasetAppender::DatasetAppender(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(system_error("cannot open dataset", path));
  try {
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      throw Error("dataset '" + path + "' is being written by another process");
    }
    std::string text = read_all(fd_, path);
    if (!text.empty() && text.back() != '\n') {
      // A row cut short by a crash or a kill: drop it, it will be measured again.
      const size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
      repair_note_ = path + ": removed a partial last line of " +
                     std::to_string(text.size() - keep) + " bytes left by an interrupted run";
      if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0) {
        throw Error(system_error("cannot truncate", path));
      }
      text.resize(keep);
    }
    if (::lseek(fd_, 0, SEEK_END) < 0) throw Error(system_error("cannot seek", path));
    const std::string& header = dataset_header();
    if (text.empty()) {
      write_all(fd_, header, path);
      return;
    }
    if (text.compare(0, header.size(), header) != 0) {
      const std::string first = text.substr(0, text.find('\n'));
      throw Error("'" + path + "' exists and its header is not this tool's dataset header (" +
                  std::to_string(split_csv_line(first).size()) + " columns, expected " +
                  std::to_string(dataset_columns().size()) +
                  "); write to a new file or check the file");
    }
    const size_t config = column_index("config");
    const size_t device = column_index("device");
    const size_t backend = column_index("backend");
    const size_t dtype = column_index("dtype");
    const size_t placement = column_index("placement");
    const size_t source_network = column_index("source_network");
    const size_t source_layer = column_index("source_layer");
    const size_t reference = column_index("reference_ms");
    const size_t reference_mem = column_index("reference_mem_ms");
    const size_t status = column_index("status");
    const size_t failure = column_index("failure_reason");
    const size_t power = column_index("power_status");
    auto number_in = [](const std::string& cell, std::vector<double>& into) {
      if (cell.empty()) return;
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str() + cell.size() && v > 0) into.push_back(v);
    };
    CsvReader rows(text, path, "empty dataset (no header)");
    while (rows.next()) {
      const auto& cells = rows.cells();
      if (cells[placement] == to_string(Placement::in_network)) {
        in_network_.insert(
            in_network_key(cells[source_network], cells[source_layer], cells[config]));
      } else {
        configs_.insert(cells[config]);
        if (retry_on_resume(cells[status], cells[failure], cells[power])) {
          retry_.insert(cells[config]);
        } else {
          retry_.erase(cells[config]);
        }
      }
      ++existing_rows_;
      number_in(cells[reference], reference_ms_);
      number_in(cells[reference_mem], reference_mem_ms_);
      Platform p;
      p.device = cells[device];
      p.backend = cells[backend];
      p.dtype = cells[dtype];
      const std::string key = platform_label(p);
      if (std::find(platforms_.begin(), platforms_.end(), key) == platforms_.end()) {
        platforms_.push_back(key);
      }
    }
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

DatasetAppender::~DatasetAppender() {
  if (fd_ >= 0) ::close(fd_);
}

void DatasetAppender::check_platform(const Platform& platform) const {
  const std::string mine = platform_label(platform);
  for (const auto& theirs : platforms_) {
    if (theirs != mine) {
      throw Error("'" + path_ + "' holds rows measured on " + theirs + ", this run is on " + mine +
                  "; a dataset holds one platform: write to another --out");
    }
  }
}

void DatasetAppender::append(const LayerMeasurement& row) {
  const std::string line = dataset_row(row);  // throws before anything is written
  write_all(fd_, line, path_);
  if (row.placement == Placement::in_network) {
    in_network_.insert(in_network_key(row.source_network, row.source_layer, row.config));
  } else {
    configs_.insert(row.config);
    retry_.erase(row.config);  // measured again in this run: not retried twice
  }
  ++existing_rows_;
}

}  // namespace np
