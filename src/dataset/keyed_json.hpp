#pragma once
// Reading the tool's own JSON files (model files, nets files): typed access that names the full
// key path on any problem, and the platform block they share.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "neuralpower/dataset.hpp"
#include "neuralpower/error.hpp"

namespace np::keyed_json {

using Json = nlohmann::ordered_json;

const Json& at(const Json& object, const std::string& key, const std::string& path);

template <typename T>
T get(const Json& object, const std::string& key, const std::string& path) {
  const Json& value = at(object, key, path);
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error("key '" + path + "." + key + "' has the wrong type: " + value.dump());
  }
}

// A measurement: a finite number, or null for one that was not taken.
std::optional<double> get_optional(const Json& object, const std::string& key,
                                   const std::string& path);
Json optional_json(const std::optional<double>& v);

// The whole file as text; `what` names it in the error ("model file").
std::string read_text_file(const std::string& path, const std::string& what);
// Writes `text` to path.tmp and renames it over `path`, so a reader never sees half a file.
void replace_file(const std::string& path, const std::string& text);

Json platform_to_json(const Platform& p);
Platform platform_from_json(const Json& j, const std::string& path);

}  // namespace np::keyed_json
