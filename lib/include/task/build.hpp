#pragma once
// `task build`: a task's image from an exact source revision, recorded in the build ledger with
// its full log whatever the outcome.
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "task/connect.hpp"
#include "task/docker.hpp"
#include "task/error.hpp"
#include "task/paths.hpp"
#include "task/builds.hpp"

namespace task {

struct BuildOptions {
  std::filesystem::path project_dir;
  std::string commit;                             // "" : the work tree as it is
  bool no_cache = false;
  std::map<std::string, std::string> build_args;  // over task.yaml's build.args
  std::string platform;
  bool push = false;
  std::filesystem::path cache_dir;                // Paths::cache: clones of connected repositories
  Builder builder = Builder::automatic;
};

struct BuildObserver {
  std::function<void(const BuildRecord&)> started = [](const BuildRecord&) {};
  std::function<void(const BuildEvent&)> event = [](const BuildEvent&) {};
  std::function<bool()> cancelled = [] { return false; };
  std::function<void(const TransferProgress&)> fetching = [](const TransferProgress&) {};  // connected sources
  Clock now = system_now;
};

// Builds from the project's work tree, or for a connected project (task.yaml's source.git)
// from a clean checkout of its branch's head fetched into the cache, or of `commit`.
// Tags task/<name>:<commit12> (with "-dirty.N" for a dirty tree), labels the image
// with the task, commit, source and build id, and pushes when asked. A failed or cancelled
// build is stored too, and its error says which build it was.
Result<BuildRecord> build_project(BuildLedger& builds, DockerClient& docker, const BuildOptions& options,
                                  const Environment& env, const BuildObserver& observer);
// The same on the Docker engine that `env` names (DOCKER_HOST …).
Result<BuildRecord> build_project(BuildLedger& builds, const BuildOptions& options, const Environment& env,
                                  const BuildObserver& observer);

// The image tag for a build: the first 12 characters of the commit, and for a dirty tree
// "-dirty.<n>" where n counts the dirty builds of that commit.
std::string image_tag(const std::string& commit, bool dirty, std::int64_t dirty_count);

}  // namespace task
