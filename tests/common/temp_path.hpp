#pragma once
// A file name in the temporary folder, removed before and after the test.
#include <unistd.h>

#include <filesystem>
#include <string>

namespace np::test {

// A temporary file path removed at the end of the test.
class TempPath {
 public:
  explicit TempPath(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("np_profile_test_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove(path_);
  }
  ~TempPath() { std::filesystem::remove(path_); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace np::test
