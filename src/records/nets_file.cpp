#include "neuralpower/nets_file.hpp"

#include <cmath>

#include "neuralpower/error.hpp"
#include "neuralpower/json.hpp"
#include "neuralpower/text_file.hpp"
#include "records/platform_json.hpp"

namespace np {
namespace {

using json::Json;
using json::ObjectReader;
using json::optional_json;

constexpr const char* kFormat = "neuralpower-nets";

Json layer_json(const MeasuredLayer& l) {
  return {{"id", l.id},
          {"name", l.name},
          {"kind", to_string(l.kind)},
          {"runtime_ms", l.runtime_ms},
          {"runtime_spread_pct", optional_json(l.runtime_spread_pct)},
          {"power_w", optional_json(l.power_w)},
          {"energy_mj", l.power_w ? Json(*l.power_w * l.runtime_ms) : Json(nullptr)},
          {"window_s", optional_json(l.window_s)},
          {"algorithm", l.algorithm},
          {"note", l.note}};
}

MeasuredLayer layer_from(ObjectReader r) {
  MeasuredLayer l;
  l.id = r.get<int>("id");
  l.name = r.get<std::string>("name");
  try {
    l.kind = layer_kind_from_string(r.get<std::string>("kind"));
  } catch (...) {
    rethrow_with_context("key '" + r.name("kind") + "'");
  }
  l.runtime_ms = r.get<double>("runtime_ms");
  if (!std::isfinite(l.runtime_ms) || l.runtime_ms < 0) {
    throw Error("key '" + r.name("runtime_ms") + "' must be a non-negative number");
  }
  if (r.has("runtime_spread_pct")) l.runtime_spread_pct = r.number_or_null("runtime_spread_pct");
  l.power_w = r.number_or_null("power_w");
  l.window_s = r.number_or_null("window_s");
  l.algorithm = r.get<std::string>("algorithm");
  l.note = r.get<std::string>("note");
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
          {"trials_redone", n.trials_redone},
          {"reference_ms", optional_json(n.reference_ms)},
          {"reference_mem_ms", optional_json(n.reference_mem_ms)},
          {"layers", layers}};
}

MeasuredNetwork network_from(ObjectReader r) {
  MeasuredNetwork n;
  n.network = r.get<std::string>("network");
  n.spec = r.get<std::string>("spec");
  n.batch = r.get<int64_t>("batch");
  if (n.batch <= 0) throw Error("key '" + r.name("batch") + "' must be positive");
  const auto status = r.get<std::string>("status");
  if (status != "ok" && status != "failed") {
    throw Error("key '" + r.name("status") + "' must be \"ok\" or \"failed\", got \"" + status +
                "\"");
  }
  n.failed = status == "failed";
  n.failure_reason = r.get<std::string>("failure_reason");
  n.runtime_ms = r.number_or_null("runtime_ms");
  n.runtime_spread_pct = r.number_or_null("runtime_spread_pct");
  n.iterations_per_trial = r.get<int64_t>("iterations_per_trial");
  n.trials = r.get<int64_t>("trials");
  n.power_w = r.number_or_null("power_w");
  n.energy_mj = r.number_or_null("energy_mj");
  n.window_s = r.number_or_null("window_s");
  n.trials_redone = r.int_or("trials_redone", 0);
  if (r.has("reference_ms")) n.reference_ms = r.number_or_null("reference_ms");
  if (r.has("reference_mem_ms")) n.reference_mem_ms = r.number_or_null("reference_mem_ms");
  for (ObjectReader layer : r.objects("layers")) n.layers.push_back(layer_from(layer));
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
                 {"platform", platform_to_json(file.platform)},
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
                   {"threads", file.settings.threads},
                   {"scheduling", file.settings.scheduling}}},
                 {"networks", networks}};
  return doc.dump(2) + "\n";
}

NetsFile parse_nets_file(const std::string& text, const std::string& display_name) {
  try {
    const Json doc = json::parse_strict(text);
    if (!doc.is_object() || !doc.contains("format") || doc["format"] != kFormat) {
      throw Error("not a neuralpower nets file (format " +
                  (doc.is_object() && doc.contains("format") ? doc["format"].dump()
                                                             : std::string("missing")) +
                  ")");
    }
    ObjectReader r(doc, "a nets file", "nets");
    const int version = r.get<int>("version");
    if (version != kNetsFileVersion) {
      throw Error("nets file version " + std::to_string(version) + ", this tool reads version " +
                  std::to_string(kNetsFileVersion));
    }
    NetsFile file;
    file.created = r.get<std::string>("created");
    file.tool_version = r.get<std::string>("tool_version");
    file.platform = platform_from_json(r.object("platform"));
    ObjectReader meter = r.object("meter");
    file.meter.name = meter.get<std::string>("name");
    file.meter.available = meter.get<bool>("available");
    file.meter.status = meter.get<std::string>("status");
    file.meter.update_period_ms = meter.get<double>("update_period_ms");
    file.meter.idle_power_w = meter.number_or_null("idle_power_w");
    ObjectReader settings = r.object("settings");
    file.settings.trials = settings.get<int>("trials");
    file.settings.warmup = settings.get<int>("warmup");
    file.settings.min_trial_ms = settings.get<double>("min_trial_ms");
    file.settings.power_window_s = settings.get<double>("power_window_s");
    file.settings.threads = settings.get<int>("threads");
    file.settings.scheduling = settings.optional_string("scheduling").value_or("");
    for (ObjectReader network : r.objects("networks")) {
      file.networks.push_back(network_from(network));
    }
    return file;
  } catch (...) {
    rethrow_with_context("reading nets file '" + display_name + "'");
  }
}

NetsFile read_nets_file(const std::string& path) {
  return parse_nets_file(read_text_file(path, "nets file"), path);
}

void save_nets_file(const NetsFile& file, const std::string& path) {
  replace_file(path, write_nets_file(file));
}

}  // namespace np
