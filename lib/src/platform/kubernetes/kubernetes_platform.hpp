#pragma once
// The kubernetes platform (DESIGN §7): an environment is a namespace of a cluster reached
// through the user's kubeconfig; a deployment is a CronJob, its runs are Jobs and their
// Pods, its revision ledger and event log a Secret beside it, so every machine with the
// same kubeconfig sees the same state. Images are pushed from this machine's Docker
// engine to the environment's registry and run by digest.
#include <functional>
#include <memory>
#include <optional>

#include "task/deployment.hpp"
#include "task/docker.hpp"
#include "task/paths.hpp"
#include "task/platform.hpp"

namespace task {

struct KubernetesPlatformOptions {
  EnvironmentRecord env;     // its name and cluster binding
  Environment process_env;   // KUBECONFIG, HOME, DOCKER_HOST …
  Clock now = system_now;
};

class KubernetesPlatform final : public Platform {
 public:
  explicit KubernetesPlatform(KubernetesPlatformOptions options);
  ~KubernetesPlatform() override;

  Result<Current> current(const DeploymentKey& key) override;
  Result<std::optional<Deployment>> apply(const DeploymentKey& key, const Planner& plan) override;
  Result<Deployment> set_state(const DeploymentKey& key, DeploymentState state) override;
  Result<std::vector<Deployment>> deployments(const DeploymentFilter& filter) override;
  Result<std::vector<Revision>> revisions(const DeploymentKey& key) override;
  Result<Image> resolve_image(const std::string& ref) override;
  Result<Image> publish(const std::string& task, const Image& image) override;
  // Whether its registry still serves it (a registry that cannot be asked: yes).
  Result<void> has_image(const Image& image) override;
  Result<void> admits(const Revision& revision) override;

  Result<Run> request_run(const DeploymentKey& key, bool forced) override;
  Result<Run> run(const std::string& id) override;
  Result<std::vector<Run>> runs(const RunFilter& filter) override;
  Result<std::vector<Run>> finished_runs(const DeploymentKey& key, std::size_t limit) override;
  Result<LogChunk> read_log(const Run& run, std::uint64_t from) override;
  std::chrono::milliseconds poll_interval() const override;
  // The Pod's log with follow=true; a watch of the deployment's Pods.
  std::optional<Result<std::uint64_t>> stream_log(const Run& run, std::uint64_t from,
                                                  const std::function<void(const RunLogLine&)>& line,
                                                  const std::function<bool()>& stop) override;
  bool await_change(const DeploymentKey& key, std::chrono::milliseconds at_most) override;

  Result<std::vector<Event>> events(const std::string& task, const std::string& env, std::size_t limit) override;
  Result<void> add_event(const Event& event) override;

  Result<StatsReport> stats(const StatsQuery& query) override;
  Result<RecentHealth> health(const DeploymentKey& key, Timestamp since, Timestamp until,
                              std::size_t outcomes) override;

  RunnerStatus runner() override;
  RunnerStatus notify_changed() override;
  std::vector<Check> checks() override;

  // Reaches the API server, finds what it serves, checks the namespace exists (or makes it).
  Result<std::string> prepare(bool create_namespace) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace task
