#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/network_report.hpp"

namespace np::cli {

Runner add_show_command(CLI::App& app) {
  auto* command = app.add_subcommand("show", "layers, shapes, FLOPs, parameters and bytes moved");
  auto net = std::make_shared<NetworkArguments>();
  auto format = std::make_shared<OutputFormat>(OutputFormat::table);
  net->add_to(*command);
  add_format_option(*command, *format, false);
  return [net, format] {
    std::cout << network_report(net->load(), *format);
    return 0;
  };
}

}  // namespace np::cli
