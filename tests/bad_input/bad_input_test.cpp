// Bad input across every command and file type, as a new user would give it (cases.txt): each
// case must end with its exit code and exactly one line on stderr that matches the case's
// pattern (naming the offending value), and must leave the folder it ran in as it was: no file
// created, changed or replaced, a device or FIFO not turned into a regular file.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/test_names.hpp"

namespace np::test {
namespace {

namespace fs = std::filesystem;

const fs::path kHere = fs::path(NP_SOURCE_DIR) / "tests" / "bad_input";

struct BadInputCase {
  std::string name;
  int exit_code = 1;
  std::string pattern;  // ECMAScript regex the stderr line must contain a match of
  std::string setup;    // shell line run before the snapshot ("-": none)
  std::string command;  // shell line; `neuralpower` is the binary, {src} the source folder
};

void PrintTo(const BadInputCase& c, std::ostream* out) { *out << c.name << ": " << c.command; }

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(' ') - begin + 1);
}

// NAME | EXIT | PATTERN | SETUP | COMMAND; a `|` inside a pattern or a command is written `\|`.
std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> fields(1);
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      fields.back() += '|';
      ++i;
    } else if (line[i] == '|' && fields.size() < 5) {
      fields.emplace_back();
    } else {
      fields.back() += line[i];
    }
  }
  for (auto& f : fields) f = trim(f);
  return fields;
}

std::vector<BadInputCase> read_cases() {
  std::ifstream in(kHere / "cases.txt");
  std::vector<BadInputCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty() || line[0] == '#') continue;
    const auto f = fields_of(line);
    if (f.size() != 5) throw std::runtime_error("cases.txt: not 5 fields: " + line);
    cases.push_back({f[0], std::stoi(f[1]), f[2], f[3] == "-" ? "" : f[3], f[4]});
  }
  return cases;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every entry under `dir`: its type, mode, and the content of a regular file or the target of
// a link. Devices and FIFOs are described, never opened.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0) continue;
    std::string what = "mode " + std::to_string(st.st_mode);
    if (S_ISREG(st.st_mode)) {
      what += " file " + std::to_string(std::hash<std::string>{}(read_file(entry.path()))) +
              " size " + std::to_string(st.st_size);
    } else if (S_ISLNK(st.st_mode)) {
      what += " link to " + fs::read_symlink(entry.path()).string();
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      what += " device " + std::to_string(st.st_rdev);
    }
    entries[fs::relative(entry.path(), dir).string()] = what;
  }
  return entries;
}

struct Output {
  int exit_code = -1;
  std::string out, err;
};

int shell(const std::string& line) {
  const int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The case's line in `folder`, its output kept outside the folder.
Output run(const std::string& command, const fs::path& folder, const fs::path& outputs) {
  const std::string binary = "'" + std::string(NP_CLI_PATH) + "'";
  std::string line = replace_all(command, "{src}", NP_SOURCE_DIR);
  line = std::regex_replace(line, std::regex(R"((^|&& |; |\| )neuralpower )"), "$1" + binary + " ");
  Output result;
  result.exit_code = shell("cd '" + folder.string() + "' && { timeout 120 " + line + " ; } >'" +
                           (outputs / "stdout").string() + "' 2>'" + (outputs / "stderr").string() +
                           "' </dev/null");
  result.out = read_file(outputs / "stdout");
  result.err = read_file(outputs / "stderr");
  return result;
}

class BadInput : public ::testing::TestWithParam<BadInputCase> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "np-bad-input-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "case");
    fs::copy(kHere / "files", root_ / "case", fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
};

TEST_P(BadInput, FailsWithOneLineNamingTheValueAndChangesNothing) {
  const BadInputCase& c = GetParam();
  const fs::path folder = root_ / "case";
  if (!c.setup.empty()) {
    const int setup = shell("cd '" + folder.string() + "' && { " + c.setup + " ; } 2>&1");
    if (setup == 77) GTEST_SKIP() << "setup says: not possible here (" << c.setup << ")";
    ASSERT_EQ(setup, 0) << c.setup;
  }
  const auto before = snapshot(folder);
  const Output got = run(c.command, folder, root_);
  EXPECT_EQ(got.exit_code, c.exit_code) << "stderr: " << got.err;
  ASSERT_FALSE(got.err.empty()) << "no message";
  EXPECT_EQ(got.err.back(), '\n') << got.err;
  EXPECT_EQ(std::count(got.err.begin(), got.err.end(), '\n'), 1) << "not one line:\n" << got.err;
  EXPECT_EQ(got.err.rfind("neuralpower: ", 0), 0u) << got.err;
  EXPECT_TRUE(std::regex_search(got.err, std::regex(c.pattern)))
      << "pattern /" << c.pattern << "/ not in: " << got.err;
  EXPECT_EQ(got.err.find("internal error"), std::string::npos) << got.err;
  const auto after = snapshot(folder);
  for (const auto& [name, what] : after) {
    const auto it = before.find(name);
    EXPECT_TRUE(it != before.end()) << "created: " << name;
    if (it != before.end()) {
      EXPECT_EQ(what, it->second) << "changed: " << name;
    }
  }
  for (const auto& [name, what] : before) {
    EXPECT_TRUE(after.count(name)) << "removed: " << name;
  }
}

TEST(BadInputCases, AtLeastSixtyDistinctOnesCoverEveryCommandAndFileType) {
  const auto cases = read_cases();
  EXPECT_GE(cases.size(), 60u);
  std::set<std::string> names, commands;
  for (const auto& c : cases) {
    EXPECT_TRUE(names.insert(c.name).second) << "two cases named " << c.name;
    EXPECT_TRUE(commands.insert(c.setup + " ; " + c.command).second) << "repeated: " << c.name;
  }
  std::string all;
  for (const auto& c : cases) all += c.setup + " " + c.command + "\n";
  for (const char* needle :
       {"neuralpower show", "neuralpower predict", "neuralpower train", "neuralpower evaluate",
        "neuralpower epr", "neuralpower devices", "neuralpower zoo", "neuralpower profile layers",
        "neuralpower profile nets", ".onnx", ".csv", "model", "nets", "paleo", "gpu"}) {
    EXPECT_NE(all.find(needle), std::string::npos) << needle;
  }
}

INSTANTIATE_TEST_SUITE_P(Cli, BadInput, ::testing::ValuesIn(read_cases()), ParamName{});

}  // namespace
}  // namespace np::test
