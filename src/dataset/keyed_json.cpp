#include "dataset/keyed_json.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace np::keyed_json {

const Json& at(const Json& object, const std::string& key, const std::string& path) {
  if (!object.is_object()) throw Error("'" + path + "' is not an object");
  const auto it = object.find(key);
  if (it == object.end()) throw Error("missing key '" + path + "." + key + "'");
  return *it;
}

std::optional<double> get_optional(const Json& object, const std::string& key,
                                   const std::string& path) {
  const Json& value = at(object, key, path);
  if (value.is_null()) return std::nullopt;
  if (!value.is_number()) {
    throw Error("key '" + path + "." + key + "' must be a number or null, got " + value.dump());
  }
  const double v = value.get<double>();
  if (!std::isfinite(v)) throw Error("key '" + path + "." + key + "' is not finite");
  return v;
}

Json optional_json(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

std::string read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + what + " '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void replace_file(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write '" + temporary + "'");
    out << text;
    out.flush();
    if (!out) throw Error("writing '" + temporary + "' failed");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) throw Error("cannot replace '" + path + "': " + ec.message());
}

Json platform_to_json(const Platform& p) {
  return {{"device", p.device},
          {"backend", p.backend},
          {"dtype", p.dtype},
          {"math_mode", p.math_mode},
          {"driver", p.driver},
          {"runtime_version", p.runtime_version},
          {"library_version", p.library_version},
          {"tool_version", p.tool_version},
          {"clocks_locked", p.clocks_locked}};
}

Platform platform_from_json(const Json& j, const std::string& path) {
  Platform p;
  p.device = get<std::string>(j, "device", path);
  p.backend = get<std::string>(j, "backend", path);
  p.dtype = get<std::string>(j, "dtype", path);
  p.math_mode = get<std::string>(j, "math_mode", path);
  p.driver = get<std::string>(j, "driver", path);
  p.runtime_version = get<std::string>(j, "runtime_version", path);
  p.library_version = get<std::string>(j, "library_version", path);
  p.tool_version = get<std::string>(j, "tool_version", path);
  p.clocks_locked = get<std::string>(j, "clocks_locked", path);
  return p;
}

}  // namespace np::keyed_json
