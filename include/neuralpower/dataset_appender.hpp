#pragma once
// The layer dataset CSV opened for appending, as `profile layers` writes it: a run can be
// interrupted (Ctrl-C, a crash, a kill) and resumed without losing or duplicating a row.
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "neuralpower/dataset.hpp"

namespace np {

// On open: a missing or empty file gets the header; an existing file must start with
// dataset_header() (else np::Error); a last line cut short by a crash (no final newline) is
// removed and said so in repair_note(); the configs already in the file are read (the resume
// keys). The file is locked (flock) while open: a second process writing the same file is
// refused. Each append is one write() of one whole row; a write that fails (a full disk) is
// cut off again, leaving the file as it was. Only a regular file (or a new path) is accepted:
// a device, a FIFO or a directory is refused with a message.
class DatasetAppender {
 public:
  explicit DatasetAppender(const std::string& path);
  // Throws the np::Error opening `path` would for what the path is (a device, a FIFO, a
  // directory, a file that cannot be written, a folder a file cannot be created in), without
  // creating or changing anything: for checking an output before a long run.
  static void check_path(const std::string& path);
  ~DatasetAppender();
  DatasetAppender(const DatasetAppender&) = delete;
  DatasetAppender& operator=(const DatasetAppender&) = delete;

  const std::string& path() const { return path_; }
  // Whether the file holds a row of this configuration.
  bool contains(const std::string& config) const { return configs_.count(config) > 0; }
  // Whether its last row stands: a resumed run skips it. Not when that row is one to measure
  // again (retry_on_resume: an error, a failed power window); the new row then supersedes it.
  bool done(const std::string& config) const {
    return contains(config) && retry_.count(config) == 0;
  }
  // Configurations whose last row is to be measured again.
  int64_t retries() const { return static_cast<int64_t>(retry_.size()); }
  int64_t existing_rows() const { return existing_rows_; }
  const std::string& repair_note() const { return repair_note_; }
  // Throws np::Error when rows already in the file were measured on another device, backend
  // or data type: a dataset holds one platform (train refuses mixtures).
  void check_platform(const Platform& platform) const;
  void append(const LayerMeasurement& row);

 private:
  // Writes `text` at the end; on a failed write (a full disk) cuts the file back to its
  // previous length and says so.
  void append_whole(const std::string& text, const std::string& what);

  std::string path_;
  int fd_ = -1;
  std::unordered_set<std::string> configs_;
  std::unordered_set<std::string> retry_;
  int64_t existing_rows_ = 0;
  std::string repair_note_;
  std::vector<std::string> platforms_;  // platform_label() of the rows in the file
};

}  // namespace np
