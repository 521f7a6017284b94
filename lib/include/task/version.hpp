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

// Cheap: touches no engine, network or disk. Without `components`, it does not even load
// the platform libraries, so `task version` starts in a couple of milliseconds.
VersionInfo version_info(bool components = true);

}  // namespace task
