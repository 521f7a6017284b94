#include "task/paths.hpp"

#include <system_error>

namespace task {
namespace fs = std::filesystem;

namespace {

std::string lookup(const Environment& env, std::string_view key) {
  auto it = env.find(key);
  return it == env.end() ? std::string{} : it->second;
}

fs::path find_templates(const Environment& env, const fs::path& executable) {
  if (auto dir = lookup(env, "TASK_TEMPLATES"); !dir.empty()) return dir;
  std::error_code ec;
  // An installed binary sits in <prefix>/bin next to <prefix>/share/task/templates.
  if (!executable.empty()) {
    auto beside = executable.parent_path().parent_path() / "share" / "task" / "templates";
    if (fs::is_directory(beside, ec)) return beside;
  }
  if (fs::is_directory(TASK_INSTALLED_TEMPLATES_DIR, ec)) return TASK_INSTALLED_TEMPLATES_DIR;
  return TASK_SOURCE_TEMPLATES_DIR;
}

}  // namespace

Paths resolve_paths(const Environment& env, const fs::path& executable) {
  Paths paths;
  paths.templates = find_templates(env, executable);
  const fs::path home = lookup(env, "HOME");
  if (auto dir = lookup(env, "TASK_HOME"); !dir.empty()) {
    paths.state = dir;
  } else if (auto xdg = lookup(env, "XDG_STATE_HOME"); !xdg.empty()) {
    paths.state = fs::path(xdg) / "task";
  } else {
    paths.state = home / ".local" / "state" / "task";
  }
  if (auto xdg = lookup(env, "XDG_CACHE_HOME"); !xdg.empty()) {
    paths.cache = fs::path(xdg) / "task";
  } else {
    paths.cache = home / ".cache" / "task";
  }
  return paths;
}

Environment capture_environment(char** envp) {
  Environment env;
  for (char** entry = envp; entry && *entry; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return env;
}

}  // namespace task
