#pragma once
// task.yaml: what a task project declares about its source, build and runs (DESIGN §1b).
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "task/error.hpp"

namespace task {

enum class Concurrency { allow, forbid, replace };
enum class CatchUp { none, latest, all };

std::string_view to_string(Concurrency);
std::string_view to_string(CatchUp);

struct SourceSpec {
  std::string git;     // remote URL; empty: the project's own work tree
  std::string branch;  // empty: the remote's default branch
  std::string path;    // sub-directory inside the repository; empty: its root
};

struct BuildSpec {
  std::string dockerfile = "Dockerfile";
  std::string context = ".";
  std::map<std::string, std::string> args;
};

struct RunPolicy {
  std::vector<std::string> command;  // empty: the image's CMD
  std::map<std::string, std::string> env;
  std::chrono::seconds timeout{3600};
  int retries = 0;
  Concurrency concurrency = Concurrency::forbid;
  CatchUp catch_up = CatchUp::latest;
  std::optional<std::chrono::seconds> starting_deadline;
  int keep_succeeded = 100;
  int keep_failed = 100;
  std::string failure_webhook;
  bool operator==(const RunPolicy&) const = default;
};

// `schedule:` in task.yaml: one for every environment, or one per environment (with
// `default` for the rest); `timezone:` the zone they are read in.
struct ScheduleSpec {
  std::string all;                            // "" : none for environments not listed
  std::map<std::string, std::string> by_env;  // environment → schedule
  std::string timezone;                       // "" : UTC
  // The schedule for `env`, "" when task.yaml gives none.
  const std::string& for_env(const std::string& env) const {
    auto it = by_env.find(env);
    return it != by_env.end() ? it->second : all;
  }
};

struct ProjectConfig {
  std::string name;
  std::string registry;  // where `task build --push` sends images; empty: nowhere
  SourceSpec source;
  BuildSpec build;
  RunPolicy run;
  ScheduleSpec schedule;
};

inline constexpr std::string_view project_file_name = "task.yaml";

// Parses and validates task.yaml text. Every problem is an Errc::invalid_input error
// whose message starts with "<filename>:<line>:<column>: ".
Result<ProjectConfig> parse_project(std::string_view text, std::string_view filename);

// Reads <dir>/task.yaml. A missing file is Errc::not_found with a hint to `task init`.
Result<ProjectConfig> load_project(const std::filesystem::path& dir);

// True for names a process environment accepts portably: [A-Za-z_][A-Za-z0-9_]*.
bool is_env_name(std::string_view key);

}  // namespace task
