#pragma once
// The options every command that reads a network shares: NET, --batch, --input-shape,
// --allow-unknown.
#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "neuralpower/import_options.hpp"
#include "neuralpower/network.hpp"
#include "neuralpower/table.hpp"

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
          name, [&field, choices](const std::string& text) { field = choices.at(text); }, help)
      ->check(CLI::IsMember(names, CLI::ignore_case))
      ->default_str(current);
}

// --format, bound to `format` (whose value is the default); markdown only where it is offered.
void add_format_option(CLI::App& command, OutputFormat& format, bool with_markdown);
void add_format_option(CLI::App& command, OutputFormat& format,
                       const std::vector<OutputFormat>& offered);

// The validator of a positive integer option ("must be a positive integer, got '0'").
CLI::Validator positive_integer();

}  // namespace np::cli
