#pragma once
// A tiny tmpfs mounted for one test, to fill up: how a full disk is met for real. Mounting
// needs root (or CAP_SYS_ADMIN); where it is not permitted, mounted() is false and the test
// skips.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace np::test {

class SmallFilesystem {
 public:
  explicit SmallFilesystem(size_t bytes) {
    std::string pattern = (std::filesystem::temp_directory_path() / "np-small-fs-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return;
    dir_ = pattern;
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallFilesystem() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  bool mounted() const { return mounted_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Writes a filler file until the filesystem has no byte left.
  void fill() const {
    const int fd = ::open(path(".filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    const std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    while (::write(fd, block.data(), 1) > 0) {
    }
    ::close(fd);
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

}  // namespace np::test
