#include "neuralpower/json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace np::json {
namespace {

// "[json.exception.parse_error.101] parse error at line 2, ..." -> "parse error at line 2, ..."
std::string without_library_prefix(const std::string& message) {
  if (message.rfind("[json.exception.", 0) == 0) {
    const size_t end = message.find("] ");
    if (end != std::string::npos) return message.substr(end + 2);
  }
  return message;
}

}  // namespace

Json parse_strict(const std::string& text) {
  std::vector<std::vector<std::string>> keys_of_open_objects;
  const Json::parser_callback_t reject_duplicate_keys = [&](int, Json::parse_event_t event,
                                                            Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        keys_of_open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys_of_open_objects.empty()) keys_of_open_objects.pop_back();
        break;
      case Json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        auto& seen = keys_of_open_objects.back();
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
          throw Error("invalid JSON: key '" + key + "' appears twice in one object");
        }
        seen.push_back(key);
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text, reject_duplicate_keys);
  } catch (const Json::exception& e) {
    throw Error("invalid JSON: " + without_library_prefix(e.what()));
  }
}

namespace {

constexpr size_t kBriefLength = 60;

// Like dump(), but stops early: a hostile file may nest values deeper than the stack allows
// a full dump to recurse.
void append_brief(const Json& value, std::string& out, int depth) {
  if (out.size() > kBriefLength) return;
  if (value.is_array() || value.is_object()) {
    const bool array = value.is_array();
    if (depth >= 3 && !value.empty()) {
      out += array ? "[...]" : "{...}";
      return;
    }
    out += array ? '[' : '{';
    bool first = true;
    for (const auto& item : value.items()) {
      if (out.size() > kBriefLength) break;
      if (!first) out += ',';
      first = false;
      if (!array)
        out += Json(item.key()).dump(-1, ' ', false, Json::error_handler_t::replace) + ':';
      append_brief(item.value(), out, depth + 1);
    }
    out += array ? ']' : '}';
    return;
  }
  out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string brief(const Json& value) {
  std::string text;
  append_brief(value, text, 0);
  if (text.size() > kBriefLength) text = text.substr(0, kBriefLength) + "...";
  return text;
}

std::string_view type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

ObjectReader::ObjectReader(const Json& object, std::string_view what, std::string path)
    : object_(object), path_(std::move(path)) {
  if (!object.is_object()) {
    throw Error(std::string(what) + " must be an object, got " + std::string(type_name(object)) +
                " " + brief(object));
  }
}

bool ObjectReader::has(const std::string& key) {
  known_.insert(key);
  return object_.contains(key);
}

const Json* ObjectReader::optional(const std::string& key) {
  known_.insert(key);
  const auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

const Json& ObjectReader::required(const std::string& key) {
  const Json* value = optional(key);
  if (!value) throw Error("missing key '" + name(key) + "'");
  return *value;
}

int64_t ObjectReader::required_int(const std::string& key) {
  return to_int(required(key), name(key));
}

int64_t ObjectReader::int_or(const std::string& key, int64_t fallback) {
  const Json* value = optional(key);
  return value ? to_int(*value, name(key)) : fallback;
}

double ObjectReader::double_or(const std::string& key, double fallback) {
  const Json* value = optional(key);
  return value ? to_double(*value, name(key)) : fallback;
}

bool ObjectReader::bool_or(const std::string& key, bool fallback) {
  const Json* value = optional(key);
  if (!value) return fallback;
  if (!value->is_boolean()) {
    throw Error("key '" + name(key) + "' must be true or false, got " + brief(*value));
  }
  return value->get<bool>();
}

std::string ObjectReader::required_string(const std::string& key) {
  const Json& value = required(key);
  if (!value.is_string()) {
    throw Error("key '" + name(key) + "' must be a string, got " + brief(value));
  }
  return value.get<std::string>();
}

std::optional<std::string> ObjectReader::optional_string(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return required_string(key);
}

std::vector<std::string> ObjectReader::string_list_or(const std::string& key,
                                                      std::vector<std::string> fallback) {
  const Json* value = optional(key);
  if (!value) return fallback;
  if (!value->is_array()) {
    throw Error("key '" + name(key) + "' must be a list of strings, got " + brief(*value));
  }
  std::vector<std::string> list;
  for (const auto& item : *value) {
    if (!item.is_string()) {
      throw Error("key '" + name(key) + "' must be a list of strings, got " + brief(*value));
    }
    list.push_back(item.get<std::string>());
  }
  return list;
}

ObjectReader ObjectReader::object(const std::string& key) {
  return ObjectReader(required(key), "key '" + name(key) + "'", name(key));
}

const Json& ObjectReader::array(const std::string& key) {
  const Json& value = required(key);
  if (!value.is_array()) {
    throw Error("key '" + name(key) + "' must be an array, got " + brief(value));
  }
  return value;
}

std::vector<ObjectReader> ObjectReader::objects(const std::string& key) {
  std::vector<ObjectReader> readers;
  const Json& items = array(key);
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string path = name(key) + "[" + std::to_string(i) + "]";
    readers.emplace_back(items[i], "key '" + path + "'", path);
  }
  return readers;
}

std::optional<double> ObjectReader::number_or_null(const std::string& key) {
  const Json& value = required(key);
  if (value.is_null()) return std::nullopt;
  if (!value.is_number()) {
    throw Error("key '" + name(key) + "' must be a number or null, got " + brief(value));
  }
  const double v = value.get<double>();
  if (!std::isfinite(v)) throw Error("key '" + name(key) + "' is not finite");
  return v;
}

std::string ObjectReader::name(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void ObjectReader::accept(std::initializer_list<std::string_view> keys) {
  for (auto key : keys) known_.insert(std::string(key));
}

void ObjectReader::reject_unknown_keys() const {
  for (const auto& item : object_.items()) {
    if (known_.count(item.key()) != 0) continue;
    std::string list;
    for (const auto& key : known_) list += (list.empty() ? "" : ", ") + key;
    throw Error("unknown key '" + name(item.key()) + "' (known: " + list + ")");
  }
}

int64_t to_int(const Json& value, std::string_view key) { return to_integer<int64_t>(value, key); }

double to_double(const Json& value, std::string_view key) {
  if (!value.is_number()) {
    throw Error("key '" + std::string(key) + "' must be a number, got " + brief(value));
  }
  return value.get<double>();
}

std::vector<int64_t> to_int_list(const Json& value, std::string_view key) {
  if (!value.is_array()) {
    throw Error("key '" + std::string(key) + "' must be a list of integers, got " + brief(value));
  }
  std::vector<int64_t> list;
  for (const auto& item : value) {
    if (!item.is_number_integer()) {
      throw Error("key '" + std::string(key) + "' must be a list of integers, got " + brief(value));
    }
    list.push_back(to_int(item, key));
  }
  return list;
}

Json optional_json(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

}  // namespace np::json
