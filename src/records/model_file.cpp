#include "neuralpower/model_file.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "neuralpower/error.hpp"
#include "neuralpower/json.hpp"
#include "neuralpower/text_file.hpp"
#include "records/platform_json.hpp"

namespace np {
namespace {

using json::Json;
using json::ObjectReader;

Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

double number_from(ObjectReader& r, const std::string& key) {
  return r.number_or_null(key).value_or(std::numeric_limits<double>::quiet_NaN());
}

Json bounds_json(const RuntimeBounds& b) {
  return {{"min_ms", b.min_ms},
          {"max_ms", b.max_ms},
          {"min_ms_per_flop", b.min_ms_per_flop},
          {"max_ms_per_flop", b.max_ms_per_flop},
          {"min_ms_per_element", b.min_ms_per_element},
          {"max_ms_per_element", b.max_ms_per_element}};
}

RuntimeBounds bounds_from(ObjectReader r) {
  return {r.get<double>("min_ms"),
          r.get<double>("max_ms"),
          r.get<double>("min_ms_per_flop"),
          r.get<double>("max_ms_per_flop"),
          r.get<double>("min_ms_per_element"),
          r.get<double>("max_ms_per_element")};
}

ModelForm parse_form(ObjectReader& r) {
  const auto form = r.get<std::string>("form");
  if (form == "polynomial") return ModelForm::polynomial;
  if (form == "roofline") return ModelForm::roofline;
  if (form == "roofline+correction") return ModelForm::roofline_corrected;
  throw Error("key '" + r.name("form") +
              "' must be polynomial, roofline or roofline+correction, got " + form);
}

Json ranges_json(const std::vector<std::string>& names, const std::vector<Range>& ranges) {
  Json j = Json::object();
  for (size_t i = 0; i < ranges.size() && i < names.size(); ++i) {
    j[names[i]] = {ranges[i].min, ranges[i].max};
  }
  return j;
}

// The highest degree a term may have (the compiled model's table of powers stops there).
constexpr int kMaxTermDegree = 8;

std::string shortest(double v) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(v);
}

// A number the model is made of: finite, and at least `low` when given.
double checked_number(ObjectReader& r, const std::string& key,
                      std::optional<double> low = std::nullopt) {
  const double v = r.get<double>(key);
  if (!std::isfinite(v)) throw Error("key '" + r.name(key) + "' must be a finite number");
  if (low && v < *low) {
    throw Error("key '" + r.name(key) + "' must be at least " + shortest(*low) + ", got " +
                shortest(v));
  }
  return v;
}

int checked_int(ObjectReader& r, const std::string& key, int low, int high) {
  const int64_t v = r.required_int(key);
  if (v < low || v > high) {
    throw Error("key '" + r.name(key) + "' must be from " + std::to_string(low) + " to " +
                std::to_string(high) + ", got " + std::to_string(v));
  }
  return static_cast<int>(v);
}

std::vector<Range> ranges_from(ObjectReader r, const std::vector<std::string>& names) {
  std::vector<Range> ranges;
  for (const auto& name : names) {
    const auto pair = r.get<std::vector<double>>(name);
    if (pair.size() != 2 || !std::isfinite(pair[0]) || !std::isfinite(pair[1]) ||
        pair[0] > pair[1]) {
      throw Error("key '" + r.name(name) + "' must be [min, max] with min <= max");
    }
    ranges.push_back({pair[0], pair[1]});
  }
  return ranges;
}

Json candidates_json(const std::vector<CandidateSummary>& candidates) {
  Json out = Json::array();
  for (const auto& c : candidates) {
    out.push_back({{"name", c.name},
                   {"cv_rmspe", number_or_null(c.cv_rmspe)},
                   {"network_error", number_or_null(c.network_error)},
                   {"chosen", c.chosen}});
  }
  return out;
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
          {"treatments_tried", treatments},
          {"form", to_string(t.form)},
          {"roofline", t.form != ModelForm::polynomial
                           ? Json{{"ms_per_flop", t.roofline.ms_per_flop},
                                  {"ms_per_element", t.roofline.ms_per_element},
                                  {"overhead_ms", t.roofline.overhead_ms}}
                           : Json(nullptr)},
          {"bounds", t.bounds ? bounds_json(*t.bounds) : Json(nullptr)},
          {"selected_by", t.selected_by},
          {"candidates", candidates_json(t.candidates)}};
}

