#pragma once
// The options every command that reads a network shares: NET, --batch, --input-shape,
// --allow-unknown.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "neuralpower/import.hpp"

namespace np::cli {

struct NetworkArguments {
  std::string spec;
  int64_t batch = 0;  // 0: the network's own
  std::vector<std::string> input_shapes;
  bool allow_unknown = false;

  void add_to(CLI::App& command, bool net_required = true);
  ImportOptions import_options() const;
  Network load() const;
};

enum class OutputFormat { table, csv, json, markdown };
void add_format_option(CLI::App& command, OutputFormat& format, bool with_markdown);

}  // namespace np::cli
