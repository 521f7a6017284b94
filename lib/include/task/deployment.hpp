#pragma once
// The vocabulary every platform speaks (DESIGN §1): environments, deployments and their
// numbered revisions, runs and their outcomes, events. Nothing here is of one platform:
// a run id is opaque, an image is a reference and a digest, and there are no container
// ids, file paths or scheduler cursors.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "task/project.hpp"
#include "task/time.hpp"

namespace task {

// Where an environment on the kubernetes platform is: what of the user's kubeconfig it
// uses (never the credentials themselves), its namespace, and the registry its cluster
// pulls images from.
struct ClusterBinding {
  std::string kubeconfig;  // a file; "" : $KUBECONFIG, else ~/.kube/config
  std::string context;     // "" : the kubeconfig's current-context
  std::string namespace_;  // "" : the context's namespace, else `default`
  std::string registry;    // HOST[:PORT]/PREFIX
  bool operator==(const ClusterBinding&) const = default;
};

// A named place where tasks run, in promotion order, bound to a platform.
struct EnvironmentRecord {
  std::string name;
  int position = 0;                  // promotion order, 0 first
  std::string platform = "local";    // local or kubernetes
  bool allow_direct_deploy = true;   // false: takes promotions only (production)
  std::string network = "host";      // the local platform's container network: host or none
  ClusterBinding cluster;            // the kubernetes platform's
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
using Config = std::map<std::string, ConfigValue>;

// What a revision runs: a reference for people and the digest that is run.
struct Image {
  std::string ref;          // the tag it had when deployed: task/probe:1a2b3c4d5e6f
  std::string digest;       // sha256:… (on the local platform, the engine's image id)
  std::int64_t build = 0;   // the build that made it; 0: deployed from --image
  bool operator==(const Image&) const = default;
};

// One numbered revision of a deployment: everything a run needs, fixed when it was made.
struct Revision {
  std::int64_t number = 0;
  Image image;
  std::string schedule;       // as given, e.g. "*/5 * * * *" or "@every 2s"
  std::string timezone = "UTC";
  RunPolicy policy;           // from task.yaml's run section
  Config config;              // the environment's configuration and secrets
  std::string change;         // what changed: "image, schedule" …
  std::string command;        // by which command: deploy, promote, rollback, config, schedule
  std::string note;           // for the event log only: "from development revision 2"
  Timestamp created_at{};
};

struct Deployment {
  std::string task, env;
  DeploymentState state = DeploymentState::active;
  Timestamp created_at{}, updated_at{};
  Revision revision;  // the current revision
};

// error: the platform could not start or run it (an image that cannot be pulled, an
// engine or cluster fault), which is not the task's failure.
enum class RunOutcome { pending, starting, running, succeeded, failed, timed_out, skipped, lost, cancelled, error };
enum class RunTrigger { schedule, manual, retry, catch_up };
std::string_view to_string(RunOutcome);
std::string_view to_string(RunTrigger);
bool is_finished(RunOutcome);

struct Run {
  std::string id;  // opaque: a number on the local platform
  std::string task, env;
  std::int64_t revision = 0;
  Timestamp scheduled_at{};
  std::optional<Timestamp> started_at, finished_at;
  RunOutcome outcome = RunOutcome::pending;
  std::optional<int> exit_code;
  RunTrigger trigger = RunTrigger::schedule;
  int attempt = 1;
  std::string error;        // why it failed, was skipped or lost
  bool forced = false;      // a manual run that ignores the concurrency policy
  bool log_pruned = false;  // its log was removed by the history limits; the record stays
  // Started, or decided without starting (skipped): a run made ahead of its fire time has
  // not begun until then.
  bool has_begun() const { return started_at.has_value() || is_finished(outcome); }
};

struct Event {
  std::string id;  // opaque, in the order events happened: a number on the local platform
  std::string task, env;
  Timestamp at{};
  std::string kind;     // deployed, suspended, resumed, undeployed, missed, agent …
  std::string message;  // "revision 3 deployed to development"
};

// One line of a run's log: the instant the platform received it, its stream (out, err,
// or task: what the platform itself said about the run) and its text.
struct RunLogLine {
  std::string timestamp;  // RFC 3339 with nanoseconds
  std::string stream;
  std::string text;
};

}  // namespace task
