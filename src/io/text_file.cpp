#include "neuralpower/text_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "neuralpower/error.hpp"

namespace np {

std::string read_text_file(const std::string& path, const std::string& what) {
  const std::string named = (what.empty() ? "" : what + " ") + "'" + path + "'";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + named);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read " + named);
  return text.str();
}

void replace_file(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write '" + temporary + "'");
    out << text;
    out.flush();
    if (!out) throw Error("writing '" + temporary + "' failed");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) throw Error("cannot replace '" + path + "': " + ec.message());
}

}  // namespace np
