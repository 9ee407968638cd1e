#include "neuralpower/model_file.hpp"

#include <algorithm>
#include <cstdio>
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
using keyed_json::Json;
using keyed_json::platform_from_json;
using keyed_json::platform_to_json;

Json ranges_json(const std::vector<std::string>& names, const std::vector<Range>& ranges) {
  Json j = Json::object();
  for (size_t i = 0; i < ranges.size() && i < names.size(); ++i) {
    j[names[i]] = {ranges[i].min, ranges[i].max};
  }
  return j;
}

std::vector<Range> ranges_from(const Json& j, const std::vector<std::string>& names,
                               const std::string& path) {
  std::vector<Range> ranges;
  for (const auto& name : names) {
    const auto pair = get<std::vector<double>>(j, name, path);
    if (pair.size() != 2) throw Error("key '" + path + "." + name + "' must be [min, max]");
    ranges.push_back({pair[0], pair[1]});
  }
  return ranges;
}

Json target_json(const TargetModel& t, const std::vector<std::string>& specials) {
  Json terms = Json::array();
  for (size_t i = 0; i < t.model.terms.size(); ++i) {
    const Term& term = t.model.terms[i];
    Json entry;
    entry["term"] = term.to_string(t.feature_names, specials);
    if (term.is_special()) {
      entry["special"] = specials.at(static_cast<size_t>(term.special));
    } else {
      entry["exponents"] = term.exponents;
    }
    entry["coefficient"] = t.model.coefficients[i];
    terms.push_back(entry);
  }
  Json degrees = Json::array();
  for (const auto& d : t.by_degree) {
    degrees.push_back({{"degree", d.degree},
                       {"cv_rmse", d.cv_rmse},
                       {"cv_rmspe", d.cv_rmspe},
                       {"model_size", d.model_size},
                       {"lambda", d.lambda}});
  }
  Json treatments = Json::array();
  for (const auto& tr : t.treatments) {
    treatments.push_back({{"treatment", to_string(tr.treatment)},
                          {"cv_rmse", tr.cv_rmse},
                          {"cv_rmspe", tr.cv_rmspe}});
  }
  const size_t base = t.feature_ranges.size();
  return {{"treatment", to_string(t.model.treatment)},
          {"inputs", t.log_inputs ? "log2" : "linear"},
          {"degree", t.model.degree},
          {"lambda", t.lambda},
          {"cv_rmse", t.cv_rmse},
          {"cv_rmspe", t.cv_rmspe},
          {"rows", t.rows},
          {"model_size", t.model.size()},
          {"features", t.feature_names},
          {"intercept", t.model.intercept},
          {"terms", terms},
          {"feature_ranges",
           ranges_json(std::vector<std::string>(
                           t.feature_names.begin(),
                           t.feature_names.begin() +
                               static_cast<long>(std::min(base, t.feature_names.size()))),
                       t.feature_ranges)},
          {"special_ranges", ranges_json(specials, t.special_ranges)},
          {"cv_by_degree", degrees},
          {"treatments_tried", treatments}};
}

TargetModel target_from(const Json& j, const std::vector<std::string>& base_features,
                        const std::vector<std::string>& specials, const std::string& path) {
  TargetModel t;
  t.model.treatment = parse_target_treatment(get<std::string>(j, "treatment", path));
  const auto inputs = get<std::string>(j, "inputs", path);
  if (inputs != "linear" && inputs != "log2") {
    throw Error("key '" + path + ".inputs' must be linear or log2, got " + inputs);
  }
  t.log_inputs = inputs == "log2";
  t.model.degree = get<int>(j, "degree", path);
  t.lambda = get<double>(j, "lambda", path);
  t.cv_rmse = get<double>(j, "cv_rmse", path);
  t.cv_rmspe = get<double>(j, "cv_rmspe", path);
  t.rows = get<size_t>(j, "rows", path);
  t.feature_names = get<std::vector<std::string>>(j, "features", path);
  t.model.intercept = get<double>(j, "intercept", path);
  t.model.num_features = t.feature_names.size();
  t.model.num_special = specials.size();
  const Json& terms = at(j, "terms", path);
  if (!terms.is_array()) throw Error("key '" + path + ".terms' must be an array");
  for (size_t i = 0; i < terms.size(); ++i) {
    const std::string term_path = path + ".terms[" + std::to_string(i) + "]";
    Term term;
    if (terms[i].contains("special")) {
      const auto name = get<std::string>(terms[i], "special", term_path);
      const auto it = std::find(specials.begin(), specials.end(), name);
      if (it == specials.end()) throw Error("'" + term_path + "': unknown special term " + name);
      term.special = static_cast<int>(it - specials.begin());
    } else {
      term.exponents = get<std::vector<int>>(terms[i], "exponents", term_path);
      if (term.exponents.size() != t.feature_names.size()) {
        throw Error("'" + term_path + ".exponents' has " + std::to_string(term.exponents.size()) +
                    " entries, expected " + std::to_string(t.feature_names.size()));
      }
    }
    t.model.terms.push_back(term);
    t.model.coefficients.push_back(get<double>(terms[i], "coefficient", term_path));
  }
  t.feature_ranges =
      ranges_from(at(j, "feature_ranges", path), base_features, path + ".feature_ranges");
  t.special_ranges = ranges_from(at(j, "special_ranges", path), specials, path + ".special_ranges");
  for (const auto& d : at(j, "cv_by_degree", path)) {
    const std::string p = path + ".cv_by_degree";
    t.by_degree.push_back({get<int>(d, "degree", p), get<double>(d, "cv_rmse", p),
                           get<double>(d, "cv_rmspe", p), get<size_t>(d, "model_size", p),
                           get<double>(d, "lambda", p)});
  }
  for (const auto& tr : at(j, "treatments_tried", path)) {
    const std::string p = path + ".treatments_tried";
    t.treatments.push_back({parse_target_treatment(get<std::string>(tr, "treatment", p)),
                            get<double>(tr, "cv_rmse", p), get<double>(tr, "cv_rmspe", p)});
  }
  return t;
}

}  // namespace

