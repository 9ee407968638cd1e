// The CLI's bytes of output for the commands of golden/cases.txt (show, predict, train,
// evaluate, epr on committed data), compared with the committed expected files: what a
// refactoring must leave unchanged. Three things vary from run to run and are normalised
// before the comparison, nothing else:
//   - the case's fresh folder ({tmp}): its path becomes "{tmp}";
//   - train's "model selection took 1.23 s": the seconds become "<seconds>";
//   - ISO 8601 UTC timestamps (a model file's "created"): they become "<date>".
// NP_UPDATE_GOLDEN=1 writes the expected files instead of comparing (review the diff).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace np::test {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(NP_SOURCE_DIR) / "tests" / "cli" / "golden";

struct GoldenCase {
  std::string name;
  int exit_code = 0;
  std::string command;  // shell line; `neuralpower` is the binary, {tmp} a fresh folder
};

void PrintTo(const GoldenCase& c, std::ostream* out) { *out << c.name << ": " << c.command; }

std::vector<GoldenCase> read_cases() {
  std::ifstream in(kGoldenDir / "cases.txt");
  std::vector<GoldenCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    GoldenCase c;
    fields >> c.name >> c.exit_code >> std::ws;
    std::getline(fields, c.command);
    cases.push_back(std::move(c));
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

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string normalised(std::string text, const std::string& tmp) {
  text = replace_all(std::move(text), tmp, "{tmp}");
  text = std::regex_replace(text, std::regex(R"(took [0-9]+\.[0-9]+ s)"), "took <seconds> s");
  return std::regex_replace(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"), "<date>");
}

struct Output {
  int exit_code = -1;
  std::string out, err;
};

// Runs the case's line in the source folder with the binary under test.
Output run(const GoldenCase& c, const std::string& tmp) {
  // The goldens predict with the shipped EPYC models and test fixtures: `predict` warns when
  // this machine's CPU is another, and the output must not depend on the machine running them.
  ::setenv("NEURALPOWER_CPU_MODEL", "*", 1);
  const std::string binary = "'" + std::string(NP_CLI_PATH) + "'";
  std::string line = replace_all(c.command, "{tmp}", tmp);
  line = std::regex_replace(line, std::regex(R"((^|&& |; |\| )neuralpower )"), "$1" + binary + " ");
  const std::string err_path = tmp + "/.stderr";
  const std::string shell =
      "cd '" + std::string(NP_SOURCE_DIR) + "' && { " + line + " ; } 2>'" + err_path + "'";
  Output result;
  FILE* pipe = popen(shell.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.err = read_file(err_path);
  fs::remove(err_path);
  return result;
}

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, OutputIsByteForByteTheCommittedOne) {
  const GoldenCase& c = GetParam();
  std::string pattern = (fs::temp_directory_path() / "np-golden-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::string tmp = pattern;
  const Output got = run(c, tmp);
  fs::remove_all(tmp);
  const std::string out = normalised(got.out, tmp);
  const std::string err = normalised(got.err, tmp);
  const fs::path out_path = kGoldenDir / (c.name + ".stdout");
  const fs::path err_path = kGoldenDir / (c.name + ".stderr");
  if (std::getenv("NP_UPDATE_GOLDEN")) {
    write_file(out_path, out);
    if (err.empty()) {
      fs::remove(err_path);
    } else {
      write_file(err_path, err);
    }
    EXPECT_EQ(got.exit_code, c.exit_code) << "stderr: " << err;
    return;
  }
  EXPECT_EQ(got.exit_code, c.exit_code) << "stderr: " << err;
  ASSERT_TRUE(fs::exists(out_path)) << out_path << " missing (NP_UPDATE_GOLDEN=1 writes it)";
  EXPECT_EQ(out, read_file(out_path)) << "stdout of: " << c.command;
  EXPECT_EQ(err, fs::exists(err_path) ? read_file(err_path) : std::string())
      << "stderr of: " << c.command;
}

TEST(GoldenCases, CoverEveryCommandOfTheIssueAndEveryFormat) {
  std::string all;
  for (const auto& c : read_cases()) all += c.command + "\n";
  for (const char* needle :
       {"neuralpower show", "neuralpower predict", "neuralpower train", "neuralpower evaluate",
        "neuralpower epr", "--format csv", "--format json", "--format markdown", ".onnx"}) {
    EXPECT_NE(all.find(needle), std::string::npos) << needle;
  }
}

INSTANTIATE_TEST_SUITE_P(Cli, Golden, ::testing::ValuesIn(read_cases()), [](const auto& case_info) {
  std::string name = case_info.param.name;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

}  // namespace
}  // namespace np::test
