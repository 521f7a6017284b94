#pragma once
// The local platform's state: one SQLite database under $TASK_HOME in WAL mode, with a
// versioned schema migrated forward on open. Every change is one transaction, and several
// task processes may use one store at once (they wait on each other's locks, up to a
// busy timeout, rather than fail).
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "task/error.hpp"
#include "task/project.hpp"

namespace task {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

enum class BuildStatus { running, succeeded, failed, cancelled };
std::string_view to_string(BuildStatus);

struct BuildRecord {
  std::int64_t id = 0;
  std::string task;          // the task's name
  std::string project_dir;   // absolute path of the project built
  std::string commit;        // full commit id of the source
  bool dirty = false;        // the work tree had uncommitted changes
  std::string source_url;    // remote URL for a connected repository; "" for a local tree
  std::string image_ref;     // task/<name>:<commit12>[-dirty.N]
  std::string image_id;      // sha256:… once built
  std::string pushed_ref;    // registry reference once pushed, with its digest
  BuildStatus status = BuildStatus::running;
  std::string error;         // why it failed, for failed and cancelled builds
  Timestamp started_at{};
  std::optional<Timestamp> finished_at;
  std::filesystem::path log_path;  // the full build log
};

struct NewBuild {
  std::string task;
  std::string project_dir;
  std::string commit;
  bool dirty = false;
  std::string source_url;
  Timestamp started_at{};
};

// An environment: a named place where tasks run, in promotion order (DESIGN §1).
struct EnvironmentRecord {
  std::string name;
  int position = 0;                  // promotion order, 0 first
  std::string platform = "local";
  bool allow_direct_deploy = true;   // false: takes promotions only (production)
  std::string network = "host";      // the containers' network mode: host or none
};

enum class DeploymentState { active, suspended, removed };
std::string_view to_string(DeploymentState);

// A configuration value given to runs as an environment variable. Secrets are never
// printed unless asked for, and are masked in run logs.
struct ConfigValue {
  std::string value;
  bool secret = false;
  bool operator==(const ConfigValue&) const = default;
};

// One numbered revision of a deployment: everything a run needs, fixed when it was made.
struct RevisionRecord {
  std::int64_t deployment_id = 0;
  std::int64_t number = 0;
  std::string image_id;    // sha256:… (what runs)
  std::string image_ref;   // the tag it had when deployed, for people
  std::int64_t build_id = 0;  // 0: deployed from --image
  std::string schedule;    // as given, e.g. "*/5 * * * *" or "@every 2s"
  std::string timezone = "UTC";
  RunPolicy policy;        // from task.yaml's run section
  std::string change;      // what changed: "image, schedule" …
  std::string command;     // by which command: "deploy", "promote", "rollback", "config", "schedule"
  std::map<std::string, ConfigValue> config;  // the environment's configuration and secrets
  std::string note;        // for the event log only: "from development", "to revision 2"
  Timestamp created_at{};
};

struct DeploymentRecord {
  std::int64_t id = 0;
  std::string task, env;
  std::string project_dir;
  DeploymentState state = DeploymentState::active;
  Timestamp created_at{}, updated_at{};
  // The newest fire time the agent has handled (run, skipped or missed); nullopt: none
  // yet, so the schedule starts after the deployment was made.
  std::optional<Timestamp> scheduled_through;
  RevisionRecord revision;  // the current revision
};

enum class RunOutcome { pending, starting, running, succeeded, failed, timed_out, skipped, lost, cancelled };
enum class RunTrigger { schedule, manual, retry, catch_up };
std::string_view to_string(RunOutcome);
std::string_view to_string(RunTrigger);
bool is_finished(RunOutcome);

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

// A UTC hour of a deployment's runs, with the summary of its figures when one is current
// (its bytes belong to the stats module).
struct HourRecord {
  Timestamp hour{};
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

  // A running build with its id and log path; the caller writes the log file.
  Result<BuildRecord> begin_build(const NewBuild& build);
  // How many builds of `task` for `commit` (dirty ones) exist: numbers dirty image tags.
  Result<std::int64_t> count_dirty_builds(const std::string& task, const std::string& commit);
  Result<void> set_build_image_ref(std::int64_t id, const std::string& image_ref);
  Result<void> finish_build(std::int64_t id, BuildStatus status, const std::string& image_id,
                            const std::string& error, Timestamp finished_at);
  Result<void> set_build_pushed(std::int64_t id, const std::string& pushed_ref);
  // Newest first; `task` "" means every task.
  Result<std::vector<BuildRecord>> list_builds(const std::string& task, std::size_t limit);
  Result<BuildRecord> get_build(std::int64_t id);
  // The newest build of `task`, optionally only successful ones.
  Result<BuildRecord> latest_build(const std::string& task, bool succeeded_only);
  // The newest successful build of `task` made from `commit` with a clean tree.
  Result<std::optional<BuildRecord>> build_for_commit(const std::string& task, const std::string& commit);

  // Environments, in promotion order.
  Result<std::vector<EnvironmentRecord>> list_environments();
  Result<EnvironmentRecord> get_environment(const std::string& name);

  // Creates the deployment of (task, env) or adds a revision to it, makes it active and
  // records a `deployed` event: one transaction. `revision.number` is assigned.
  Result<DeploymentRecord> deploy(const std::string& task, const std::string& env,
                                  const std::string& project_dir, RevisionRecord revision,
                                  Timestamp now);
  Result<DeploymentRecord> get_deployment(const std::string& task, const std::string& env);
  Result<DeploymentRecord> get_deployment(std::int64_t id);
  // Active and suspended ones (and removed ones when asked), ordered by task, environment.
  Result<std::vector<DeploymentRecord>> list_deployments(bool include_removed = false);
  // Suspends, resumes or removes; records the event. Errc::conflict when already so.
  Result<DeploymentRecord> set_deployment_state(const std::string& task, const std::string& env,
                                                DeploymentState state, Timestamp now);
  Result<std::vector<RevisionRecord>> list_revisions(std::int64_t deployment_id);

  // The configuration of `task` in `env`, key by key.
  Result<std::map<std::string, ConfigValue>> get_config(const std::string& task, const std::string& env);
  // Sets and unsets keys (all of them first, with `replace`) in one transaction; returns the
  // whole configuration. Errc::not_found for a key to unset that is not there.
  Result<std::map<std::string, ConfigValue>> update_config(const std::string& task, const std::string& env,
                                                           const std::map<std::string, ConfigValue>& set,
                                                           const std::vector<std::string>& unset, bool replace = false);

  // Environments beyond the default two: inserted after `after` in promotion order.
  Result<EnvironmentRecord> add_environment(const EnvironmentRecord& env, const std::string& after);
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
  // notice only when the deployment's last notice was a failure).
  Result<void> finish_run(std::int64_t run_id, RunOutcome outcome, std::optional<int> exit_code,
                          const std::string& error, Timestamp finished_at, const NewNotice* notice = nullptr);
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
  // The hours in [from, to) that have (or had) runs, oldest first.
  Result<std::vector<HourRecord>> run_hours(std::int64_t deployment_id, Timestamp from, Timestamp to);
  // The hours before `before` whose summary is missing or out of date, newest first.
  Result<std::vector<Timestamp>> stale_hours(std::int64_t deployment_id, Timestamp before);
  // Keeps `summary` for the hour unless its runs changed since `generation`.
  Result<void> save_hour_summary(std::int64_t deployment_id, Timestamp hour, std::int64_t generation,
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
