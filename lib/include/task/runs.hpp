#pragma once
// The run use cases (DESIGN §2): status, the run history, a run now, and run logs read or
// followed, over whatever platform each environment is bound to.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "task/deployment.hpp"
#include "task/error.hpp"
#include "task/platform.hpp"
#include "task/workspace.hpp"

namespace task {

struct DeploymentStatus {
  Deployment deployment;
  std::optional<std::string> next_run;  // RFC 3339; none while suspended
  std::optional<Run> last_run;
  std::optional<RecentHealth> health;   // the last 24 hours, and the newest outcomes
};
struct StatusReport {
  std::vector<DeploymentStatus> deployments;
  RunnerStatus runner;  // of the first environment's platform
};
// How many of the newest runs' outcomes `task status` shows.
inline constexpr std::size_t status_outcomes = 20;
Result<StatusReport> status(Workspace& workspace);
// Returns when a deployment or a run may have changed on a platform of the workspace
// (true), or after `at_most` (false), waiting on the platform's own word where it has one.
// With several platforms, only the first is watched and the answer is always true.
bool await_status_change(Workspace& workspace, std::chrono::milliseconds at_most);
Result<DeploymentStatus> deployment_status(Workspace& workspace, Platform& platform, const Deployment& deployment);

struct RunsQuery {
  std::string task, env;  // "" matches every one
  std::size_t limit = 20;
  // Only runs of this outcome, this trigger, due at or after this instant.
  std::optional<RunOutcome> outcome;
  std::optional<RunTrigger> trigger;
  std::optional<Timestamp> since;
};
// Newest fire time first, from every platform.
Result<std::vector<Run>> list_runs(Workspace& workspace, const RunsQuery& query);

struct RunRequest {
  Run run;
  Platform* platform = nullptr;
  RunnerStatus runner;
};
Result<RunRequest> request_run(Workspace& workspace, const DeploymentKey& key, bool forced);

// Waits until the run has begun (started or decided), or until it has finished with
// `until_finished`; stops early when `stop` says so. Returns the run as last seen.
Result<Run> wait_for_run(Platform& platform, const Run& run, bool until_finished, const std::function<bool()>& stop);

struct LogQuery {
  std::string task, env;            // the deployment whose latest run to show
  std::string run;                  // or this run
  std::optional<Timestamp> since;   // only lines from then on
  std::optional<std::size_t> tail;  // only the last N lines
  bool wait_for_first = false;      // no run yet: not an error (the caller follows)
  // Without `tail`: each line is handed over as it is read instead of kept in
  // RunLog::lines, so a log of any size is shown in little memory.
  std::function<void(const Run&, const RunLogLine&)> each = {};
  // Only the lines this keeps (`task logs --grep`), before `tail` counts them.
  std::function<bool(const RunLogLine&)> keep = {};
};
struct RunLog {
  std::optional<Run> run;           // none: no run yet (with wait_for_first)
  Platform* platform = nullptr;
  DeploymentKey key;
  std::vector<RunLogLine> lines;
  std::uint64_t next = 0;           // where following goes on
};
Result<RunLog> read_run_log(Workspace& workspace, const LogQuery& query);

struct LogObserver {
  std::function<void(const Run&)> started;                  // a run to follow begins
  std::function<void(const Run&, const RunLogLine&)> line;
  std::function<void(const Run&)> finished;                 // with its outcome
  std::function<bool()> stop;                               // Ctrl-C
};
// Follows `log.run` from `log.next` until it finishes; with `next_runs`, then every newer
// run of the deployment as it begins, until `stop`. With no run yet, waits for the first.
Result<void> follow_run_log(RunLog log, bool next_runs, const LogObserver& observer);

// The figures of `task stats` from every platform (stats.hpp has the definitions).
Result<StatsReport> compute_stats(Workspace& workspace, const StatsQuery& query);

}  // namespace task