std::string write_model_file(const ModelFile& file) {
  Json kinds = Json::object();
  for (const auto& [kind, k] : file.kinds) {
    Json entry{{"features", k.features}, {"specials", k.specials}};
    entry["runtime_ms"] = k.runtime ? target_json(*k.runtime, k.specials) : Json(nullptr);
    entry["power_w"] = k.power ? target_json(*k.power, k.specials) : Json(nullptr);
    kinds[std::string(to_string(kind))] = entry;
  }
  const Json doc{
      {"format", "neuralpower-model"},
      {"version", kModelFileVersion},
      {"created", file.created},
      {"tool_version", file.tool_version},
      {"platform", platform_to_json(file.platform)},
      {"training",
       {{"datasets", file.datasets}, {"max_degree", file.max_degree}, {"folds", file.folds}}},
      {"kinds", kinds}};
  return doc.dump(1) + "\n";
}

ModelFile parse_model_file(const std::string& text, const std::string& name) {
  try {
    Json doc;
    try {
      doc = Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw Error(std::string("invalid JSON: ") + e.what());
    }
    if (get<std::string>(doc, "format", "model") != "neuralpower-model") {
      throw Error("not a neuralpower model file (format '" + doc["format"].dump() + "')");
    }
    const int version = get<int>(doc, "version", "model");
    if (version != kModelFileVersion) {
      throw Error("model file version " + std::to_string(version) + ", this tool reads version " +
                  std::to_string(kModelFileVersion));
    }
    ModelFile file;
    file.created = get<std::string>(doc, "created", "model");
    file.tool_version = get<std::string>(doc, "tool_version", "model");
    file.platform = platform_from_json(at(doc, "platform", "model"), "model.platform");
    const Json& training = at(doc, "training", "model");
    file.datasets = get<std::vector<std::string>>(training, "datasets", "model.training");
    file.max_degree = get<int>(training, "max_degree", "model.training");
    file.folds = get<int>(training, "folds", "model.training");
    const Json& kinds = at(doc, "kinds", "model");
    if (!kinds.is_object()) throw Error("key 'model.kinds' must be an object");
    for (const auto& [kind_name, entry] : kinds.items()) {
      const std::string path = "model.kinds." + kind_name;
      KindModel k;
      k.kind = layer_kind_from_string(kind_name);
      k.features = get<std::vector<std::string>>(entry, "features", path);
      k.specials = get<std::vector<std::string>>(entry, "specials", path);
      const Json& runtime = at(entry, "runtime_ms", path);
      if (!runtime.is_null()) {
        k.runtime = target_from(runtime, k.features, k.specials, path + ".runtime_ms");
      }
      const Json& power = at(entry, "power_w", path);
      if (!power.is_null()) k.power = target_from(power, k.features, k.specials, path + ".power_w");
      file.kinds[k.kind] = std::move(k);
    }
    return file;
  } catch (...) {
    rethrow_with_context("model file '" + name + "'");
  }
}

ModelFile read_model_file(const std::string& path) {
  return parse_model_file(keyed_json::read_text_file(path, "model file"), path);
}

void save_model_file(const ModelFile& file, const std::string& path) {
  keyed_json::replace_file(path, write_model_file(file));
}

}  // namespace np
