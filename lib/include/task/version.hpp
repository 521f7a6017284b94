#pragma once
// What this build of task is, and what it was built with.
#include <string>
#include <vector>

namespace task {

struct Component {
  std::string name;
  std::string version;
};

struct VersionInfo {
  std::string version;                 // task's own semantic version
  std::vector<Component> components;   // linked libraries and their runtime versions
};

// Cheap: touches no engine, network or disk, so `task version` starts in a few ms.
VersionInfo version_info();

}  // namespace task
