#pragma once
// The local platform's records in the state database (state/database.hpp): environments,
// deployments and their revisions, runs, notices and the event log. Every change is one
// transaction. Private to the local platform: what the rest of task sees of them is the
// platform-neutral vocabulary of task/deployment.hpp, through task/platform.hpp.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "task/error.hpp"
#include "task/deployment.hpp"
#include "task/platform.hpp"
#include "task/project.hpp"

namespace task {

// A deployment as the local platform keeps it.
struct DeploymentRecord : Deployment {
  std::int64_t id = 0;
  std::string project_dir;
  // The newest fire time the agent has handled (run, skipped or missed); nullopt: none
  // yet, so the schedule starts after the deployment was made.
  std::optional<Timestamp> scheduled_through;
};

struct RunRecord {
  std::int64_t id = 0;
  std::int64_t deployment_id = 0;
  std::string task, env;
  std::int64_t revision = 0;
  Timestamp scheduled_at{};
  std::optional<Timestamp> started_at, finished_at;
  RunOutcome outcome = RunOutcome::pending;
  std::optional<int> exit_code;
  RunTrigger trigger = RunTrigger::schedule;
  int attempt = 1;
  std::string container_id;
  std::string error;  // why it failed, was skipped or lost
  bool forced = false;  // a manual run that ignores the concurrency policy
  bool log_pruned = false;  // its log was removed by the history limits; the record stays
  std::filesystem::path log_path;
};
// The platform-neutral view of a run (its id as text).
Run to_run(const RunRecord& record);

struct NewRun {
  std::int64_t deployment_id = 0;
  std::int64_t revision = 0;
  Timestamp scheduled_at{};
  RunTrigger trigger = RunTrigger::schedule;
  int attempt = 1;
  RunOutcome outcome = RunOutcome::starting;  // pending (to be started when due) or skipped
  std::string error;
  bool forced = false;
};

struct EventRecord {
  std::int64_t id = 0;
  std::string task, env;
  Timestamp at{};
  std::string kind;     // deployed, suspended, resumed, undeployed, missed, agent …
  std::string message;  // "revision 3 deployed to development"
};

// One run as `task stats` reads it: times in milliseconds since the epoch, `none` where
// there is no value.
struct RunSample {
  static constexpr std::int64_t none = INT64_MIN;
  std::int64_t id = 0;
  std::int64_t scheduled_ms = 0;
  std::int64_t started_ms = none;
  std::int64_t finished_ms = none;
  std::int64_t exit_code = none;
  RunOutcome outcome = RunOutcome::pending;
  RunTrigger trigger = RunTrigger::schedule;
};

// The periods the store keeps summaries of a deployment's runs for: UTC hours and UTC days.
enum class SummaryLevel { hour, day };

// A period of a deployment's runs, with the summary of its figures when one is current
// (its bytes belong to the stats module).
struct SummaryRecord {
  Timestamp start{};
  std::int64_t generation = 0;
  std::optional<std::string> summary;
};

// A failure notice (run.on_failure.webhook) to deliver: queued with the run's outcome,
// delivered by the agent with retries.
struct NewNotice {
  std::string kind;     // "failure", or "recovery" (queued only after a failure notice)
  std::string url;
  std::string payload;  // JSON
};
enum class NoticeState { pending, delivered, failed };
struct NoticeRecord {
  std::int64_t id = 0;
  std::int64_t deployment_id = 0, run_id = 0;
  std::string task, env;
  std::string kind, url, payload;
  NoticeState state = NoticeState::pending;
  int attempts = 0;
  Timestamp next_at{};
  std::string last_error;
};

struct RunCounts {
  std::int64_t total = 0, succeeded = 0, failed = 0, timed_out = 0, skipped = 0, lost = 0;
};

class Store {
 public:
  // Opens (creating when needed, with mode 0700) the state directory and its database,
  // and migrates the schema. A database newer than this task is refused, not damaged.
  static Result<Store> open(const std::filesystem::path& state_dir);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  int schema_version() const;
  const std::filesystem::path& state_dir() const;

  // Environments, in promotion order.
  Result<std::vector<EnvironmentRecord>> list_environments();
  Result<EnvironmentRecord> get_environment(const std::string& name);

  // Creates the deployment of (task, env) or adds a revision to it, makes it active and
  // records a `deployed` event: one transaction. `revision.number` is assigned.
  Result<DeploymentRecord> deploy(const std::string& task, const std::string& env,
                                  const std::string& project_dir, Revision revision,
                                  Timestamp now);
  // Reads (task, env)'s deployment and configuration, plans a change from them and writes
  // it: configuration, revision and event in one transaction.
  Result<std::optional<DeploymentRecord>> apply(const std::string& task, const std::string& env,
                                                const Planner& plan, Timestamp now);
  // The active or suspended one; with `include_removed`, else the newest undeployed one.
  Result<DeploymentRecord> get_deployment(const std::string& task, const std::string& env, bool include_removed = false);
  Result<DeploymentRecord> get_deployment(std::int64_t id);
  // Active and suspended ones (and removed ones when asked), ordered by task, environment.
  Result<std::vector<DeploymentRecord>> list_deployments(bool include_removed = false);
  // Suspends, resumes or removes; records the event. Errc::conflict when already so.
  Result<DeploymentRecord> set_deployment_state(const std::string& task, const std::string& env,
                                                DeploymentState state, Timestamp now);
  Result<std::vector<Revision>> list_revisions(std::int64_t deployment_id);

