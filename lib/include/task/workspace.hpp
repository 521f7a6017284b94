#pragma once
// What a `task` process works in: the environments of $TASK_HOME in promotion order, the
// platform each one is bound to, and the machine's build ledger. Opened on first use, so
// commands that need none of it start fast.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "task/builds.hpp"
#include "task/deployment.hpp"
#include "task/error.hpp"
#include "task/paths.hpp"
#include "task/platform.hpp"

namespace task {

struct WorkspaceOptions {
  std::filesystem::path state_dir;   // $TASK_HOME
  Environment env;                   // the process environment: finds the Docker engine …
  std::filesystem::path executable;  // task itself, to start the local agent; empty: never
  Clock now = system_now;
};

class Workspace {
 public:
  explicit Workspace(WorkspaceOptions options);
  Workspace(Workspace&&) noexcept;
  Workspace& operator=(Workspace&&) noexcept;
  ~Workspace();

  Timestamp now() const;
  const std::filesystem::path& state_dir() const;

  // In promotion order.
  Result<std::vector<EnvironmentRecord>> environments();
  // The environment named, or the first one when `name` is empty.
  Result<EnvironmentRecord> environment(const std::string& name);
  // Inserted after `after` in promotion order (last when empty).
  Result<EnvironmentRecord> add_environment(const EnvironmentRecord& env, const std::string& after);
  // Its platform and settings; a change of platform is refused while it has deployments.
  Result<EnvironmentRecord> update_environment(const EnvironmentRecord& env);
  // Refused (Errc::conflict) while deployments exist there.
  Result<void> remove_environment(const std::string& name);

  // The platform an environment is bound to.
  Result<Platform*> platform(const EnvironmentRecord& env);
  // Every platform the environments are bound to, once each, in promotion order of the
  // first environment of each.
  Result<std::vector<Platform*>> platforms();

  Result<BuildLedger*> builds();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace task
