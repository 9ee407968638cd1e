#pragma once
// Files compiled into the library by cmake/EmbedFiles.cmake (np_embed_files in the root
// CMakeLists.txt lists them); each returns the file's exact bytes.
#include <string_view>

namespace np::html::embedded {

std::string_view vega_js() noexcept;        // third_party/vega/vega.min.js
std::string_view vega_lite_js() noexcept;   // third_party/vega/vega-lite.min.js
std::string_view vega_embed_js() noexcept;  // third_party/vega/vega-embed.min.js
std::string_view vega_license() noexcept;
std::string_view vega_lite_license() noexcept;
std::string_view vega_embed_license() noexcept;
std::string_view third_party_notices() noexcept;  // the licences of what the builds bundle
std::string_view versions() noexcept;             // "vega 6.4.0\nvega-lite ...\n"
std::string_view page_js() noexcept;              // src/report/html/page.js: renders the charts
std::string_view page_css() noexcept;             // src/report/html/page.css

}  // namespace np::html::embedded
