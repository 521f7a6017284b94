#pragma once
// Shared by the store tests: a fresh TASK_HOME-like state directory under a temporary
// directory, removed with everything in it at the end of the test.
#include <stdlib.h>

#include <filesystem>
#include <string>

struct StateDir {
  std::filesystem::path path;
  explicit StateDir(const char* prefix = "task-state") {
    std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    path = std::filesystem::path(mkdtemp(pattern.data())) / "state";
  }
  ~StateDir() { std::filesystem::remove_all(path.parent_path()); }
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;
};
