// `neuralpower devices`: which backends are compiled in, the devices they find and whether
// their power meters can be read, each with the reason when not.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/network_options.hpp"
#include "neuralpower/backend.hpp"
#include "neuralpower/power_meter.hpp"
#include "neuralpower/table.hpp"

namespace np::cli {
namespace {

struct MeterStatus {
  std::string name;
  bool available = false;
  std::string status;
  double update_period_ms = 0;
};

struct BackendReport {
  BackendStatus backend;
  MeterStatus meter;
};

MeterStatus meter_status(const std::string& backend) {
  MeterStatus result;
  try {
    const auto meter = make_power_meter(backend);
    result.name = meter->name();
    result.available = meter->available();
    result.status = meter->status();
    result.update_period_ms = meter->update_period_ms();
  } catch (const std::exception& e) {
    result.name = "none";
    result.status = std::string("could not open the meter: ") + e.what();
  }
  return result;
}

std::vector<BackendReport> collect() {
  std::vector<BackendReport> reports;
  for (auto& status : probe_backends()) {
    BackendReport report{status, meter_status(status.backend)};
    reports.push_back(std::move(report));
  }
  return reports;
}

std::string as_text(const std::vector<BackendReport>& reports) {
  std::string out;
  for (const auto& [backend, meter] : reports) {
    // The registry's message may already say "not compiled in (...)": do not say it twice.
    const std::string state = backend.compiled ? "compiled in" : "not compiled in";
    out += "backend " + backend.backend + ": ";
    if (backend.message.rfind(state, 0) == 0) {
      out += backend.message;
    } else {
      out += state + (backend.message.empty() ? "" : " (" + backend.message + ")");
    }
    out += "\n";
    if (backend.compiled && backend.devices.empty()) out += "  no device found\n";
    for (size_t i = 0; i < backend.devices.size(); ++i) {
      const DeviceInfo& d = backend.devices[i];
      out += "  device " + std::to_string(i) + ": " + d.name + "\n";
      if (!d.driver.empty()) out += "    driver:  " + d.driver + "\n";
      if (!d.runtime_version.empty()) out += "    runtime: " + d.runtime_version + "\n";
      if (!d.library_version.empty()) out += "    library: " + d.library_version + "\n";
      if (!d.detail.empty()) out += "    detail:  " + d.detail + "\n";
    }
    out += "  power meter: " + meter.name + ", " +
           (meter.available ? "available" : "not available") + ": " + meter.status + "\n";
  }
  return out;
}

std::string as_csv(const std::vector<BackendReport>& reports) {
  Table table({{"backend"},
               {"compiled"},
               {"device"},
               {"driver"},
               {"runtime"},
               {"library"},
               {"detail"},
               {"power_meter"},
               {"meter_available"},
               {"meter_status"},
               {"message"}});
  for (const auto& [backend, meter] : reports) {
    std::vector<DeviceInfo> devices = backend.devices;
    if (devices.empty()) devices.push_back({});  // one row per backend even without a device
    for (const auto& d : devices) {
      table.add_row({backend.backend, backend.compiled ? "yes" : "no", d.name, d.driver,
                     d.runtime_version, d.library_version, d.detail, meter.name,
                     meter.available ? "yes" : "no", meter.status, backend.message});
    }
  }
  return table.to_csv();
}

std::string as_json(const std::vector<BackendReport>& reports) {
  nlohmann::json backends = nlohmann::json::array();
  for (const auto& [backend, meter] : reports) {
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : backend.devices) {
      devices.push_back({{"name", d.name},
                         {"driver", d.driver},
                         {"runtime_version", d.runtime_version},
                         {"library_version", d.library_version},
                         {"detail", d.detail}});
    }
    backends.push_back({{"backend", backend.backend},
                        {"compiled", backend.compiled},
                        {"message", backend.message},
                        {"devices", devices},
                        {"power_meter",
                         {{"name", meter.name},
                          {"available", meter.available},
                          {"status", meter.status},
                          {"update_period_ms", meter.update_period_ms}}}});
  }
  return nlohmann::json{{"backends", backends}}.dump(2) + "\n";
}

}  // namespace

Runner add_devices_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("devices", "backends, devices and power meters available on this machine");
  auto format = std::make_shared<OutputFormat>(OutputFormat::table);
  add_format_option(*command, *format, false);
  return [format] {
    const auto reports = collect();
    switch (*format) {
      case OutputFormat::json:
        std::cout << as_json(reports);
        break;
      case OutputFormat::csv:
        std::cout << as_csv(reports);
        break;
      default:
        std::cout << as_text(reports);
        break;
    }
    return 0;
  };
}

}  // namespace np::cli
