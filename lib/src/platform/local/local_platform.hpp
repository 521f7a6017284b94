#pragma once
// The local platform (DESIGN §6): deployments in the state database, run by this
// machine's agent as containers of its Docker engine, run logs in $TASK_HOME/runs.
#include <filesystem>
#include <memory>
#include <optional>

#include "platform/local/change_watch.hpp"
#include "platform/local/store.hpp"
#include "task/docker.hpp"
#include "task/paths.hpp"
#include "task/platform.hpp"

namespace task {

struct LocalPlatformOptions {
  std::filesystem::path state_dir;   // $TASK_HOME
  Environment env;                   // finds the Docker engine (DOCKER_HOST …)
  std::filesystem::path executable;  // what `task agent run` is started from; empty: never start it
  Clock now = system_now;
};

class LocalPlatform final : public Platform {
 public:
  // `store` is the state database's records, shared with whoever opened it.
  LocalPlatform(Store& store, LocalPlatformOptions options);

  Result<Current> current(const DeploymentKey& key) override;
  Result<std::optional<Deployment>> apply(const DeploymentKey& key, const Planner& plan) override;
  Result<Deployment> set_state(const DeploymentKey& key, DeploymentState state) override;
  Result<std::vector<Deployment>> deployments(const DeploymentFilter& filter) override;
  Result<std::vector<Revision>> revisions(const DeploymentKey& key) override;
  Result<Image> resolve_image(const std::string& ref) override;
  Result<void> has_image(const Image& image) override;

  Result<Run> request_run(const DeploymentKey& key, bool forced) override;
  Result<Run> run(const std::string& id) override;
  Result<std::vector<Run>> runs(const RunFilter& filter) override;
  Result<std::vector<Run>> finished_runs(const DeploymentKey& key, std::size_t limit) override;
  Result<LogChunk> read_log(const Run& run, std::uint64_t from) override;
  // The kernel's word that the agent wrote, instead of asking again.
  bool await_output(const Run& run, std::chrono::milliseconds at_most) override;
  bool await_change(const DeploymentKey& key, std::chrono::milliseconds at_most) override;

  Result<std::vector<Event>> events(const std::string& task, const std::string& env, std::size_t limit) override;
  Result<void> add_event(const Event& event) override;

  Result<StatsReport> stats(const StatsQuery& query) override;
  Result<RecentHealth> health(const DeploymentKey& key, Timestamp since, Timestamp until,
                              std::size_t outcomes) override;

  RunnerStatus runner() override;
  RunnerStatus notify_changed() override;
  std::vector<Check> checks() override;

 private:
  Result<DeploymentRecord> record(const DeploymentKey& key);
  Result<DockerClient*> docker();
  void hold_image(const DeploymentKey& key, const Revision& revision);
  ChangeWatch& watch();  // made on first use

  Store& store_;
  LocalPlatformOptions options_;
  std::optional<DockerClient> docker_;
  std::unique_ptr<ChangeWatch> watch_;  // from the first read of a log on
};

}  // namespace task