  // The configuration of `task` in `env`, key by key.
  Result<std::map<std::string, ConfigValue>> get_config(const std::string& task, const std::string& env);
  // Sets and unsets keys (all of them first, with `replace`) in one transaction; returns the
  // whole configuration. Errc::not_found for a key to unset that is not there.
  Result<std::map<std::string, ConfigValue>> update_config(const std::string& task, const std::string& env,
                                                           const std::map<std::string, ConfigValue>& set,
                                                           const std::vector<std::string>& unset, bool replace = false);

  // Environments beyond the default two: inserted after `after` in promotion order.
  Result<EnvironmentRecord> add_environment(const EnvironmentRecord& env, const std::string& after);
  // Changes its platform and settings (not its name or place); a change of platform is
  // refused while it has deployments.
  Result<EnvironmentRecord> update_environment(const EnvironmentRecord& env);
  // Refused (Errc::conflict) while deployments exist there.
  Result<void> remove_environment(const std::string& name);

  // A run of a deployment; when `through` is given, the deployment's scheduled_through
  // moves to it in the same transaction, so a fire time is handled exactly once.
  // Errc::conflict when that fire time already has a run.
  Result<RunRecord> add_run(const NewRun& run, Timestamp now, std::optional<Timestamp> through = {});
  Result<void> set_scheduled_through(std::int64_t deployment_id, Timestamp through);
  // Many runs at once, each already started (and finished) at its `started_at`, and each
  // one's fire time handled: one transaction. Fire times that have a run are left alone.
  struct RecordedRun {
    NewRun run;
    Timestamp started_at{};
  };
  Result<std::size_t> add_recorded_runs(const std::vector<RecordedRun>& runs);
  Result<void> set_run_container(std::int64_t run_id, const std::string& container_id);
  Result<void> set_run_started(std::int64_t run_id, Timestamp started_at);
  // Records a run's outcome; with `notice`, queues it in the same transaction (a recovery
  // notice only when the deployment's last notice was a failure), and with `retry`, the
  // next attempt too.
  Result<void> finish_run(std::int64_t run_id, RunOutcome outcome, std::optional<int> exit_code,
                          const std::string& error, Timestamp finished_at, const NewNotice* notice = nullptr,
                          const NewRun* retry = nullptr);
  Result<RunRecord> get_run(std::int64_t id);
  // Newest first; "" matches every task or environment.
  Result<std::vector<RunRecord>> list_runs(const std::string& task, const std::string& env,
                                           std::size_t limit);
  // Runs in `pending`, `starting` or `running`, oldest first; deployment 0 means all.
  Result<std::vector<RunRecord>> unfinished_runs(std::int64_t deployment_id = 0);
  Result<RunCounts> count_runs(std::int64_t deployment_id, Timestamp since);
  // The newest finished runs' outcomes of a deployment, newest first.
  Result<std::vector<RunRecord>> recent_runs(std::int64_t deployment_id, std::size_t limit);
  // Removes the logs of the oldest finished runs beyond the policy's history limits (the
  // records stay, marked log_pruned, for `task stats`), and with `forget_before` deletes
  // the finished runs scheduled before it. Returns how many logs went.
  Result<std::size_t> prune_runs(std::int64_t deployment_id, int keep_succeeded, int keep_failed,
                                 std::optional<Timestamp> forget_before = {});

  // The runs of a deployment scheduled in [since, until), in order of their fire times,
  // appended to `out`: what `task stats` computes its figures from.
  Result<void> run_samples(std::int64_t deployment_id, Timestamp since, Timestamp until, std::vector<RunSample>& out);
  // The periods of `level` starting in [from, to) that have (or had) runs, oldest first.
  Result<std::vector<SummaryRecord>> summaries(SummaryLevel level, std::int64_t deployment_id, Timestamp from,
                                               Timestamp to);
  // The same, each row handed to `each` as it is read; the summary (absent when stale)
  // points into the store's memory and is valid during the call only.
  Result<void> each_summary(SummaryLevel level, std::int64_t deployment_id, Timestamp from, Timestamp to,
                            const std::function<Result<void>(std::int64_t start_ms, std::int64_t generation,
                                                             std::optional<std::string_view> summary)>& each);
  // The periods starting before `before` whose summary is missing or out of date, newest first.
  Result<std::vector<Timestamp>> stale_summaries(SummaryLevel level, std::int64_t deployment_id, Timestamp before);
  // Keeps `summary` for the period unless its runs changed since `generation`.
  Result<void> save_summary(SummaryLevel level, std::int64_t deployment_id, Timestamp start, std::int64_t generation,
                            std::string_view summary);
  // Runs `body` in one read transaction: everything it reads is of one moment.
  Result<void> read_consistently(const std::function<Result<void>()>& body);

  // Pending notices due at `now`, oldest first; and when the next one is due.
  Result<std::vector<NoticeRecord>> due_notices(Timestamp now, std::size_t limit);
  Result<std::optional<Timestamp>> next_notice_at();
  // A delivery attempt's result, with an event for the log when `event` is not empty.
  Result<void> update_notice(const NoticeRecord& notice, const std::string& event, Timestamp now);
  // Every notice of a deployment, oldest first.
  Result<std::vector<NoticeRecord>> list_notices(std::int64_t deployment_id);

  Result<void> add_event(const std::string& task, const std::string& env, const std::string& kind,
                         const std::string& message, Timestamp at);
  // Oldest first, the newest `limit`; "" matches every task or environment.
  Result<std::vector<EventRecord>> list_events(const std::string& task, const std::string& env,
                                               std::size_t limit);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace task
