#include "neuralpower/nets_file.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dataset/keyed_json.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

using keyed_json::at;
using keyed_json::get;
using keyed_json::get_optional;
using keyed_json::Json;
using keyed_json::optional_json;

constexpr const char* kFormat = "neuralpower-nets";

Json layer_json(const MeasuredLayer& l) {
  return {{"id", l.id},
          {"name", l.name},
          {"kind", l.kind},
          {"runtime_ms", l.runtime_ms},
          {"power_w", optional_json(l.power_w)},
          {"energy_mj", l.power_w ? Json(*l.power_w * l.runtime_ms) : Json(nullptr)},
          {"window_s", optional_json(l.window_s)},
          {"algorithm", l.algorithm},
          {"note", l.note}};
}

MeasuredLayer layer_from(const Json& j, const std::string& path) {
  MeasuredLayer l;
  l.id = get<int>(j, "id", path);
  l.name = get<std::string>(j, "name", path);
  l.kind = get<std::string>(j, "kind", path);
  l.runtime_ms = get<double>(j, "runtime_ms", path);
  if (!std::isfinite(l.runtime_ms) || l.runtime_ms < 0) {
    throw Error("key '" + path + ".runtime_ms' must be a non-negative number");
  }
  l.power_w = get_optional(j, "power_w", path);
  l.window_s = get_optional(j, "window_s", path);
  l.algorithm = get<std::string>(j, "algorithm", path);
  l.note = get<std::string>(j, "note", path);
  return l;
}

Json network_json(const MeasuredNetwork& n) {
  Json layers = Json::array();
  for (const auto& l : n.layers) layers.push_back(layer_json(l));
  return {{"network", n.network},
          {"spec", n.spec},
          {"batch", n.batch},
          {"status", n.failed ? "failed" : "ok"},
          {"failure_reason", n.failure_reason},
          {"runtime_ms", optional_json(n.runtime_ms)},
          {"runtime_spread_pct", optional_json(n.runtime_spread_pct)},
          {"iterations_per_trial", n.iterations_per_trial},
          {"trials", n.trials},
          {"power_w", optional_json(n.power_w)},
          {"energy_mj", optional_json(n.energy_mj)},
          {"window_s", optional_json(n.window_s)},
          {"layers", layers}};
}

MeasuredNetwork network_from(const Json& j, const std::string& path) {
  MeasuredNetwork n;
  n.network = get<std::string>(j, "network", path);
  n.spec = get<std::string>(j, "spec", path);
  n.batch = get<int64_t>(j, "batch", path);
  if (n.batch <= 0) throw Error("key '" + path + ".batch' must be positive");
  const auto status = get<std::string>(j, "status", path);
  if (status != "ok" && status != "failed") {
    throw Error("key '" + path + ".status' must be \"ok\" or \"failed\", got \"" + status + "\"");
  }
  n.failed = status == "failed";
  n.failure_reason = get<std::string>(j, "failure_reason", path);
  n.runtime_ms = get_optional(j, "runtime_ms", path);
  n.runtime_spread_pct = get_optional(j, "runtime_spread_pct", path);
  n.iterations_per_trial = get<int64_t>(j, "iterations_per_trial", path);
  n.trials = get<int64_t>(j, "trials", path);
  n.power_w = get_optional(j, "power_w", path);
  n.energy_mj = get_optional(j, "energy_mj", path);
  n.window_s = get_optional(j, "window_s", path);
  const Json& layers = at(j, "layers", path);
  if (!layers.is_array()) throw Error("key '" + path + ".layers' must be an array");
  for (size_t i = 0; i < layers.size(); ++i) {
    n.layers.push_back(layer_from(layers[i], path + ".layers[" + std::to_string(i) + "]"));
  }
  return n;
}

}  // namespace

std::string write_nets_file(const NetsFile& file) {
  Json networks = Json::array();
  for (const auto& n : file.networks) networks.push_back(network_json(n));
  const Json doc{{"format", kFormat},
                 {"version", kNetsFileVersion},
                 {"created", file.created},
                 {"tool_version", file.tool_version},
                 {"platform", keyed_json::platform_to_json(file.platform)},
                 {"meter",
                  {{"name", file.meter.name},
                   {"available", file.meter.available},
                   {"status", file.meter.status},
                   {"update_period_ms", file.meter.update_period_ms},
                   {"idle_power_w", optional_json(file.meter.idle_power_w)}}},
                 {"settings",
                  {{"trials", file.settings.trials},
                   {"warmup", file.settings.warmup},
                   {"min_trial_ms", file.settings.min_trial_ms},
                   {"power_window_s", file.settings.power_window_s},
                   {"threads", file.settings.threads}}},
                 {"networks", networks}};
  return doc.dump(2) + "\n";
}

NetsFile parse_nets_file(const std::string& text, const std::string& display_name) {
  try {
    Json doc;
    try {
      doc = Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw Error(std::string("invalid JSON: ") + e.what());
    }
    if (!doc.is_object() || !doc.contains("format") || doc["format"] != kFormat) {
      throw Error("not a neuralpower nets file (format " +
                  (doc.is_object() && doc.contains("format") ? doc["format"].dump()
                                                             : std::string("missing")) +
                  ")");
    }
    const int version = get<int>(doc, "version", "nets");
    if (version != kNetsFileVersion) {
      throw Error("nets file version " + std::to_string(version) + ", this tool reads version " +
                  std::to_string(kNetsFileVersion));
    }
    NetsFile file;
    file.created = get<std::string>(doc, "created", "nets");
    file.tool_version = get<std::string>(doc, "tool_version", "nets");
    file.platform = keyed_json::platform_from_json(at(doc, "platform", "nets"), "nets.platform");
    const Json& meter = at(doc, "meter", "nets");
    file.meter.name = get<std::string>(meter, "name", "nets.meter");
    file.meter.available = get<bool>(meter, "available", "nets.meter");
    file.meter.status = get<std::string>(meter, "status", "nets.meter");
    file.meter.update_period_ms = get<double>(meter, "update_period_ms", "nets.meter");
    file.meter.idle_power_w = get_optional(meter, "idle_power_w", "nets.meter");
    const Json& settings = at(doc, "settings", "nets");
    file.settings.trials = get<int>(settings, "trials", "nets.settings");
    file.settings.warmup = get<int>(settings, "warmup", "nets.settings");
    file.settings.min_trial_ms = get<double>(settings, "min_trial_ms", "nets.settings");
    file.settings.power_window_s = get<double>(settings, "power_window_s", "nets.settings");
    file.settings.threads = get<int>(settings, "threads", "nets.settings");
    const Json& networks = at(doc, "networks", "nets");
    if (!networks.is_array()) throw Error("key 'nets.networks' must be an array");
    for (size_t i = 0; i < networks.size(); ++i) {
      file.networks.push_back(
          network_from(networks[i], "nets.networks[" + std::to_string(i) + "]"));
    }
    return file;
  } catch (...) {
    rethrow_with_context("reading nets file '" + display_name + "'");
  }
}

NetsFile read_nets_file(const std::string& path) {
  return parse_nets_file(keyed_json::read_text_file(path, "nets file"), path);
}

void save_nets_file(const NetsFile& file, const std::string& path) {
  keyed_json::replace_file(path, write_nets_file(file));
}

}  // namespace np
