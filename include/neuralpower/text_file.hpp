#pragma once
// Whole files in and out: every reader of the tool's files starts here, and every file the
// tool rewrites (model files, nets files) is replaced atomically.
#include <string>

namespace np {

// The whole file as bytes. Throws np::Error "cannot open WHAT 'path'" (or "cannot open 'path'"
// when `what` is empty) when it cannot be opened, and when reading it fails.
std::string read_text_file(const std::string& path, const std::string& what = "");

// Writes `text` to path.tmp and renames it over `path`, so a reader never sees half a file.
void replace_file(const std::string& path, const std::string& text);

}  // namespace np
