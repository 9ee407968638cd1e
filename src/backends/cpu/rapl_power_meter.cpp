#include "backends/cpu/rapl_power_meter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "backends/cpu/cpu_factory.hpp"

namespace np {
namespace cpu {
namespace {

namespace fs = std::filesystem;

struct FileText {
  std::optional<std::string> text;
  int error = 0;  // errno when text is missing
};

// Reads a small sysfs file with open/read so that the errno (EACCES) survives.
FileText read_small_file(const std::string& path) {
  FileText result;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.error = errno;
    return result;
  }
  char buffer[128];
  const ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
  result.error = n < 0 ? errno : 0;
  close(fd);
  if (n >= 0) result.text = std::string(buffer, static_cast<size_t>(n));
  return result;
}

std::optional<uint64_t> parse_counter(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  const std::string& s = *text;
  size_t i = 0;
  uint64_t value = 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    const auto digit = static_cast<uint64_t>(s[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    digits = true;
    ++i;
  }
  while (i < s.size() && (s[i] == '\n' || s[i] == ' ')) ++i;
  if (!digits || i != s.size()) return std::nullopt;
  return value;
}

std::string trim_newline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

struct Domain {
  std::string zone;         // "intel-rapl:0"
  std::string name;         // "package-0"
  std::string energy_path;  // .../energy_uj
  uint64_t max_range_uj = 0;
  uint64_t last_uj = 0;
};

class RaplPowerMeter final : public PowerMeter {
 public:
  RaplPowerMeter(std::vector<Domain> domains, std::string status)
      : domains_(std::move(domains)), status_(std::move(status)) {}

  std::string name() const override { return "rapl"; }
  bool available() const override { return true; }
  std::string status() const override { return status_; }
  double update_period_ms() const override { return 1.0; }

  MeterReadings read() override {
    MeterReadings readings;
    std::vector<uint64_t> raw(domains_.size());
    for (size_t i = 0; i < domains_.size(); ++i) {
      const auto value = parse_counter(read_small_file(domains_[i].energy_path).text);
      if (!value) return readings;  // a counter that vanished: no energy for this sample
      raw[i] = *value;
    }
    for (size_t i = 0; i < domains_.size(); ++i) {
      Domain& domain = domains_[i];
      uint64_t delta = raw[i] - domain.last_uj;
      if (raw[i] < domain.last_uj) {
        // The counter wrapped at max_energy_range_uj.
        delta = domain.max_range_uj > domain.last_uj ? domain.max_range_uj - domain.last_uj + raw[i]
                                                     : raw[i];
      }
      accumulated_uj_ += delta;
      domain.last_uj = raw[i];
    }
    readings.energy_mj = static_cast<double>(accumulated_uj_) / 1000.0;
    return readings;
  }

 private:
  std::vector<Domain> domains_;
  std::string status_;
  uint64_t accumulated_uj_ = 0;
};

std::string describe_errno(int error) {
  if (error == EACCES || error == EPERM) {
    return "permission denied (energy_uj is readable by root only since Linux 5.10, "
           "CVE-2020-8694; run as root or make it readable)";
  }
  return std::strerror(error);
}

}  // namespace

std::unique_ptr<PowerMeter> make_rapl_power_meter_at(const std::string& powercap_root) {
  std::error_code ec;
  if (!fs::is_directory(powercap_root, ec)) {
    return make_null_power_meter("RAPL not available: " + powercap_root +
                                 " does not exist (no powercap driver on this machine, "
                                 "typical of virtual machines); runtime only, no CPU energy");
  }
  std::vector<std::string> zones;
  for (const auto& entry : fs::directory_iterator(powercap_root, ec)) {
    const std::string zone = entry.path().filename().string();
    // Top-level zones only ("intel-rapl:0"); "intel-rapl:0:0" are parts of a package.
    if (zone.rfind("intel-rapl:", 0) == 0 && std::count(zone.begin(), zone.end(), ':') == 1) {
      zones.push_back(zone);
    }
  }
  std::sort(zones.begin(), zones.end());
  if (zones.empty()) {
    return make_null_power_meter("RAPL not available: no intel-rapl:N zone in " + powercap_root +
                                 " (the RAPL powercap driver is not loaded)");
  }
  std::vector<Domain> domains;
  std::vector<std::string> problems;
  for (const auto& zone : zones) {
    const std::string dir = powercap_root + "/" + zone;
    const FileText name = read_small_file(dir + "/name");
    const std::string domain_name = name.text ? trim_newline(*name.text) : "";
    // psys (whole platform) overlaps the packages; sum package domains only.
    if (domain_name.rfind("package", 0) != 0) continue;
    Domain domain{zone, domain_name, dir + "/energy_uj", 0, 0};
    const FileText energy = read_small_file(domain.energy_path);
    const auto value = parse_counter(energy.text);
    if (!value) {
      problems.push_back(
          domain.energy_path + ": " +
          (energy.text ? std::string("not a counter") : describe_errno(energy.error)));
      continue;
    }
    domain.last_uj = *value;
    domain.max_range_uj =
        parse_counter(read_small_file(dir + "/max_energy_range_uj").text).value_or(0);
    domains.push_back(domain);
  }
  if (!problems.empty() || domains.empty()) {
    std::string reason = "RAPL not available: ";
    if (problems.empty()) {
      reason += "no package domain among the zones in " + powercap_root;
    } else {
      for (size_t i = 0; i < problems.size(); ++i) reason += (i ? "; " : "") + problems[i];
    }
    return make_null_power_meter(reason + "; runtime only, no CPU energy");
  }
  std::string status = "RAPL package energy from " + powercap_root + ": ";
  for (size_t i = 0; i < domains.size(); ++i) {
    status += (i ? " + " : "") + domains[i].name + " (" + domains[i].zone + ")";
  }
  return std::make_unique<RaplPowerMeter>(std::move(domains), status);
}

}  // namespace cpu

std::unique_ptr<PowerMeter> make_rapl_power_meter() {
  return cpu::make_rapl_power_meter_at("/sys/class/powercap");
}

}  // namespace np
