#pragma once
// The deployment use cases (DESIGN §2): deploy, promote, rollback, schedule set, config
// set/unset, suspend/resume/undeploy, over whatever platform each environment is bound to.
// Each is one library call with an options struct in and a result struct out; each change
// is applied by the platform in one transaction, planned from the state inside it.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "task/builds.hpp"
#include "task/connect.hpp"
#include "task/deployment.hpp"
#include "task/error.hpp"
#include "task/platform.hpp"
#include "task/project.hpp"
#include "task/workspace.hpp"

namespace task {

// What a change did to one deployment, or would do (dry run), or that it was nothing.
// Where a deploy's schedule came from.
enum class ScheduleSource { flag, file, kept };

struct RevisionResult {
  std::string task;
  EnvironmentRecord env;
  bool dry_run = false;
  bool changed = true;                // false: the deployment already is so; nothing was written
  std::optional<Deployment> before;   // none: a new deployment
  std::optional<Deployment> after;    // as the platform wrote it; none for a dry run or no change
  Revision revision;                  // the revision made (or planned, numbered as it would be)
  std::string schedule_words;         // the schedule in words
  std::vector<std::string> next_runs; // the next three fire times, RFC 3339
  RunnerStatus runner;                // what runs it, after the change
  ScheduleSource schedule_source = ScheduleSource::flag;  // --interval, task.yaml, or the deployment's own
  std::string overridden;             // task.yaml's schedule that --interval replaced
};

struct DeployOptions {
  ProjectConfig project;              // task.yaml
  std::filesystem::path project_dir;
  std::string env;                    // "" : the first environment
  std::string interval, timezone;     // "" : task.yaml's `schedule:` for the environment, else the current one
  std::int64_t build = 0;             // deploy this build
  std::string image;                  // or this image of the platform's engine
  bool dry_run = false;
  bool resume = false;                // a suspended deployment is resumed (else it stays suspended)
  // Builds the project's current source when it has no build yet (with progress shown by
  // the caller). Empty: a deploy that needs a build fails instead.
  std::function<Result<BuildRecord>()> build_now;
  // A connected project's repository, asked for its branch head: a deploy of a source that
  // moved builds the new head instead of keeping the newest build.
  GitAccess git;
  // What deploy has to say as it goes (the source moved, the remote could not be reached).
  std::function<void(const std::string&)> note = [](const std::string&) {};
};
Result<RevisionResult> deploy(Workspace& workspace, const DeployOptions& options);

struct PromoteOptions {
  std::string task;
  std::string from, to;               // "" : the first environment / the next one after `from`
  std::string interval, timezone;     // "" : the target's own schedule (the source's for a first deploy there)
  bool force = false;                 // even when the image's last run there did not succeed
  bool dry_run = false;
  bool resume = false;                // a suspended target is resumed (else it stays suspended)
  ScheduleSpec schedule;              // task.yaml's: the target's schedule for a first promotion there
};
struct PromoteResult : RevisionResult {
  EnvironmentRecord from;
  std::int64_t source_revision = 0;
  bool kept_schedule = false;  // the target's own schedule stayed (no --interval)
};
Result<PromoteResult> promote(Workspace& workspace, const PromoteOptions& options);

struct RollbackOptions {
  std::string task, env;
  std::int64_t to = 0;                // 0 : the revision before the current one
  bool dry_run = false;
  bool resume = false;                // a suspended deployment is resumed (else it stays suspended)
};
struct RollbackResult : RevisionResult {
  std::int64_t restored = 0;  // the revision whose image, schedule and configuration came back
};
// Back to an earlier revision (image, schedule, configuration) as a new one.
Result<RollbackResult> rollback(Workspace& workspace, const RollbackOptions& options);

struct ScheduleOptions {
  std::string task, env;
  std::string schedule, timezone;
};
Result<RevisionResult> set_schedule(Workspace& workspace, const ScheduleOptions& options);

struct ConfigOptions {
  std::string task, env;
  Config set;                         // keys to set
  std::vector<std::string> unset;     // keys to remove (each must be there)
};
struct ConfigResult {
  std::string task;
  EnvironmentRecord env;
  Config config;                              // the configuration after the change
  std::optional<RevisionResult> deployment;   // the revision made there, when deployed
};
Result<ConfigResult> change_config(Workspace& workspace, const ConfigOptions& options);
// KEY=VALUE … with KEY a valid environment variable name and VALUE one line.
Result<Config> parse_config_pairs(const std::vector<std::string>& pairs, bool secret);

struct StateResult {
  Deployment deployment;
  RunnerStatus runner;
  bool changed = true;  // false: it was in that state already
};
Result<StateResult> set_deployment_state(Workspace& workspace, const DeploymentKey& key, DeploymentState state);

// A deployment and the platform it is on, found from a task name and an environment name
// ("" : the first environment).
struct Located {
  EnvironmentRecord env;
  Platform* platform = nullptr;
  DeploymentKey key;
};
Result<Located> locate(Workspace& workspace, const std::string& task, const std::string& env);

// What `next` changes against the current revision: "image, schedule", "" for nothing.
std::string revision_changes(const std::optional<Deployment>& current, const Revision& next);

}  // namespace task
