// `neuralpower devices`: which backends are compiled in, the devices they find and whether
// their power meters can be read, each with the reason when not.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/backend_registry.hpp"
#include "neuralpower/devices_report.hpp"

namespace np::cli {

Runner add_devices_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("devices", "backends, devices and power meters available on this machine");
  auto format = std::make_shared<OutputFormat>(OutputFormat::table);
  add_format_option(*command, *format, false);
  return [format] {
    std::cout << devices_report(probe_devices(), *format);
    return 0;
  };
}

}  // namespace np::cli
