#pragma once
// Where task finds its templates and keeps its state. Resolved once by the caller
// (the CLI builds it from the environment) and passed down: nothing reads getenv later.
#include <filesystem>
#include <map>
#include <string>

namespace task {

using Environment = std::map<std::string, std::string, std::less<>>;

struct Paths {
  std::filesystem::path templates;  // directory holding templates/<name>/
  std::filesystem::path state;      // $TASK_HOME: the local platform's database and logs
  std::filesystem::path cache;      // clones of connected repositories
};

// TASK_TEMPLATES, TASK_HOME, XDG_STATE_HOME, XDG_CACHE_HOME and HOME decide; the
// templates fall back to the installed ones, then to the source tree's.
Paths resolve_paths(const Environment& env, const std::filesystem::path& executable);

// The process environment as a map, read once at start-up.
Environment capture_environment(char** envp);

}  // namespace task
