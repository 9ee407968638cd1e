#pragma once
// Strict JSON reading shared by our network format and the Paleo importer: parsing that
// rejects duplicate keys, and typed access to the keys of one object that names the key and
// the offending value in every error.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "neuralpower/shape.hpp"

namespace np::json {

using Json = nlohmann::ordered_json;

// Upper bound for kernel, stride, dilation and padding values: far above any real window, and
// low enough that the IR's window arithmetic (dilation * (kernel - 1), extent + pads) cannot
// overflow int64.
inline constexpr int64_t kMaxWindowValue = (int64_t{1} << 31) - 1;

// Throws "key 'kernel' is too large: ..." above kMaxWindowValue; returns the value.
int64_t check_window_value(int64_t value, std::string_view key);

// Parses text keeping the key order of the file; throws np::Error("invalid JSON: ...") on a
// syntax error and on a key repeated inside one object (the library would keep only one).
Json parse_strict(const std::string& text);

// Short rendering of a value for error messages ("[1, 2]", "\"abc\"", "{...}").
std::string brief(const Json& value);

// Kind name of a JSON value for error messages ("a string", "an array", ...).
std::string_view type_name(const Json& value);

// Reads the keys of one JSON object. Every getter registers its key as known, present or
// not, so that reject_unknown_keys can name a misspelt key and list the valid ones.
class ObjectReader {
 public:
  // Throws when `object` is not a JSON object; `what` names it ("layer", "top level").
  ObjectReader(const Json& object, std::string_view what);

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

  // Marks keys as accepted without reading them (free-text keys, keys another layer reads).
  void accept(std::initializer_list<std::string_view> keys);
  // Throws "unknown key 'k' (known: a, b, ...)" for the first key never asked for.
  void reject_unknown_keys() const;

 private:
  const Json& object_;
  std::set<std::string, std::less<>> known_;
};

// Value conversions; `key` only names the value in error messages.
int64_t to_int(const Json& value, std::string_view key);
double to_double(const Json& value, std::string_view key);
std::vector<int64_t> to_int_list(const Json& value, std::string_view key);

// A list of 1 to max_rank positive dims; with allow_inferred, one dim may be -1. A sample
// shape (batch excluded) has at most 5 dims, since a full shape has at most 6.
Shape to_dims(const Json& value, std::string_view key, size_t max_rank, bool allow_inferred);
inline Shape to_sample_shape(const Json& value, std::string_view key, bool allow_inferred = false) {
  return to_dims(value, key, 5, allow_inferred);
}

}  // namespace np::json
