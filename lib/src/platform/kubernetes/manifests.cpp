#include "platform/kubernetes/manifests.hpp"

#include <fmt/format.h>

#include <bit>

#include "docker/encoding.hpp"
#include "task/schedule.hpp"
#include "task/text.hpp"

namespace task::kube {

namespace {

// A field from its bit mask: `*` when it allows everything (and, for the day fields, was
// not restricted: `1-31` and `*` differ when both day fields are given), else ranges.
std::string field(std::uint64_t mask, int lo, int hi, bool star) {
  std::uint64_t all = 0;
  for (int v = lo; v <= hi; ++v) all |= std::uint64_t{1} << v;
  if (star && (mask & all) == all) return "*";
  // A step from the first value to the end of the field: */15, 5-59/10.
  const int first = std::countr_zero(mask);
  for (int step = 2; std::popcount(mask) >= 3 && step <= hi - lo; ++step) {
    std::uint64_t stepped = 0;
    for (int v = first; v <= hi; v += step) stepped |= std::uint64_t{1} << v;
    if (stepped != mask || first + step > hi) continue;
    return first == lo && star ? fmt::format("*/{}", step) : fmt::format("{}-{}/{}", first, hi, step);
  }
  std::vector<std::string> parts;
  for (int v = lo; v <= hi;) {
    if (!(mask & (std::uint64_t{1} << v))) {
      ++v;
      continue;
    }
    int end = v;
    while (end + 1 <= hi && (mask & (std::uint64_t{1} << (end + 1)))) ++end;
    parts.push_back(end == v ? std::to_string(v) : end == v + 1 ? fmt::format("{},{}", v, end) : fmt::format("{}-{}", v, end));
    v = end + 1;
  }
  return join(parts, ",");
}

Error refuse(const std::string& schedule, const std::string& why, const std::string& works) {
  return Error{Errc::invalid_input, fmt::format("schedule `{}` cannot run exactly on Kubernetes: {}", schedule, why), works};
}

Json labels(const Target& at) {
  return {{"app.kubernetes.io/managed-by", "task"}, {"task.name", at.task}, {"task.env", at.env}};
}

Json metadata(const Target& at, const std::string& name) {
  return {{"name", name}, {"namespace", at.ns}, {"labels", labels(at)}};
}

// The container's environment: task.yaml's values, then the configuration's (which win),
// the non-secret ones from the revision's ConfigMap, the secret ones from its Secret.
Json container_env(const Target& at, const Revision& r) {
  Json env = Json::array();
  const auto name = config_name(at.task, r.number);
  for (const auto& [k, v] : r.policy.env) {
    if (!r.config.contains(k)) env.push_back({{"name", k}, {"value", v}});
  }
  for (const auto& [k, v] : r.config) {
    const char* ref = v.secret ? "secretKeyRef" : "configMapKeyRef";
    env.push_back({{"name", k}, {"valueFrom", {{ref, {{"name", name}, {"key", k}}}}}});
  }
  return env;
}

}  // namespace

Result<CronSchedule> cron_schedule(const std::string& text, const std::string& timezone, const ServerFeatures& server) {
  auto s = parse_schedule(text, timezone);
  if (!s) return std::unexpected(s.error());
  if (s->is_interval()) {
    // Intervals fire at whole multiples of the period since the Unix epoch, in UTC: a cron
    // expression fires at the same instants only when the period divides a minute's,
    // hour's or day's multiples evenly.
    const auto p = s->period().count();
    if (p % 60 != 0) {
      return std::unexpected(refuse(text, "a CronJob fires at most once a minute, on the minute",
                                    "an interval of whole minutes, e.g. `@every 1m`, or a local environment"));
    }
    const auto minutes = p / 60;
    if (minutes < 60 && 60 % minutes == 0) return CronSchedule{minutes == 1 ? "* * * * *" : fmt::format("*/{} * * * *", minutes), server.time_zone ? "Etc/UTC" : ""};
    if (minutes % 60 == 0) {
      const auto hours = minutes / 60;
      if (hours < 24 && 24 % hours == 0) {
        return CronSchedule{hours == 1 ? "0 * * * *" : fmt::format("0 */{} * * *", hours), server.time_zone ? "Etc/UTC" : ""};
      }
      if (hours == 24) return CronSchedule{"0 0 * * *", server.time_zone ? "Etc/UTC" : ""};
    }
    return std::unexpected(refuse(text, fmt::format("no 5-field cron expression fires every {}", s->expression()),
                                  "a period that divides an hour or a day (1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h, 24h), "
                                  "or a cron expression"));
  }
  const auto& f = s->fields();
  if (f.seconds != 1) {
    return std::unexpected(refuse(text, "a CronJob fires at most once a minute, on the minute; this names seconds",
                                  "a 5-field expression (minute hour day month weekday)"));
  }
  for (const auto* rules : {&f.day_of_month_rules, &f.day_of_week_rules}) {
    if (rules->empty()) continue;
    const auto& r = rules->front();
    const char* what = r.kind == DayRule::Kind::nearest_weekday ? "`W` (the nearest weekday)"
                       : r.kind == DayRule::Kind::nth_of        ? "`#` (the nth weekday of the month)"
                                                                : "`L` (the last day or weekday of the month)";
    return std::unexpected(refuse(text, fmt::format("{} in `{}` has no form in a CronJob's schedule, which is 5-field cron", what, r.text),
                                  "days a plain cron field names, or a local environment, which runs L, W and #"));
  }
  CronSchedule out;
  out.expression = fmt::format("{} {} {} {} {}", field(f.minutes, 0, 59, true), field(f.hours, 0, 23, true),
                               field(f.days_of_month, 1, 31, !f.day_of_month_restricted), field(f.months, 1, 12, true),
                               field(f.days_of_week, 0, 6, !f.day_of_week_restricted));
  if (s->timezone() != "UTC") {
    if (!server.time_zone) {
      return std::unexpected(refuse(text, fmt::format("time zone {} needs a CronJob timeZone, which this API server ({}) does not have "
                                                      "(Kubernetes 1.25 and later do)",
                                                      s->timezone(), server.version),
                                    "give the schedule in UTC"));
    }
    out.time_zone = s->timezone();
  } else if (server.time_zone) {
    out.time_zone = "Etc/UTC";
  }
  return out;
}

std::string history_name(const std::string& task) { return task + "-history"; }
std::string config_name(const std::string& task, std::int64_t revision) { return fmt::format("{}-r{}", task, revision); }

Json cronjob_manifest(const Target& at, const Revision& r, const CronSchedule& schedule, bool suspended,
                      const ServerFeatures& server) {
  Json pod_labels = labels(at);
  pod_labels["task.revision"] = std::to_string(r.number);
  Json container = {{"name", "task"},
                    {"image", r.image.ref},
                    {"imagePullPolicy", "IfNotPresent"},
                    {"env", container_env(at, r)}};
  if (!r.policy.command.empty()) container["args"] = r.policy.command;
  const char* concurrency = r.policy.concurrency == Concurrency::allow     ? "Allow"
                            : r.policy.concurrency == Concurrency::replace ? "Replace"
                                                                           : "Forbid";
  Json spec = {
      {"schedule", schedule.expression},
      {"concurrencyPolicy", concurrency},
      {"suspend", suspended},
      {"successfulJobsHistoryLimit", r.policy.keep_succeeded},
      {"failedJobsHistoryLimit", r.policy.keep_failed},
      {"jobTemplate",
       {{"metadata", {{"labels", pod_labels}}},
        {"spec",
         {{"backoffLimit", r.policy.retries},
          {"activeDeadlineSeconds", r.policy.timeout.count()},
          {"template",
           {{"metadata", {{"labels", pod_labels}}},
            {"spec", {{"restartPolicy", "Never"}, {"containers", Json::array({container})}}}}}}}}}};
  if (r.policy.starting_deadline) spec["startingDeadlineSeconds"] = r.policy.starting_deadline->count();
  if (!schedule.time_zone.empty()) spec["timeZone"] = schedule.time_zone;
  Json meta = metadata(at, at.task);
  meta["labels"]["task.revision"] = std::to_string(r.number);
  meta["annotations"] = {{"task.image", r.image.ref}, {"task.schedule", r.schedule}, {"task.timezone", r.timezone}};
  return {{"apiVersion", server.cronjobs}, {"kind", "CronJob"}, {"metadata", meta}, {"spec", spec}};
}

Json config_map_manifest(const Target& at, const Revision& r) {
  Json data = Json::object();
  for (const auto& [k, v] : r.config) {
    if (!v.secret) data[k] = v.value;
  }
  Json meta = metadata(at, config_name(at.task, r.number));
  meta["labels"]["task.revision"] = std::to_string(r.number);
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", meta}, {"data", data}};
}

Json secret_manifest(const Target& at, const Revision& r) {
  Json data = Json::object();
  for (const auto& [k, v] : r.config) {
    if (v.secret) data[k] = docker::base64_encode(v.value);
  }
  Json meta = metadata(at, config_name(at.task, r.number));
  meta["labels"]["task.revision"] = std::to_string(r.number);
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"type", "Opaque"}, {"metadata", meta}, {"data", data}};
}

