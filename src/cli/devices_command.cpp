// `neuralpower devices`: which backends are compiled in, the devices they find and whether
// their power meters can be read, each with the reason when not.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/backend_registry.hpp"
#include "neuralpower/devices_report.hpp"
#include "neuralpower/power_window.hpp"
#include "neuralpower/profile_report.hpp"

namespace np::cli {

Runner add_devices_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("devices", "backends, devices and power meters available on this machine");
  auto format = std::make_shared<OutputFormat>(OutputFormat::table);
  add_format_option(*command, *format, false);
  auto counter_period = std::make_shared<bool>(false);
  command->add_flag("--counter-period", *counter_period,
                    "also measure each working meter's energy-counter update period (a few s)");
  return [format, counter_period] {
    const std::vector<DeviceReport> reports = probe_devices();
    std::cout << devices_report(reports, *format);
    if (!*counter_period) return 0;
    for (const auto& report : reports) {
      if (!report.meter.available) continue;
      try {
        auto meter = make_power_meter(report.backend.backend);
        std::cout << counter_period_line(meter->name(),
                                         measure_counter_period(*meter, steady_clock()));
      } catch (const Error& e) {
        std::cout << "energy counter (" << report.meter.name << "): " << e.what() << "\n";
      }
    }
    return 0;
  };
}

}  // namespace np::cli
