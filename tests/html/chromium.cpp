#include "chromium.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace np::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "np-html-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string find_chromium() {
  if (const char* chosen = std::getenv("NP_CHROMIUM")) {
    if (access(chosen, X_OK) == 0) return chosen;
    throw std::runtime_error(std::string("NP_CHROMIUM=") + chosen +
                             " is not an executable; the HTML tests need Debian's chromium");
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / "chromium";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  throw std::runtime_error(
      "chromium not found on PATH: the HTML report tests render pages in headless Chromium; "
      "install it with ./setup.sh (apt-get install chromium) or set NP_CHROMIUM");
}

namespace {

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char ch : text) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// The flags every run uses: no sandbox (CI runs as root), nothing that phones home, a fresh
// profile so that no state carries over between runs, and HOME inside it too (Chromium keeps a
// certificate store under ~/.pki).
std::string chromium_command(const fs::path& profile) {
  return "HOME=" + quoted(profile.string()) + " timeout 180 " + quoted(find_chromium()) +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
         " --disable-background-networking --disable-component-update --disable-sync"
         " --disable-dev-shm-usage --user-data-dir=" +
         quoted(profile.string());
}

std::string file_url(const fs::path& page) { return "file://" + fs::absolute(page).string(); }

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Text of an element as Chromium serialises it: &, <, > and no-break spaces are escaped.
std::string unescape_text(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const size_t end = text.find(';', i);
    const std::string entity = end == std::string::npos ? "" : text.substr(i, end - i + 1);
    if (entity == "&amp;")
      out += '&';
    else if (entity == "&lt;")
      out += '<';
    else if (entity == "&gt;")
      out += '>';
    else if (entity == "&quot;")
      out += '"';
    else if (entity == "&nbsp;")
      out += "\xc2\xa0";
    else {
      out += '&';
      continue;
    }
    i = end;
  }
  return out;
}

nlohmann::json render_record(const std::string& dom) {
  const std::string open = "<pre id=\"np-render-status\">";
  const size_t start = dom.find(open);
  if (start == std::string::npos) return nullptr;
  const size_t end = dom.find("</pre>", start);
  if (end == std::string::npos) return nullptr;
  const std::string text =
      unescape_text(dom.substr(start + open.size(), end - start - open.size()));
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(nullptr) : parsed;
}

}  // namespace

PageLoad load_page(const fs::path& page) {
  TempDir work;
  const fs::path dom = work.path() / "dom.html";
  const fs::path log = work.path() / "stderr.txt";
  // The budget is virtual time: it only runs out while the page is idle, not while it renders.
  const std::string command = chromium_command(work.path() / "profile") +
                              " --enable-logging=stderr --v=0 --virtual-time-budget=20000"
                              " --dump-dom " +
                              quoted(file_url(page)) + " >" + quoted(dom.string()) + " 2>" +
                              quoted(log.string());
  PageLoad load;
  load.exit_code = run(command);
  load.dom = read_file(dom);
  std::stringstream lines(read_file(log));
  for (std::string line; std::getline(lines, line);) {
    if (line.find(":CONSOLE") != std::string::npos) load.console_messages.push_back(line);
  }
  load.record = render_record(load.dom);
  return load;
}

void screenshot(const fs::path& page, const fs::path& png, int width, int height) {
  TempDir work;
  const std::string command =
      chromium_command(work.path() / "profile") +
      " --hide-scrollbars --window-size=" + std::to_string(width) + "," + std::to_string(height) +
      " --virtual-time-budget=20000 --screenshot=" + quoted(fs::absolute(png).string()) + " " +
      quoted(file_url(page)) + " >/dev/null 2>&1";
  const int code = run(command);
  if (code != 0)
    throw std::runtime_error("chromium --screenshot exited with " + std::to_string(code));
}

std::vector<std::string> render_problems(const PageLoad& load, size_t expected_charts) {
  std::vector<std::string> problems;
  if (load.exit_code != 0)
    problems.push_back("chromium exited with " + std::to_string(load.exit_code));
  for (const std::string& message : load.console_messages)
    problems.push_back("console: " + message);
  const nlohmann::json& record = load.record;
  if (!record.is_object()) {
    problems.push_back("the page recorded nothing: #np-render-status is missing or not JSON");
    return problems;
  }
  if (!record.value("done", false)) {
    problems.push_back("rendering did not finish within the virtual-time budget");
  }
  for (const auto& error : record.value("errors", nlohmann::json::array())) {
    problems.push_back("page error: " + error.get<std::string>());
  }
  if (record.value("resources", 0) != 0) {
    problems.push_back("the page requested " + std::to_string(record.value("resources", 0)) +
                       " resources; it must need none");
  }
  const auto charts = record.value("charts", nlohmann::json::array());
  if (charts.size() != expected_charts) {
    problems.push_back("the page rendered " + std::to_string(charts.size()) + " charts, expected " +
                       std::to_string(expected_charts));
  }
  for (const auto& chart : charts) {
    const std::string id = chart.value("id", "?");
    if (chart.value("status", "") != "ok") {
      std::string why;
      for (const auto& error : chart.value("errors", nlohmann::json::array())) {
        why += " " + error.get<std::string>();
      }
      problems.push_back(id + ": " + chart.value("status", "no status") + why);
    }
    for (const auto& warning : chart.value("warnings", nlohmann::json::array())) {
      problems.push_back(id + " warning: " + warning.get<std::string>());
    }
    if (chart.value("bad_tooltips", 0) != 0) {
      problems.push_back(id + ": " + std::to_string(chart.value("bad_tooltips", 0)) +
                         " tooltip values show NaN, undefined or null");
    }
  }
  return problems;
}

}  // namespace np::test
