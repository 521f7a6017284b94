#pragma once
// `task doctor`: everything task depends on, checked, with how to fix what is wrong.
#include <string>
#include <vector>

#include "task/paths.hpp"

namespace task {

struct Check {
  std::string name;    // "docker", "git", "state", "templates"
  bool ok = false;
  std::string detail;  // what was found
  std::string fix;     // what to do; empty when ok
};

std::vector<Check> run_checks(const Paths& paths, const Environment& env);

}  // namespace task
