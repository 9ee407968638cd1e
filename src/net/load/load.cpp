#include <algorithm>
#include <filesystem>
#include <optional>

#include "neuralpower/data_dir.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/network_json.hpp"
#include "neuralpower/onnx_import.hpp"
#include "neuralpower/paleo_import.hpp"
#include "neuralpower/text_file.hpp"

namespace np {
namespace fs = std::filesystem;

namespace {

Network load_file(const std::string& path, const ImportOptions& options) {
  const std::string kind = special_file_kind(path);
  if (!kind.empty()) throw Error("it is " + kind + ", not a network file");
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".onnx") return import_onnx(path, options);
  const std::string text = read_text_file(path);
  if (ext == ".json") {
    if (is_paleo_json(text)) return parse_paleo_json(text, path, options);
    return parse_network_json(text, path, options);
  }
  throw Error("'" + path + "' is neither .onnx nor .json");
}

// A spec that names a file rather than a zoo network: a folder in it, or a file extension.
bool names_a_file(const std::string& spec) {
  const std::string ext = fs::path(spec).extension().string();
  return spec.find('/') != std::string::npos || ext == ".onnx" || ext == ".json";
}

}  // namespace

std::string zoo_dir() { return env_or("NEURALPOWER_ZOO", shipped_path("zoo")); }

std::vector<ZooEntry> zoo_entries() {
  std::vector<ZooEntry> entries;
  const fs::path root(zoo_dir());
  if (!fs::is_directory(root)) return entries;
  for (const auto& file : fs::recursive_directory_iterator(root)) {
    if (!file.is_regular_file()) continue;
    const std::string ext = file.path().extension().string();
    if (ext != ".onnx" && ext != ".json") continue;
    if (file.path().filename().string().rfind("_", 0) == 0) continue;  // metadata files
    entries.push_back({file.path().stem().string(), file.path().string(), ext.substr(1)});
  }
  std::sort(entries.begin(), entries.end(),
            [](const ZooEntry& a, const ZooEntry& b) { return a.name < b.name; });
  return entries;
}

Network load_network(const std::string& spec, const ImportOptions& options) {
  try {
    if (fs::exists(spec)) return load_file(spec, options);
    for (const auto& entry : zoo_entries()) {
      if (entry.name == spec) return load_file(entry.path, options);
    }
  } catch (...) {
    rethrow_with_context("loading '" + spec + "'");
  }
  if (names_a_file(spec)) throw Error("cannot open '" + spec + "': no such file");
  std::string names;
  for (const auto& entry : zoo_entries()) names += (names.empty() ? "" : ", ") + entry.name;
  throw Error("'" + spec + "' is neither a file nor a zoo network (zoo: " +
              (names.empty() ? "empty, looked in " + zoo_dir() : names) + ")");
}

Network load_network_at_batch_or_one_image(const std::string& spec, const ImportOptions& options) {
  try {
    return load_network(spec, options);
  } catch (const Error&) {
    if (!options.batch) throw;  // nothing to take back
    ImportOptions one_image = options;
    one_image.batch.reset();
    std::optional<Network> net;
    try {
      net = load_network(spec, one_image);
    } catch (const Error&) {
    }
    if (!net || net->has_batch_dim()) throw;
    return std::move(*net);
  }
}

}  // namespace np
