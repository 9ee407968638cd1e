#pragma once
// Runs tools/torch_profile.py and the neuralpower binary as a user would: whole commands with
// their output captured, or a child process that a test can kill while it works.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace np::test {

struct ToolResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// `stderr_too`: stdout and stderr together; else stdout only (stderr goes to /dev/null).
inline ToolResult run_command(const std::string& command, bool stderr_too = true) {
  ToolResult result;
  FILE* pipe = popen((command + (stderr_too ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

inline std::string tool_script() { return std::string(NP_SOURCE_DIR) + "/tools/torch_profile.py"; }

// `neuralpower ARGS` and `python3 tools/torch_profile.py ARGS`.
inline ToolResult neuralpower(const std::string& args, bool stderr_too = true) {
  return run_command(std::string(NP_CLI_PATH) + " " + args, stderr_too);
}
inline ToolResult torch_profile(const std::string& args, bool stderr_too = true) {
  return run_command(std::string(NP_PYTHON) + " " + tool_script() + " " + args, stderr_too);
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "np_tools_test_XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// torch_profile.py as a child process whose output goes to a log file.
class ToolChild {
 public:
  ToolChild(const std::vector<std::string>& args, const std::string& log_path) {
    std::vector<std::string> strings{NP_PYTHON, tool_script()};
    strings.insert(strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, NP_PYTHON, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("posix_spawn of " + std::string(NP_PYTHON) + " failed");
  }
  ~ToolChild() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  ToolChild(const ToolChild&) = delete;
  ToolChild& operator=(const ToolChild&) = delete;

  void signal(int sig) { ::kill(pid_, sig); }
  bool running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      record(status);
      return false;
    }
    return true;
  }
  // The exit code, or 128 + the signal that ended it.
  int wait() {
    if (!exited_) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      record(status);
    }
    return exit_code_;
  }

 private:
  void record(int status) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

// Waits until the file has `lines` complete lines or the child has ended; true if reached.
inline bool wait_for_lines(ToolChild& child, const std::string& path, int lines, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    int complete = 0;
    for (char ch : read_text(path)) complete += ch == '\n';
    if (complete >= lines) return true;
    if (!child.running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace np::test
