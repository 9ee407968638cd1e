#include "cli/network_options.hpp"

#include <map>

#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"

namespace np::cli {

void ImportArguments::add_to(CLI::App& command) {
  command.add_option("--input-shape", input_shapes,
                     "input shape: NAME=1x3x224x224, or just 1x3x224x224 for a single input");
  command.add_flag("--allow-unknown", allow_unknown,
                   "count unsupported ONNX ops as zero cost (listed as unmodelled)");
}

ImportOptions ImportArguments::import_options(int64_t batch) const {
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
      if (!options.input_shapes.emplace(name, parse_shape(text.substr(eq + 1))).second) {
        throw Error("--input-shape '" + text + "': input '" + name +
                    "' is given twice; give each input once");
      }
    }
  }
  return options;
}

void NetworkArguments::add_to(CLI::App& command, bool net_required) {
  auto* net = command.add_option("NET", spec,
                                 "zoo name (see `neuralpower zoo`), our JSON, a Paleo JSON net "
                                 "or an ONNX file");
  if (net_required) net->required();
  command.add_option("--batch", batch, "batch size (overrides the network's)")
      ->check(positive_integer());
  import.add_to(command);
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

}  // namespace np::cli
