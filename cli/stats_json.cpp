// `task stats -o json`: stable keys, documented in the man page of task-stats.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "platform.hpp"
#include "stats_view.hpp"

namespace cli {

using Json = nlohmann::json;

namespace {

Json percentiles_json(const task::Percentiles& p, bool p95, bool p99, bool max) {
  Json j{{"count", p.count}};
  auto value = [&](std::int64_t v) { return p.count > 0 ? Json(v) : Json(); };
  j["p50"] = value(p.p50);
  if (p95) j["p95"] = value(p.p95);
  if (p99) j["p99"] = value(p.p99);
  if (max) j["max"] = value(p.max);
  return j;
}

Json rate_json(std::optional<double> rate) { return rate ? Json(*rate) : Json(); }

void add_counts(Json& j, const task::OutcomeCounts& c) {
  j["runs"] = c.runs;
  j["succeeded"] = c.succeeded;
  j["failed"] = c.failed;
  j["timed_out"] = c.timed_out;
  j["skipped"] = c.skipped;
  j["lost"] = c.lost;
  j["cancelled"] = c.cancelled;
  j["error"] = c.errors;
  j["unfinished"] = c.unfinished;
  j["success_rate"] = rate_json(c.success_rate());
  j["failure_rate"] = rate_json(c.failure_rate());
}

Json run_pointer(const std::optional<task::Run>& r) {
  if (!r) return nullptr;
  Json j = run_json(*r);
  j["logs_command"] = fmt::format("task logs --run {}", r->id);
  return j;
}

}  // namespace

Json stats_json(const task::StatsReport& report) {
  Json list = Json::array();
  for (const auto& s : report.deployments) {
    Json j{{"task", s.deployment.task},
           {"env", s.deployment.env},
           {"state", task::to_string(s.deployment.state)},
           {"revision", s.deployment.revision.number},
           {"schedule", s.deployment.revision.schedule}};
    add_counts(j, s.counts);
    j["duration_ms"] = percentiles_json(s.duration, true, false, true);
    j["lateness_ms"] = percentiles_json(s.lateness, false, true, false);
    j["last_success"] = run_pointer(s.last_success);
    j["last_failure"] = run_pointer(s.last_failure);
    j["last_fault"] = run_pointer(s.last_fault);
    Json periods = Json::array();
    for (const auto& p : s.periods) {
      Json pj{{"start", rfc3339(p.start)}};
      add_counts(pj, p.counts);
      pj["duration_ms"] = percentiles_json(p.duration, true, false, true);
      pj["lateness_ms"] = percentiles_json(p.lateness, false, true, false);
      periods.push_back(std::move(pj));
    }
    j["periods"] = std::move(periods);
    Json failures = Json::array();
    for (const auto& r : s.recent_failures) failures.push_back(run_pointer(r));
    j["recent_failures"] = std::move(failures);
    j["recent_durations_ms"] = s.recent_durations;
    list.push_back(std::move(j));
  }
  return {{"since", rfc3339(report.since)},
          {"until", rfc3339(report.until)},
          {"by", task::to_string(report.by)},
          {"deployments", std::move(list)},
          {"notes", report.notes}};
}

}  // namespace cli
