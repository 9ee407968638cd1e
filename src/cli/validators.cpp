#include "cli/validators.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "neuralpower/text_file.hpp"

namespace np::cli {
namespace {

std::string lower(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// A bound as people write it: 10000, 0.01, 1e+12.
std::string bound(double v) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(v);
}

bool parse_integer(const std::string& text, int64_t& value) {
  const char* begin = text.data() + (text.size() > 1 && text[0] == '+' ? 1 : 0);
  auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

bool parse_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(value);
}

std::string got(const std::string& text) { return ", got '" + text + "'"; }

}  // namespace

CLI::Validator one_of(const std::vector<std::string>& names) {
  return CLI::Validator(
      [names](const std::string& text) {
        for (const auto& name : names) {
          if (lower(name) == lower(text)) return std::string();
        }
        return "'" + text + "' is not one of " + join(names);
      },
      "{" + join(names) + "}");
}

CLI::Validator integer_in(int64_t low, int64_t high) {
  return CLI::Validator(
      [low, high](const std::string& text) {
        int64_t v = 0;
        const bool ok = parse_integer(text, v);
        if (ok && v >= low && v <= high) return std::string();
        return "must be a whole number from " + std::to_string(low) + " to " +
               std::to_string(high) + got(text);
      },
      std::to_string(low) + ".." + std::to_string(high));
}

CLI::Validator number_in(double low, double high) {
  return CLI::Validator(
      [low, high](const std::string& text) {
        double v = 0;
        if (parse_number(text, v) && v >= low && v <= high) return std::string();
        return "must be a number from " + bound(low) + " to " + bound(high) + got(text);
      },
      bound(low) + ".." + bound(high));
}

CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](const std::string& text) {
        double v = 0;
        if (parse_number(text, v) && v >= 0) return std::string();
        return "must be a number >= 0" + got(text);
      },
      ">=0");
}

CLI::Validator positive_number() {
  return CLI::Validator(
      [](const std::string& text) {
        double v = 0;
        if (parse_number(text, v) && v > 0) return std::string();
        return "must be a number > 0" + got(text);
      },
      ">0");
}

CLI::Validator positive_integer(int64_t high) {
  return CLI::Validator(
      [high](const std::string& text) {
        int64_t v = 0;
        const bool digits =
            !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (digits && parse_integer(text, v) && v >= 1 && v <= high) return std::string();
        if (digits && text.find_first_not_of('0') != std::string::npos) {
          return "'" + text + "' is too large (at most " + std::to_string(high) + ")";
        }
        return "must be a positive integer" + got(text);
      },
      "POSITIVE");
}

CLI::Validator existing_file() {
  return CLI::Validator(
      [](const std::string& path) {
        if (path.empty()) return std::string("empty file name");
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) return "no such file '" + path + "'";
        const std::string kind = special_file_kind(path);
        if (!kind.empty() && kind != "a FIFO") return "'" + path + "' is " + kind + ", not a file";
        return std::string();
      },
      "FILE");
}

std::string unknown_command(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* current = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') return "";
    const auto subcommands = current->get_subcommands([](const CLI::App*) { return true; });
    if (subcommands.empty()) return "";
    const CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (const CLI::App* sub : subcommands) {
      names.push_back(sub->get_name());
      if (sub->get_name() == word) next = sub;
    }
    if (!next) {
      const std::string parent =
          current == &app ? std::string() : " of '" + current->get_name() + "'";
      return "unknown command '" + word + "'" + parent + " (commands: " + join(names) + ")";
    }
    current = next;
  }
  return "";
}

}  // namespace np::cli
