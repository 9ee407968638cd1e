#pragma once
// Loads a page in Debian's headless Chromium and reads back what the page recorded about its
// charts (#np-render-status, see src/report/html/page.js) and what it printed to the console.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace np::test {

// $NP_CHROMIUM, else `chromium` on PATH. Throws std::runtime_error saying how to install it.
std::string find_chromium();

struct PageLoad {
  int exit_code = -1;
  std::string dom;                            // --dump-dom after the virtual-time budget
  std::vector<std::string> console_messages;  // every console message, error or not
  nlohmann::json record;                      // #np-render-status, parsed; null when absent
};

// Loads `page` from a file; every run gets a fresh profile directory.
PageLoad load_page(const std::filesystem::path& page);
// Writes a PNG of the page's top `width` x `height` pixels (what docs/ uses).
void screenshot(const std::filesystem::path& page, const std::filesystem::path& png, int width,
                int height);

// Everything wrong with a rendered page: no record, page errors, console messages, requests for
// resources, charts not "ok", warnings, tooltips showing NaN or undefined, a chart missing from
// the record. Empty when all is well.
std::vector<std::string> render_problems(const PageLoad& load, size_t expected_charts);

// A temporary directory removed with its contents when this goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace np::test
