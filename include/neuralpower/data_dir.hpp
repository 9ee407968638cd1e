#pragma once
// Where the files shipped with the tool are (zoo/, data/, models/): the source tree when it runs
// from the build tree. Each has an environment variable that overrides it for one run.
#include <string>
#include <string_view>

namespace np {

// The shipped file or folder at `relative` (e.g. "zoo", "data/gpu_specs.json").
std::string shipped_path(std::string_view relative);

// The value of the environment variable `name` when it is set and not empty, else `fallback`.
std::string env_or(const char* name, const std::string& fallback);

}  // namespace np
