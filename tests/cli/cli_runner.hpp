#pragma once
// Runs the neuralpower binary as a user would and captures what it prints.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace np::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

inline CommandResult run_cli(const std::string& args) {
  // stderr is read with stdout: predict must not warn that the test models (fixtures, the
  // shipped EPYC ones) were measured on another CPU than the machine running the tests.
  const std::string command =
      "NEURALPOWER_CPU_MODEL='*' " + std::string(NP_CLI_PATH) + " " + args + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

inline int count_lines(const std::string& text) {
  int lines = 0;
  for (char ch : text) lines += ch == '\n';
  return lines;
}

}  // namespace np::test
