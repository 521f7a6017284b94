#pragma once
// The seam between the deployment use cases and what runs deployments (DESIGN §1, §7):
// the local platform (this machine's Docker engine and the task agent) and, next, a
// Kubernetes cluster. Commands and use cases take `Platform&` and never ask which one.
//
// The revision ledger lives behind this interface: a platform shared by several machines
// keeps it where all of them see it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "task/deployment.hpp"
#include "task/doctor.hpp"
#include "task/error.hpp"
#include "task/stats.hpp"

namespace task {

struct DeploymentKey {
  std::string task, env;
};

// A deployment's state as a change is planned from it.
struct Current {
  std::optional<Deployment> deployment;  // none: never deployed there, or undeployed
  Config config;                         // the environment's configuration of the task
};

// What a change writes: a new revision (its number and time are assigned), the task's
// configuration in the environment, or both.
struct Change {
  std::optional<Revision> revision;
  std::optional<Config> config;
  // A new revision leaves a suspended deployment suspended, unless this says to resume it
  // (`--resume`); a new or undeployed one becomes active.
  bool resume = false;
};

// Plans a change from the state inside the change's transaction; nullopt: nothing to do.
using Planner = std::function<Result<std::optional<Change>>(const Current&)>;

struct DeploymentFilter {
  std::string task, env;  // "" matches every task or environment
  bool include_removed = false;
};

struct RunFilter {
  std::string task, env;  // "" matches every task or environment
  std::size_t limit = 20;
};

// A slice of a run's log: the whole lines from `from` on, and where the next slice starts.
struct LogChunk {
  std::vector<RunLogLine> lines;
  std::uint64_t next = 0;
  bool exists = true;  // false: the platform keeps no log for the run (yet, or any more)
};

// What runs deployments on time: the local agent, or a cluster's controllers.
struct RunnerStatus {
  bool running = false;
  long pid = 0;        // the local agent's process; 0 elsewhere
  std::string note;    // what was done to it: "started the agent (pid 12)"
  // What it is, where it is not the local agent: "the CronJob controller of https://…".
  std::string description;
  // What keeps it from running tasks now ("the Docker engine at … does not answer"); ""
  // when nothing does, or nobody asked.
  std::string trouble = {};
};

class Platform {
 public:
  virtual ~Platform() = default;
  Platform() = default;
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Deployments and revisions.
  virtual Result<Current> current(const DeploymentKey& key) = 0;
  // Reads the current state, plans and writes the change in one transaction: a failure at
  // any point leaves the previous revision. Returns the deployment after the change, or
  // nullopt when the planner found nothing to do or changed only the configuration of a
  // task not deployed there.
  virtual Result<std::optional<Deployment>> apply(const DeploymentKey& key, const Planner& plan) = 0;
  // Suspends, resumes or removes; Errc::conflict when it is so already.
  virtual Result<Deployment> set_state(const DeploymentKey& key, DeploymentState state) = 0;
  virtual Result<std::vector<Deployment>> deployments(const DeploymentFilter& filter) = 0;
  // Oldest first; Errc::not_found when the task is not deployed there.
  virtual Result<std::vector<Revision>> revisions(const DeploymentKey& key) = 0;
  // The image `ref` as this platform runs it: its digest, made available where runs start.
  virtual Result<Image> resolve_image(const std::string& ref) = 0;
  // An image of this machine's engine (a build's), or another platform's (a promotion's),
  // made available where this platform's runs start, as it will be run: on a cluster,
  // pushed to the environment's registry and named by digest. The local platform runs
  // the engine's images as they are.
  virtual Result<Image> publish(const std::string& task, const Image& image) {
    (void)task;
    return image;
  }
  // Whether the image can still be run here: Errc::not_found saying where it is gone
  // from. A platform that cannot tell (its engine unreachable) says yes; the run will say.
  virtual Result<void> has_image(const Image& image) {
    (void)image;
    return {};
  }
  // Whether this platform can run the revision exactly as planned (its schedule above
  // all); Errc::invalid_input saying why not and what would work.
  virtual Result<void> admits(const Revision& revision) {
    (void)revision;
    return {};
  }

  // Runs and their logs.
  virtual Result<Run> request_run(const DeploymentKey& key, bool forced) = 0;
  virtual Result<Run> run(const std::string& id) = 0;
  // Newest first.
  virtual Result<std::vector<Run>> runs(const RunFilter& filter) = 0;
  // The newest finished runs of a deployment, newest first.
  virtual Result<std::vector<Run>> finished_runs(const DeploymentKey& key, std::size_t limit) = 0;
  virtual Result<LogChunk> read_log(const Run& run, std::uint64_t from) = 0;
  // How often following a run asks again for more of its log and its outcome.
  virtual std::chrono::milliseconds poll_interval() const { return std::chrono::milliseconds(20); }
  // Follows a run's log from `from` as the platform sends it, each line handed over as it
  // comes, until the run's output ends or `stop`; returns where the log then ends.
  // nullopt: this platform (or the run, not started yet) has no such stream, and
  // following reads slices with read_log instead.
  virtual std::optional<Result<std::uint64_t>> stream_log(const Run& run, std::uint64_t from,
                                                          const std::function<void(const RunLogLine&)>& line,
                                                          const std::function<bool()>& stop) {
    (void)run, (void)from, (void)line, (void)stop;
    return std::nullopt;
  }
  // Returns when more of the run's log may be there or its record may have changed, or
  // after `at_most`: where the platform can watch, a watch; else a pause. True when the
  // record may have changed (the run is worth asking for again), false when only its
  // output may have grown.
  virtual bool await_output(const Run& run, std::chrono::milliseconds at_most) {
    (void)run;
    std::this_thread::sleep_for(std::min(at_most, poll_interval()));
    return false;
  }
  // Returns when something may have changed about the deployment's runs (a run begun or
  // ended), or after `at_most`: where the platform can watch, a watch; else a pause. An
  // empty key: any deployment on this platform. False: nothing changed until `at_most`.
  virtual bool await_change(const DeploymentKey& key, std::chrono::milliseconds at_most) {
    (void)key;
    std::this_thread::sleep_for(std::min(at_most, poll_interval()));
    return true;
  }

  // The event log, oldest first, the newest `limit`.
  virtual Result<std::vector<Event>> events(const std::string& task, const std::string& env, std::size_t limit) = 0;
  virtual Result<void> add_event(const Event& event) = 0;

  // The figures of `task stats` and `task status` (stats.hpp has the definitions).
  virtual Result<StatsReport> stats(const StatsQuery& query) = 0;
  virtual Result<RecentHealth> health(const DeploymentKey& key, Timestamp since, Timestamp until,
                                      std::size_t outcomes) = 0;

  // Whatever runs deployments on time, and making it pick up a change (on the local
  // platform: the agent, started when it is not running, else woken).
  virtual RunnerStatus runner() = 0;
  virtual RunnerStatus notify_changed() = 0;
  // Checks that the platform can be reached as its environment is bound (and, with
  // `create_namespace`, makes the cluster's namespace); says what it found in one line.
  virtual Result<std::string> prepare(bool create_namespace) {
    (void)create_namespace;
    return std::string();
  }
  // The platform's own checks for `task doctor`.
  virtual std::vector<Check> checks() = 0;
};

}  // namespace task
