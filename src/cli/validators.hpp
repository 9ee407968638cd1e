#pragma once
// Option validators whose messages name the option's value in one plain line ("--trials: must
// be from 1 to 1000, got '0'"), in place of CLI11's ("Value 0 not in range 1 to 1000",
// "Check xml value in {csv->1,...} FAILED", bounds printed with 300 digits).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace np::cli {

// One of `names`, in any case: "'xml' is not one of table, csv, json".
CLI::Validator one_of(const std::vector<std::string>& names);

// A whole number from low to high: "must be a whole number from 1 to 1000, got '1.5'".
CLI::Validator integer_in(int64_t low, int64_t high);
// A number from low to high (a plain decimal or exponent form; no nan, no inf).
CLI::Validator number_in(double low, double high);
// A number >= 0, or > 0, with no upper bound.
CLI::Validator non_negative_number();
CLI::Validator positive_number();

// A positive whole number up to `high` (default: the largest tensor the tool accepts, 2^38).
CLI::Validator positive_integer(int64_t high = int64_t{1} << 38);

// A path to an existing regular file (or FIFO): "no such file 'x'", "'d' is a directory".
CLI::Validator existing_file();

// The first subcommand word in argv that names no command, with the message saying so and
// listing the commands ("unknown command 'foo' (commands: show, zoo, ...)"); empty when every
// command word is known. CLI11 would answer "A subcommand is required".
std::string unknown_command(const CLI::App& app, int argc, const char* const* argv);

}  // namespace np::cli
