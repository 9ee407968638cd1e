#include "neuralpower/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "neuralpower/error.hpp"

namespace np {
namespace {

namespace fs = std::filesystem;

// Protobuf's own limit on a model; a pipe is read into memory whole.
constexpr size_t kMaxPipedBytes = size_t{2} << 30;

std::string reason(int error) { return std::strerror(error); }

std::string kind_of_mode(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The file a chain of symbolic links ends at (the path itself when it is no link); a link to
// nothing yet ends at the path it names.
std::string final_target(const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return current;
    char buffer[PATH_MAX];
    const ssize_t n = ::readlink(current.c_str(), buffer, sizeof buffer - 1);
    if (n < 0) throw Error("cannot write '" + path + "': " + reason(errno));
    const fs::path link(std::string(buffer, static_cast<size_t>(n)));
    current =
        link.is_absolute() ? link.string() : (fs::path(current).parent_path() / link).string();
  }
  throw Error("cannot write '" + path + "': " + reason(ELOOP));
}

bool write_all(int fd, const std::string& text) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    written += static_cast<size_t>(n);
  }
  return true;
}

std::string folder_of(const std::string& target) {
  const fs::path parent = fs::path(target).parent_path();
  return parent.empty() ? "." : parent.string();
}

// A new, empty file beside `target` (hidden, unique), opened for writing; -1 with errno set.
int create_beside(const std::string& target, std::string& created) {
  static std::atomic<unsigned> counter{0};
  const std::string stem = folder_of(target) + "/." + fs::path(target).filename().string() + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    created = stem + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".tmp";
    const int fd = ::open(created.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

// Why a file cannot be created beside `target`, naming the folder when it is the folder's fault.
std::string creation_failure(const std::string& path, const std::string& target, int error) {
  const std::string folder = folder_of(target);
  if (error == ENOENT) return "cannot write '" + path + "': no such folder '" + folder + "'";
  if (error == ENOTDIR) return "cannot write '" + path + "': '" + folder + "' is not a folder";
  return "cannot write '" + path + "': cannot create a file in '" + folder + "': " + reason(error);
}

void replace_regular(const std::string& path, const std::string& target, const std::string& text,
                     const struct stat* previous) {
  const std::string outcome =
      previous ? "; the previous '" + path + "' is unchanged" : "; nothing was written";
  std::string temporary;
  const int fd = create_beside(target, temporary);
  if (fd < 0) throw Error(creation_failure(path, target, errno) + outcome);
  const auto fail = [&](int error) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw Error("cannot write '" + path + "': " + reason(error) + outcome);
  };
  if (previous && ::fchmod(fd, previous->st_mode & 07777) != 0) fail(errno);
  if (!write_all(fd, text)) fail(errno);
  if (::fsync(fd) != 0) fail(errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw Error("cannot write '" + path + "': " + reason(error) + outcome);
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw Error("cannot replace '" + path + "': " + reason(error) + outcome);
  }
}

void write_through(const std::string& path, const std::string& target, const std::string& text,
                   bool fifo) {
  // A FIFO nobody reads would block the open for ever: ask without blocking first.
  const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | (fifo ? O_NONBLOCK : 0));
  if (fd < 0) {
    if (fifo && errno == ENXIO) throw Error("cannot write '" + path + "': the FIFO has no reader");
    throw Error("cannot write '" + path + "': " + reason(errno));
  }
  if (fifo) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  if (!write_all(fd, text)) {
    const int error = errno;
    ::close(fd);
    throw Error("cannot write '" + path + "': " + reason(error));
  }
  ::close(fd);
}

}  // namespace

std::string read_text_file(const std::string& path, const std::string& what) {
  const std::string named = (what.empty() ? "" : what + " ") + "'" + path + "'";
  // A FIFO is read as `cat` reads it, waiting for its writer; anything else is opened without
  // blocking (a device must not hang the open) and refused unless it is a regular file.
  struct stat first {};
  const bool named_fifo = ::stat(path.c_str(), &first) == 0 && S_ISFIFO(first.st_mode);
  const int fd =
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | (named_fifo ? 0 : O_NONBLOCK));
  if (fd < 0) throw Error("cannot open " + named + ": " + reason(errno));
  struct stat st {};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  const bool fifo = stat_ok && S_ISFIFO(st.st_mode);
  if (!stat_ok || !(S_ISREG(st.st_mode) || fifo)) {
    // A directory reads as nothing and /dev/zero as endless zeros: neither is a file.
    const std::string kind = stat_ok ? kind_of_mode(st.st_mode) : reason(errno);
    ::close(fd);
    throw Error("cannot open " + named + ": it is " + kind + ", not a file");
  }
  if (fifo) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string text;
  if (!fifo) text.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw Error("cannot read " + named + ": " + reason(error));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (fifo && text.size() > kMaxPipedBytes) {
      ::close(fd);
      throw Error("cannot read " + named + ": more than 2 GiB from a pipe");
    }
  }
  ::close(fd);
  return text;
}

void replace_file(const std::string& path, const std::string& text) {
  const std::string target = final_target(path);
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0) {
    if (errno != ENOENT) throw Error("cannot write '" + path + "': " + reason(errno));
    replace_regular(path, target, text, nullptr);
    return;
  }
  if (S_ISREG(st.st_mode)) {
    replace_regular(path, target, text, &st);
  } else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
    write_through(path, target, text, S_ISFIFO(st.st_mode));
  } else {
    throw Error("cannot write '" + path + "': it is " + kind_of_mode(st.st_mode) + ", not a file");
  }
}

void check_writable(const std::string& path) {
  const std::string target = final_target(path);
  struct stat st {};
  const bool exists = ::stat(target.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) throw Error("cannot write '" + path + "': " + reason(errno));
  if (exists && !S_ISREG(st.st_mode)) {
    if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
      throw Error("cannot write '" + path + "': it is " + kind_of_mode(st.st_mode) +
                  ", not a file");
    }
    if (::access(target.c_str(), W_OK) != 0) {
      throw Error("cannot write '" + path + "': " + reason(errno));
    }
    return;
  }
  if (exists && ::access(target.c_str(), W_OK) != 0) {
    throw Error("cannot write '" + path + "': " + reason(errno));
  }
  std::string probe;
  const int fd = create_beside(target, probe);
  if (fd < 0) throw Error(creation_failure(path, target, errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

std::string special_file_kind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return kind_of_mode(st.st_mode);
}

}  // namespace np
