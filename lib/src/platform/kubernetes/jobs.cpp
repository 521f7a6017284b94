#include "platform/kubernetes/jobs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "task/schedule.hpp"

namespace task::kube {

namespace {

const Json& at(const Json& j, const char* key) {
  static const Json none;
  if (!j.is_object()) return none;
  auto it = j.find(key);
  return it == j.end() ? none : *it;
}

std::string text(const Json& j, const char* key) {
  const Json& v = at(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// Reasons a container waits that it will not get over by itself.
bool cannot_start(const std::string& reason) {
  return reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "InvalidImageName" ||
         reason == "ErrImageNeverPull" || reason == "CreateContainerConfigError" || reason == "CreateContainerError" ||
         reason == "RunContainerError";
}

const Json& task_container(const Json& pod) {
  static const Json none;
  const Json& statuses = at(at(pod, "status"), "containerStatuses");
  if (!statuses.is_array()) return none;
  for (const auto& s : statuses) {
    if (text(s, "name") == "task") return s;
  }
  return statuses.empty() ? none : statuses[0];
}

}  // namespace

std::optional<Timestamp> api_time(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string s = value.get<std::string>();
  auto t = parse_rfc3339(s);
  if (!t) return std::nullopt;
  Timestamp out = std::chrono::time_point_cast<std::chrono::milliseconds>(*t);
  // The fraction, which parse_rfc3339 drops: milliseconds are kept.
  if (auto dot = s.find('.'); dot != std::string::npos) {
    int ms = 0, digits = 0;
    for (std::size_t i = dot + 1; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (digits < 3) {
        ms = ms * 10 + (s[i] - '0');
        ++digits;
      }
    }
    while (digits < 3) {
      ms *= 10;
      ++digits;
    }
    out += std::chrono::milliseconds(ms);
  }
  return out;
}

bool created_before(const Json& x, const Json& y) {
  // RFC 3339 in UTC compares as text; the name breaks ties (its suffix is random).
  const std::string tx = text(at(x, "metadata"), "creationTimestamp"), ty = text(at(y, "metadata"), "creationTimestamp");
  return tx != ty ? tx < ty : text(at(x, "metadata"), "name") < text(at(y, "metadata"), "name");
}

const Json* newest_pod(const std::vector<const Json*>& pods) {
  auto newest = std::max_element(pods.begin(), pods.end(), [](const Json* x, const Json* y) { return created_before(*x, *y); });
  return newest == pods.end() ? nullptr : *newest;
}

Run run_of(const Json& job, const std::vector<const Json*>& pods) {
  Run r;
  const Json& meta = at(job, "metadata");
  const Json& labels = at(meta, "labels");
  const Json& annotations = at(meta, "annotations");
  const Json& status = at(job, "status");
  r.id = text(meta, "name");
  r.task = text(labels, "task.name");
  r.env = text(labels, "task.env");
  if (auto rev = text(labels, "task.revision"); !rev.empty()) {
    std::from_chars(rev.data(), rev.data() + rev.size(), r.revision);
  }
  const bool manual = text(labels, "task.trigger") == "manual" || text(annotations, "cronjob.kubernetes.io/instantiate") == "manual";
  r.trigger = manual ? RunTrigger::manual : RunTrigger::schedule;
  r.forced = text(annotations, "task.forced") == "true";

  // The fire time.
  std::optional<Timestamp> scheduled = api_time(at(annotations, "task.scheduled-at"));
  if (!scheduled) scheduled = api_time(at(annotations, "batch.kubernetes.io/cronjob-scheduled-timestamp"));
  if (!scheduled && !manual) {
    // The CronJob controller names a Job <cronjob>-<minutes since the epoch>.
    if (auto dash = r.id.rfind('-'); dash != std::string::npos) {
      std::int64_t minutes = 0;
      const char* b = r.id.data() + dash + 1;
      const char* e = r.id.data() + r.id.size();
      auto [end, ec] = std::from_chars(b, e, minutes);
      if (ec == std::errc{} && end == e && end != b) scheduled = Timestamp(std::chrono::minutes(minutes));
    }
  }
  if (!scheduled) scheduled = api_time(at(meta, "creationTimestamp"));
  r.scheduled_at = scheduled.value_or(Timestamp{});

  const Json* pod = newest_pod(pods);
  r.attempt = std::max<int>(1, static_cast<int>(pods.size()));
  // When the task's container started and ended (the Job's own times are the controller's).
  std::optional<Timestamp> started, finished;
  std::optional<int> exit_code;
  std::string waiting_reason, waiting_message;
  if (pod) {
    const Json& c = task_container(*pod);
    const Json& state = at(c, "state");
    if (const Json& running = at(state, "running"); running.is_object()) started = api_time(at(running, "startedAt"));
    if (const Json& term = at(state, "terminated"); term.is_object()) {
      started = api_time(at(term, "startedAt"));
      finished = api_time(at(term, "finishedAt"));
      if (at(term, "exitCode").is_number_integer()) exit_code = at(term, "exitCode").get<int>();
    }
    if (const Json& waiting = at(state, "waiting"); waiting.is_object()) {
      waiting_reason = text(waiting, "reason");
      waiting_message = text(waiting, "message");
    }
    // The first attempt's start is the run's start.
    for (const Json* p : pods) {
      const Json& s = at(at(task_container(*p), "state"), "terminated");
      if (auto t = api_time(at(s, "startedAt")); t && (!started || *t < *started)) started = t;
    }
  }

  r.outcome = RunOutcome::pending;
  const Json& conditions = at(status, "conditions");
  if (conditions.is_array()) {
    for (const auto& cond : conditions) {
      if (text(cond, "status") != "True") continue;
      const std::string type = text(cond, "type"), reason = text(cond, "reason");
      if (type == "Complete") {
        r.outcome = RunOutcome::succeeded;
        if (!finished) finished = api_time(at(status, "completionTime"));
      } else if (type == "Failed") {
        if (reason == "DeadlineExceeded") {
          // Past its deadline without the task ever starting (its Pods, deleted by then, or
          // waiting on an image or a node): the platform's fault, not a slow task.
          r.outcome = started ? RunOutcome::timed_out : RunOutcome::error;
          r.error = started ? std::string("exceeded its timeout (activeDeadlineSeconds)")
                    : waiting_reason.empty()
                        ? std::string("its Pod never started before the timeout (activeDeadlineSeconds)")
                        : fmt::format("the pod could not start ({}): {}", waiting_reason, waiting_message);
        } else {
          r.outcome = RunOutcome::failed;
          r.error = text(cond, "message");
        }
        if (auto t = api_time(at(cond, "lastTransitionTime")); t && (!finished || r.outcome == RunOutcome::timed_out)) finished = t;
      }
    }
  }
  if (!is_finished(r.outcome)) {
    if (cannot_start(waiting_reason)) {
      r.outcome = RunOutcome::error;
      r.error = fmt::format("the pod could not start ({}): {}", waiting_reason, waiting_message);
    } else if (started) {
      r.outcome = RunOutcome::running;
    } else if (pod) {
      r.outcome = RunOutcome::starting;
    }
  }
  r.started_at = started;
  if (is_finished(r.outcome)) r.finished_at = finished;
  r.exit_code = exit_code;
  if (r.outcome == RunOutcome::succeeded && !r.exit_code) r.exit_code = 0;
  return r;
}

}  // namespace task::kube
