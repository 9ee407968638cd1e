// The dataset CSV opened for appending: header check, repair of a cut last line, resume keys.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "neuralpower/csv.hpp"
#include "neuralpower/dataset_appender.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/text_file.hpp"

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

// How a header that is not this tool's differs from it, naming the first column that differs.
std::string header_difference(const std::string& first_line) {
  const std::vector<std::string> theirs = split_csv_line(first_line);
  const auto& ours = dataset_columns();
  for (size_t i = 0; i < std::max(theirs.size(), ours.size()); ++i) {
    const std::string at = "column " + std::to_string(i + 1) + " is ";
    if (i >= theirs.size()) return at + "missing, expected '" + ours[i] + "'";
    if (i >= ours.size())
      return at + "'" + theirs[i] + "', past the last one, '" + ours.back() + "'";
    if (theirs[i] != ours[i]) return at + "'" + theirs[i] + "', expected '" + ours[i] + "'";
  }
  return "the line ends differently";
}

// Throws when `text` (a whole file, or its start) does not begin with this tool's header.
void check_header(const std::string& text, const std::string& path) {
  const std::string& header = dataset_header();
  if (text.compare(0, header.size(), header) == 0) return;
  const std::string first = text.substr(0, text.find('\n'));
  throw Error("'" + path + "' exists and its header is not this tool's dataset header (" +
              header_difference(first) + "); write to a new file or check the file");
}

size_t column_index(const std::string& name) {
  const auto& columns = dataset_columns();
  return static_cast<size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin());
}

}  // namespace

void DatasetAppender::check_path(const std::string& path) {
  // Rows are appended in place: only a regular file can take them. A device (/dev/full), a FIFO
  // or a directory is refused before anything is read or written.
  const std::string kind = special_file_kind(path);
  if (!kind.empty()) {
    throw Error("cannot append to dataset '" + path + "': it is " + kind + ", not a regular file");
  }
  if (::access(path.c_str(), F_OK) == 0) {
    if (::access(path.c_str(), W_OK) != 0) throw Error(system_error("cannot write dataset", path));
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(system_error("cannot open dataset", path));
    std::string start(dataset_header().size(), '\0');
    const ssize_t n = ::read(fd, start.data(), start.size());
    ::close(fd);
    const std::string got = start.substr(0, static_cast<size_t>(n > 0 ? n : 0));
    // A header cut short by a crash is written again when the file is opened.
    const bool cut_header =
        got.find('\n') == std::string::npos && dataset_header().compare(0, got.size(), got) == 0;
    if (!cut_header) check_header(got, path);
    return;
  }
  check_writable(path);
}

DatasetAppender::DatasetAppender(const std::string& path) : path_(path) {
  check_path(path);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  const bool created = fd_ >= 0;
  if (!created && errno == EEXIST) fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) throw Error(system_error("cannot open dataset", path));
  try {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      throw Error("cannot append to dataset '" + path + "': not a regular file");
    }
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
      append_whole(header, "the header");
      return;
    }
    check_header(text, path);
    const size_t config = column_index("config");
    const size_t device = column_index("device");
    const size_t backend = column_index("backend");
    const size_t dtype = column_index("dtype");
    const size_t status = column_index("status");
    const size_t failure = column_index("failure_reason");
    const size_t power = column_index("power_status");
    CsvReader rows(text, path, "empty dataset (no header)");
    while (rows.next()) {
      const auto& cells = rows.cells();
      configs_.insert(cells[config]);
      if (retry_on_resume(cells[status], cells[failure], cells[power])) {
        retry_.insert(cells[config]);
      } else {
        retry_.erase(cells[config]);
      }
      ++existing_rows_;
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
    if (created) ::unlink(path.c_str());
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

void DatasetAppender::append_whole(const std::string& text, const std::string& what) {
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) throw Error(system_error("cannot seek", path_));
  try {
    write_all(fd_, text, path_);
  } catch (const Error& e) {
    // A full disk takes part of a row: cut it off, so the file stays as it was.
    const bool restored = ::ftruncate(fd_, end) == 0;
    throw Error(std::string(e.what()) + " while appending " + what +
                (restored ? "; the file is unchanged (" + std::to_string(existing_rows_) + " rows)"
                          : "; a partial last line is left, and removed on the next run"));
  }
}

void DatasetAppender::append(const LayerMeasurement& row) {
  const std::string line = dataset_row(row);  // throws before anything is written
  append_whole(line, "a row");
  configs_.insert(row.config);
  retry_.erase(row.config);  // measured again in this run: not retried twice
  ++existing_rows_;
}

}  // namespace np