Json manual_job_manifest(const Json& cronjob, const std::string& name, Timestamp at, bool forced) {
  const Json& tmpl = cronjob["spec"]["jobTemplate"];
  Json meta = {{"name", name}, {"namespace", cronjob["metadata"]["namespace"]}};
  Json job_labels = tmpl.value("metadata", Json::object()).value("labels", Json::object());
  job_labels["task.trigger"] = "manual";
  meta["labels"] = job_labels;
  meta["annotations"] = {{"cronjob.kubernetes.io/instantiate", "manual"},
                         {"task.scheduled-at", format_rfc3339_ms(at)},
                         {"task.forced", forced ? "true" : "false"}};
  if (cronjob["metadata"].contains("uid")) {
    meta["ownerReferences"] = Json::array({{{"apiVersion", cronjob["apiVersion"]},
                                            {"kind", "CronJob"},
                                            {"name", cronjob["metadata"]["name"]},
                                            {"uid", cronjob["metadata"]["uid"]},
                                            {"controller", true},
                                            {"blockOwnerDeletion", true}}});
  }
  Json spec = tmpl["spec"];
  spec["template"]["metadata"]["labels"]["task.trigger"] = "manual";
  return {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", meta}, {"spec", spec}};
}

std::string cronjobs_path(const ServerFeatures& server, const std::string& ns) {
  return fmt::format("/apis/{}/namespaces/{}/cronjobs", server.cronjobs, ns);
}
std::string jobs_path(const std::string& ns) { return fmt::format("/apis/batch/v1/namespaces/{}/jobs", ns); }
std::string pods_path(const std::string& ns) { return fmt::format("/api/v1/namespaces/{}/pods", ns); }
std::string config_maps_path(const std::string& ns) { return fmt::format("/api/v1/namespaces/{}/configmaps", ns); }
std::string secrets_path(const std::string& ns) { return fmt::format("/api/v1/namespaces/{}/secrets", ns); }

}  // namespace task::kube
