#pragma once
// What a deployment is on a cluster (DESIGN §7): the objects task applies, and the
// schedule in the form the CronJob controller fires at exactly the same instants.
//
//   CronJob <task>            the schedule and run policy; its Pods run the revision's image
//   ConfigMap <task>-r<N>     revision N's configuration, Secret <task>-r<N> its secrets:
//                             a new revision gets new ones, so switching the CronJob to
//                             them is the one step that changes what runs
//   Secret <task>-history     the revision ledger and event log (revisions carry secrets)
//
// Every object is labelled task.name, task.env and app.kubernetes.io/managed-by=task.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "task/deployment.hpp"
#include "task/error.hpp"

namespace task::kube {

using Json = nlohmann::json;

// What the API server serves, found by discovery.
struct ServerFeatures {
  std::string version;                  // v1.20.2
  std::string cronjobs = "batch/v1";    // or batch/v1beta1
  bool time_zone = false;               // spec.timeZone (1.25 on)
};

// The 5-field schedule and time zone a CronJob fires at exactly the instants the revision's
// schedule names, or Errc::invalid_input saying why none does and what would work.
struct CronSchedule {
  std::string expression;  // "*/5 * * * *"
  std::string time_zone;   // "" : none is set (UTC schedules on servers without timeZone)
};
Result<CronSchedule> cron_schedule(const std::string& schedule, const std::string& timezone, const ServerFeatures& server);

struct Target {
  std::string task, env, ns;
};

std::string history_name(const std::string& task);
std::string config_name(const std::string& task, std::int64_t revision);

// The CronJob of `revision`, suspended or not.
Json cronjob_manifest(const Target& at, const Revision& revision, const CronSchedule& schedule, bool suspended,
                      const ServerFeatures& server);
Json config_map_manifest(const Target& at, const Revision& revision);
Json secret_manifest(const Target& at, const Revision& revision);
// A Job made from the CronJob's job template, as `kubectl create job --from=cronjob/…`:
// marked manual, `forced` when it ignores the concurrency policy.
Json manual_job_manifest(const Json& cronjob, const std::string& name, Timestamp at, bool forced);

// The API paths of a namespace's objects.
std::string cronjobs_path(const ServerFeatures& server, const std::string& ns);
std::string jobs_path(const std::string& ns);
std::string pods_path(const std::string& ns);
std::string config_maps_path(const std::string& ns);
std::string secrets_path(const std::string& ns);

}  // namespace task::kube
