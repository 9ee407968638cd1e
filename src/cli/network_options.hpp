#pragma once
// The options every command that reads a network shares: NET, --batch, --input-shape,
// --allow-unknown.
#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "cli/validators.hpp"
#include "neuralpower/import_options.hpp"
#include "neuralpower/network.hpp"
#include "neuralpower/table.hpp"

namespace np::cli {

// --input-shape and --allow-unknown: how a network file is read, for every command that reads
// one (show, predict, epr, profile nets).
struct ImportArguments {
  std::vector<std::string> input_shapes;
  bool allow_unknown = false;

  void add_to(CLI::App& command);
  // Throws np::Error naming the --input-shape value that is malformed or given twice.
  ImportOptions import_options(int64_t batch = 0) const;
};

struct NetworkArguments {
  std::string spec;
  int64_t batch = 0;  // 0: the network's own
  ImportArguments import;

  void add_to(CLI::App& command, bool net_required = true);
  ImportOptions import_options() const { return import.import_options(batch); }
  Network load() const;
};

// An option choosing one of `choices` (any case), bound to `field`, whose value is the
// default the help shows.
template <typename T>
CLI::Option* add_choice_option(CLI::App& command, const std::string& name, T& field,
                               const std::map<std::string, T>& choices, const std::string& help) {
  std::vector<std::string> names;
  std::string current;
  for (const auto& [text, value] : choices) {
    names.push_back(text);
    if (value == field) current = text;
  }
  return command
      .add_option_function<std::string>(
          name,
          [&field, choices](const std::string& text) {
            for (const auto& [choice, value] : choices) {
              if (CLI::detail::to_lower(choice) == CLI::detail::to_lower(text)) field = value;
            }
          },
          help)
      ->check(one_of(names))
      ->default_str(current);
}

// --format, bound to `format` (whose value is the default); markdown only where it is offered.
void add_format_option(CLI::App& command, OutputFormat& format, bool with_markdown);
void add_format_option(CLI::App& command, OutputFormat& format,
                       const std::vector<OutputFormat>& offered);

}  // namespace np::cli