TargetModel target_from(ObjectReader r, const std::vector<std::string>& base_features,
                        const std::vector<std::string>& specials, int version) {
  TargetModel t;
  if (version >= 2) {
    t.form = parse_form(r);
    if (t.form != ModelForm::polynomial) {
      ObjectReader roof = r.object("roofline");
      t.roofline = {roof.get<double>("ms_per_flop"), roof.get<double>("ms_per_element"),
                    roof.get<double>("overhead_ms")};
    }
    if (!r.required("bounds").is_null()) t.bounds = bounds_from(r.object("bounds"));
    t.selected_by = r.get<std::string>("selected_by");
    for (ObjectReader c : r.objects("candidates")) {
      t.candidates.push_back({c.get<std::string>("name"), number_from(c, "cv_rmspe"),
                              number_from(c, "network_error"), c.get<bool>("chosen")});
    }
  }
  t.model.treatment = parse_target_treatment(r.get<std::string>("treatment"));
  const auto inputs = r.get<std::string>("inputs");
  if (inputs != "linear" && inputs != "log2") {
    throw Error("key '" + r.name("inputs") + "' must be linear or log2, got " + inputs);
  }
  t.log_inputs = inputs == "log2";
  t.model.degree = checked_int(r, "degree", 0, kMaxTermDegree);
  t.lambda = checked_number(r, "lambda", 0.0);
  t.cv_rmse = checked_number(r, "cv_rmse", 0.0);
  t.cv_rmspe = checked_number(r, "cv_rmspe", 0.0);
  t.rows = static_cast<size_t>(checked_int(r, "rows", 0, std::numeric_limits<int>::max()));
  t.feature_names = r.get<std::vector<std::string>>("features");
  // The kind's features come first (their ranges are named by them); a target naming others
  // would not read back as written (found by fuzz/model_file_fuzzer).
  for (size_t i = 0; i < base_features.size(); ++i) {
    if (i >= t.feature_names.size() || t.feature_names[i] != base_features[i]) {
      throw Error("key '" + r.name("features") + "' must start with the kind's features; entry " +
                  std::to_string(i + 1) + " is " +
                  (i < t.feature_names.size() ? "'" + t.feature_names[i] + "'" : "missing") +
                  ", expected '" + base_features[i] + "'");
    }
  }
  t.model.intercept = checked_number(r, "intercept");
  t.model.num_features = t.feature_names.size();
  t.model.num_special = specials.size();
  for (ObjectReader term_reader : r.objects("terms")) {
    Term term;
    if (term_reader.has("special")) {
      const auto name = term_reader.get<std::string>("special");
      const auto it = std::find(specials.begin(), specials.end(), name);
      if (it == specials.end()) {
        throw Error("'" + term_reader.name("special") + "': unknown special term " + name);
      }
      term.special = static_cast<int>(it - specials.begin());
    } else {
      const std::vector<int64_t> exponents =
          json::to_int_list(term_reader.required("exponents"), term_reader.name("exponents"));
      if (exponents.size() != t.feature_names.size()) {
        throw Error("'" + term_reader.name("exponents") + "' has " +
                    std::to_string(exponents.size()) + " entries, expected " +
                    std::to_string(t.feature_names.size()));
      }
      int64_t degree = 0;
      for (int64_t e : exponents) {
        if (e < 0 || e > t.model.degree) {
          throw Error("'" + term_reader.name("exponents") + "' has the exponent " +
                      std::to_string(e) + ", outside 0.." + std::to_string(t.model.degree));
        }
        degree += e;
        term.exponents.push_back(static_cast<int>(e));
      }
      if (degree > t.model.degree) {
        throw Error("'" + term_reader.name("exponents") + "' is a term of degree " +
                    std::to_string(degree) + " in a model of degree " +
                    std::to_string(t.model.degree));
      }
    }
    t.model.terms.push_back(term);
    t.model.coefficients.push_back(checked_number(term_reader, "coefficient"));
  }
  t.feature_ranges = ranges_from(r.object("feature_ranges"), base_features);
  t.special_ranges = ranges_from(r.object("special_ranges"), specials);
  for (ObjectReader dr : r.objects("cv_by_degree")) {
    t.by_degree.push_back({dr.get<int>("degree"), dr.get<double>("cv_rmse"),
                           dr.get<double>("cv_rmspe"), dr.get<size_t>("model_size"),
                           dr.get<double>("lambda")});
  }
  for (ObjectReader trr : r.objects("treatments_tried")) {
    t.treatments.push_back({parse_target_treatment(trr.get<std::string>("treatment")),
                            trr.get<double>("cv_rmse"), trr.get<double>("cv_rmspe")});
  }
  return t;
}

}  // namespace

std::string_view to_string(ModelForm form) {
  switch (form) {
    case ModelForm::roofline:
      return "roofline";
    case ModelForm::roofline_corrected:
      return "roofline+correction";
    case ModelForm::polynomial:
      break;
  }
  return "polynomial";
}

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
    const Json doc = json::parse_strict(text);
    ObjectReader r(doc, "a model file", "model");
    if (r.get<std::string>("format") != "neuralpower-model") {
      throw Error("not a neuralpower model file (format '" + doc["format"].dump() + "')");
    }
    const int version = r.get<int>("version");
    if (version != 1 && version != kModelFileVersion) {
      throw Error("model file version " + std::to_string(version) +
                  ", this tool reads versions 1 and " + std::to_string(kModelFileVersion));
    }
    ModelFile file;
    file.created = r.get<std::string>("created");
    file.tool_version = r.get<std::string>("tool_version");
    file.platform = platform_from_json(r.object("platform"));
    ObjectReader training = r.object("training");
    file.datasets = training.get<std::vector<std::string>>("datasets");
    file.max_degree = training.get<int>("max_degree");
    file.folds = training.get<int>("folds");
    ObjectReader kinds = r.object("kinds");
    for (const auto& [kind_name, entry] : doc["kinds"].items()) {
      ObjectReader k_reader = kinds.object(kind_name);
      KindModel k;
      k.kind = layer_kind_from_string(kind_name);
      k.features = k_reader.get<std::vector<std::string>>("features");
      k.specials = k_reader.get<std::vector<std::string>>("specials");
      if (!k_reader.required("runtime_ms").is_null()) {
        k.runtime = target_from(k_reader.object("runtime_ms"), k.features, k.specials, version);
      }
      if (!k_reader.required("power_w").is_null()) {
        k.power = target_from(k_reader.object("power_w"), k.features, k.specials, version);
      }
      file.kinds[k.kind] = std::move(k);
    }
    return file;
  } catch (...) {
    rethrow_with_context("model file '" + name + "'");
  }
}

ModelFile read_model_file(const std::string& path) {
  return parse_model_file(read_text_file(path, "model file"), path);
}

void save_model_file(const ModelFile& file, const std::string& path) {
  replace_file(path, write_model_file(file));
}

}  // namespace np
