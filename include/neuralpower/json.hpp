#pragma once
// The one strict JSON reader of the tool's files (networks in our format and Paleo's, model
// files, nets files, GPU specs): parsing that rejects duplicate keys, and typed access to the
// keys of one object that names the key (with its path in the file) and the offending value in
// every error.
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "neuralpower/error.hpp"

namespace np::json {

using Json = nlohmann::ordered_json;

// Parses text keeping the key order of the file; throws np::Error("invalid JSON: ...") on a
// syntax error and on a key repeated inside one object (the library would keep only one).
Json parse_strict(const std::string& text);

// Short rendering of a value for error messages ("[1, 2]", "\"abc\"", "{...}").
std::string brief(const Json& value);

// Kind name of a JSON value for error messages ("a string", "an array", ...).
std::string_view type_name(const Json& value);

// An integer of type T: a JSON integer in T's range, else np::Error naming `key` (the library
// would convert 1.8e20 to an unsigned integer with undefined behaviour).
template <typename T>
T to_integer(const Json& value, std::string_view key) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(u);
  } else if (value.is_number_integer()) {
    const auto i = value.get<int64_t>();
    if (std::in_range<T>(i)) return static_cast<T>(i);
  } else {
    throw Error("key '" + std::string(key) + "' must be an integer, got " + brief(value));
  }
  throw Error("key '" + std::string(key) + "' is out of range: " + brief(value));
}

// Reads the keys of one JSON object. Every getter registers its key as known, present or
// not, so that reject_unknown_keys can name a misspelt key and list the valid ones. Errors
// name a key as `path.key` when the reader has a path ("model.kinds.conv"), else as `key`.
class ObjectReader {
 public:
  // Throws when `object` is not a JSON object; `what` names it ("layer", "top level").
  ObjectReader(const Json& object, std::string_view what, std::string path = "");
  // The object at `key`, with the path extended by the key.
  ObjectReader object(const std::string& key);

  bool has(const std::string& key);
  const Json& required(const std::string& key);
  const Json* optional(const std::string& key);

  int64_t required_int(const std::string& key);
  int64_t int_or(const std::string& key, int64_t fallback);
  double double_or(const std::string& key, double fallback);
  bool bool_or(const std::string& key, bool fallback);
  std::string required_string(const std::string& key);
  std::optional<std::string> optional_string(const std::string& key);
  std::vector<std::string> string_list_or(const std::string& key,
                                          std::vector<std::string> fallback);
  // A required array.
  const Json& array(const std::string& key);
  // A required array of objects: a reader for each, its path "key[i]".
  std::vector<ObjectReader> objects(const std::string& key);
  // A measurement: a finite number, or null for one that was not taken; the key is required.
  std::optional<double> number_or_null(const std::string& key);
  // A required value converted to T (numbers, strings, booleans and lists of them). An integer
  // must be an integer in T's range: the library would convert 1.8e20 to an unsigned integer
  // with undefined behaviour (found by fuzzing model files).
  template <typename T>
  T get(const std::string& key) {
    const Json& value = required(key);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      return to_integer<T>(value, name(key));
    } else if constexpr (is_integer_vector<T>::value) {
      if (!value.is_array()) {
        throw Error("key '" + name(key) + "' has the wrong type: " + brief(value));
      }
      T out;
      for (const Json& element : value) {
        out.push_back(to_integer<typename T::value_type>(element, name(key)));
      }
      return out;
    } else {
      try {
        return value.get<T>();
      } catch (const Json::exception&) {
        throw Error("key '" + name(key) + "' has the wrong type: " + brief(value));
      }
    }
  }
  // `key` as errors name it.
  std::string name(const std::string& key) const;

  // Marks keys as accepted without reading them (free-text keys, keys another layer reads).
  void accept(std::initializer_list<std::string_view> keys);
  // Throws "unknown key 'k' (known: a, b, ...)" for the first key never asked for.
  void reject_unknown_keys() const;

 private:
  template <typename T>
  struct is_integer_vector : std::false_type {};
  template <typename U>
  struct is_integer_vector<std::vector<U>>
      : std::bool_constant<std::is_integral_v<U> && !std::is_same_v<U, bool>> {};

  const Json& object_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

// A measurement as JSON: the number, or null for one that was not taken.
Json optional_json(const std::optional<double>& value);

// Value conversions; `key` only names the value in error messages.
int64_t to_int(const Json& value, std::string_view key);
double to_double(const Json& value, std::string_view key);
std::vector<int64_t> to_int_list(const Json& value, std::string_view key);

}  // namespace np::json
