#include "neuralpower/devices_report.hpp"

#include <nlohmann/json.hpp>

namespace np {
namespace {

std::string as_text(const std::vector<DeviceReport>& reports) {
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

std::string as_csv(const std::vector<DeviceReport>& reports) {
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

std::string as_json(const std::vector<DeviceReport>& reports) {
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

std::string devices_report(const std::vector<DeviceReport>& reports, OutputFormat format) {
  switch (format) {
    case OutputFormat::json:
      return as_json(reports);
    case OutputFormat::csv:
      return as_csv(reports);
    default:
      return as_text(reports);
  }
}

}  // namespace np
