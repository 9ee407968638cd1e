// Files in and out: replace_file replaces only regular files (atomically, keeping the mode),
// writes through devices and FIFOs, follows links without replacing them, refuses the rest; a
// full disk leaves the previous file intact and says so. read_text_file refuses what is not a
// file instead of reading a folder as empty or /dev/zero for ever.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "common/small_filesystem.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/text_file.hpp"

namespace np {
namespace {

namespace fs = std::filesystem;

class TextFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "np-text-file-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string at(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
  static std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(TextFile, ReplacesARegularFileKeepingItsModeAndLeavingNoTemporaryFile) {
  const std::string path = at("model.json");
  write(path, "old");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  replace_file(path, "new text");
  EXPECT_EQ(read(path), "new text");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(TextFile, CreatesANewFile) {
  replace_file(at("new.json"), "x");
  EXPECT_EQ(read(at("new.json")), "x");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(TextFile, WritesTheFileALinkPointsToAndKeepsTheLink) {
  write(at("target.json"), "old");
  fs::create_symlink("target.json", at("link.json"));
  replace_file(at("link.json"), "new");
  EXPECT_TRUE(fs::is_symlink(at("link.json")));
  EXPECT_EQ(read(at("target.json")), "new");
  // A link to nothing yet: the file it names is created, the link stays.
  fs::create_symlink("later.json", at("dangling.json"));
  replace_file(at("dangling.json"), "made");
  EXPECT_TRUE(fs::is_symlink(at("dangling.json")));
  EXPECT_EQ(read(at("later.json")), "made");
}

TEST_F(TextFile, WritesThroughAFifoWithAReaderAndKeepsIt) {
  const std::string fifo = at("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto reader = std::async(std::launch::async, [&] { return read(fifo); });
  // The reader opens first (replace_file refuses a FIFO nobody reads): wait until it has.
  std::string error = "the FIFO has no reader";
  for (int i = 0; i < 200 && error.find("no reader") != std::string::npos; ++i) {
    error = error_of([&] { replace_file(fifo, "through the pipe"); });
    if (!error.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(error, "");
  EXPECT_EQ(reader.get(), "through the pipe");
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST_F(TextFile, RefusesAFifoWithoutAReaderAtOnce) {
  const std::string fifo = at("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_EQ(error_of([&] { replace_file(fifo, "x"); }),
            "cannot write '" + fifo + "': the FIFO has no reader");
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST_F(TextFile, WritesThroughACharacterDeviceAndNeverReplacesIt) {
  replace_file("/dev/null", "into nothing");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  // A full device of our own (root only), so that a regression cannot replace /dev/full.
  const std::string full = at("full");
  if (::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
    GTEST_SKIP() << "mknod needs root";
  }
  EXPECT_EQ(error_of([&] { replace_file(full, "x"); }),
            "cannot write '" + full + "': No space left on device");
  EXPECT_TRUE(fs::is_character_file(full));
  EXPECT_EQ(entries(), 1u);
}

TEST_F(TextFile, RefusesAFolderAndNamesAMissingOne) {
  fs::create_directory(at("sub"));
  EXPECT_EQ(error_of([&] { replace_file(at("sub"), "x"); }),
            "cannot write '" + at("sub") + "': it is a directory, not a file");
  EXPECT_EQ(error_of([&] { replace_file(at("none/m.json"), "x"); }),
            "cannot write '" + at("none/m.json") + "': no such folder '" + at("none") +
                "'; nothing was written");
  EXPECT_TRUE(fs::is_directory(at("sub")));
}

TEST_F(TextFile, CheckWritableSaysWhatReplaceWouldAndLeavesNothing) {
  EXPECT_EQ(error_of([&] { check_writable(at("out.json")); }), "");
  EXPECT_EQ(entries(), 0u);
  EXPECT_NE(error_of([&] { check_writable(at("none/out.json")); }).find("no such folder"),
            std::string::npos);
  fs::create_directory(at("sub"));
  EXPECT_NE(error_of([&] { check_writable(at("sub")); }).find("is a directory"), std::string::npos);
  EXPECT_EQ(error_of([] { check_writable("/dev/null"); }), "");
}

TEST_F(TextFile, ReadRefusesWhatIsNotAFile) {
  EXPECT_EQ(error_of([&] { read_text_file(dir_.string(), "model file"); }),
            "cannot open model file '" + dir_.string() + "': it is a directory, not a file");
  EXPECT_EQ(error_of([] { read_text_file("/dev/zero"); }),
            "cannot open '/dev/zero': it is a character device, not a file");
  EXPECT_EQ(error_of([&] { read_text_file(at("none.json")); }),
            "cannot open '" + at("none.json") + "': No such file or directory");
}

TEST_F(TextFile, ReadsAWholeFifo) {
  const std::string fifo = at("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto writer = std::async(std::launch::async, [&] { write(fifo, "piped text"); });
  // Read as `cat` reads it: the open waits for the writer.
  EXPECT_EQ(read_text_file(fifo), "piped text");
  writer.get();
}

TEST(TextFileFullDisk, LeavesThePreviousFileIntactAndSaysSo) {
  test::SmallFilesystem disk(64 * 1024);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  const std::string path = disk.path("model.json");
  const std::string previous(10000, 'p');
  replace_file(path, previous);
  disk.fill();
  try {
    replace_file(path, std::string(30000, 'n'));
    ADD_FAILURE() << "a write to a full disk succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '" + path +
                                         "': No space left on device; the previous '" + path +
                                         "' is unchanged");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), previous);
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(disk.path(""))) {
    files += entry.path().filename() != ".filler";
  }
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";
}

}  // namespace
}  // namespace np
