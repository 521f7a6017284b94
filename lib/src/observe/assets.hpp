#pragma once
// The dashboard's files, embedded into the binary at build time (cmake/embed_assets.cmake):
// its page, script and style from web/, and uPlot from npm (web/package-lock.json).
#include <optional>
#include <string_view>

namespace task {

// "index.html", "app.js", "app.css", "uPlot.js", "uPlot.css"; nullopt for anything else.
std::optional<std::string_view> task_asset(std::string_view name);

}  // namespace task
