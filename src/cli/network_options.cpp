#include "cli/network_options.hpp"

#include <map>

#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"

namespace np::cli {

void NetworkArguments::add_to(CLI::App& command, bool net_required) {
  auto* net = command.add_option("NET", spec,
                                 "zoo name (see `neuralpower zoo`), our JSON, a Paleo JSON net "
                                 "or an ONNX file");
  if (net_required) net->required();
  command.add_option("--batch", batch, "batch size (overrides the network's)")
      ->check(positive_integer());
  command.add_option("--input-shape", input_shapes,
                     "input shape: NAME=1x3x224x224, or just 1x3x224x224 for a single input");
  command.add_flag("--allow-unknown", allow_unknown,
                   "count unsupported ONNX ops as zero cost (listed as unmodelled)");
}

ImportOptions NetworkArguments::import_options() const {
  ImportOptions options;
  if (batch > 0) options.batch = batch;
  options.allow_unknown = allow_unknown;
  for (const auto& text : input_shapes) {
    const auto eq = text.rfind('=');
    if (eq == std::string::npos) {
      if (options.input_shape || input_shapes.size() > 1) {
        throw Error("--input-shape '" + text +
                    "': name the input (NAME=SHAPE) when giving several");
      }
      options.input_shape = parse_shape(text);
    } else {
      const std::string name = text.substr(0, eq);
      if (name.empty()) throw Error("--input-shape '" + text + "': empty input name");
      options.input_shapes[name] = parse_shape(text.substr(eq + 1));
    }
  }
  return options;
}

Network NetworkArguments::load() const { return load_network(spec, import_options()); }

void add_format_option(CLI::App& command, OutputFormat& format, bool with_markdown) {
  std::vector<OutputFormat> offered{OutputFormat::table, OutputFormat::csv, OutputFormat::json};
  if (with_markdown) offered.push_back(OutputFormat::markdown);
  add_format_option(command, format, offered);
}

void add_format_option(CLI::App& command, OutputFormat& format,
                       const std::vector<OutputFormat>& offered) {
  std::map<std::string, OutputFormat> names;
  for (OutputFormat f : offered) names[std::string(to_string(f))] = f;
  add_choice_option(command, "--format", format, names, "output format");
}

CLI::Validator positive_integer() {
  return CLI::Validator(
      [](const std::string& text) {
        return text.find_first_not_of("0123456789") == std::string::npos &&
                       text.find_first_not_of('0') != std::string::npos
                   ? std::string()
                   : "must be a positive integer, got '" + text + "'";
      },
      "POSITIVE");
}

}  // namespace np::cli
