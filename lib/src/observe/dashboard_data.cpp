// The JSON documents of the dashboard (task/dashboard.hpp), from the use cases every
// platform serves: stats, runs, revisions and run logs.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "task/dashboard.hpp"
#include "task/runs.hpp"
#include "task/schedule.hpp"
#include "task/stats.hpp"

namespace task {

namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

Json stamp(const std::optional<Timestamp>& t) { return t ? Json(format_rfc3339_ms(*t)) : Json(); }

Json run_json(const Run& r) {
  Json j = {{"id", r.id},
            {"task", r.task},
            {"env", r.env},
            {"revision", r.revision},
            {"outcome", std::string(to_string(r.outcome))},
            {"trigger", std::string(to_string(r.trigger))},
            {"attempt", r.attempt},
            {"scheduled_at", format_rfc3339_ms(r.scheduled_at)},
            {"started_at", stamp(r.started_at)},
            {"finished_at", stamp(r.finished_at)},
            {"exit_code", r.exit_code ? Json(*r.exit_code) : Json()},
            {"error", r.error},
            {"log_pruned", r.log_pruned}};
  return j;
}

Json rate(const OutcomeCounts& c) {
  auto r = c.success_rate();
  return r ? Json(*r) : Json();
}

Json counts_json(const OutcomeCounts& c) {
  return {{"runs", c.runs},       {"succeeded", c.succeeded}, {"failed", c.failed}, {"timed_out", c.timed_out},
          {"lost", c.lost},       {"skipped", c.skipped},     {"cancelled", c.cancelled},
          {"errors", c.errors},   {"unfinished", c.unfinished}, {"success_rate", rate(c)}};
}

Json percentiles_json(const Percentiles& p) {
  if (p.count == 0) return Json();
  return {{"count", p.count}, {"p50", p.p50}, {"p95", p.p95}, {"p99", p.p99}, {"max", p.max}};
}

std::optional<std::string> next_run(const Deployment& d, Timestamp now) {
  if (d.state != DeploymentState::active) return std::nullopt;
  auto schedule = parse_schedule(d.revision.schedule, d.revision.timezone);
  if (!schedule) return std::nullopt;
  auto next = next_fire_after(*schedule, std::chrono::floor<std::chrono::seconds>(now));
  if (!next) return std::nullopt;
  return format_rfc3339(*next, *schedule);
}

Json deployment_json(const DeploymentStats& s, Timestamp now) {
  const auto& d = s.deployment;
  const auto next = next_run(d, now);
  Json j = {{"task", d.task},
            {"env", d.env},
            {"state", std::string(to_string(d.state))},
            {"revision", d.revision.number},
            {"schedule", d.revision.schedule},
            {"timezone", d.revision.timezone},
            {"image", d.revision.image.ref},
            {"next_run", next ? Json(*next) : Json()},
            {"counts", counts_json(s.counts)},
            {"duration_ms", percentiles_json(s.duration)},
            {"lateness_ms", percentiles_json(s.lateness)},
            {"last_success_at", stamp(s.last_success_at)},
            {"last_failure_at", stamp(s.last_failure_at)}};
  return j;
}

StatsQuery window_query(Workspace& workspace, std::chrono::milliseconds window) {
  StatsQuery q;
  const auto now = workspace.now();
  q.since = now - window;
  q.until = now + 1min;
  q.now = now;
  q.by = window <= 48h ? StatsPeriod::hour : StatsPeriod::day;
  q.recent_failures = 1;
  q.recent_durations = 0;
  return q;
}

}  // namespace

Result<std::string> dashboard_overview(Workspace& workspace, std::chrono::milliseconds window) {
  auto query = window_query(workspace, window);
  query.periods = false;
  query.histograms = false;
  query.records = false;
  query.recent_failures = 0;
  auto report = compute_stats(workspace, query);
  if (!report) return std::unexpected(report.error());
  order_worst_first(report->deployments);
  const auto now = workspace.now();
  Json list = Json::array();
  for (const auto& s : report->deployments) list.push_back(deployment_json(s, now));
  Json out = {{"generated_at", format_rfc3339_ms(now)},
              {"since", format_rfc3339_ms(report->since)},
              {"environments", report->environments},
              {"deployments", std::move(list)},
              {"notes", report->notes}};
  return out.dump();
}

Result<std::string> dashboard_deployment(Workspace& workspace, const std::string& task, const std::string& env,
                                         std::chrono::milliseconds window) {
  auto query = window_query(workspace, window);
  query.task = task;
  query.env = env;
  query.include_removed = true;
  query.recent_failures = 10;
  auto report = compute_stats(workspace, query);
  if (!report) return std::unexpected(report.error());
  auto found = std::find_if(report->deployments.begin(), report->deployments.end(),
                            [&](const auto& s) { return s.deployment.task == task && s.deployment.env == env; });
  if (found == report->deployments.end()) {
    return fail(Errc::not_found, "no deployment of " + task + " in " + env, "the overview lists every deployment");
  }
  const auto& s = *found;
  const auto now = workspace.now();
  Json out = deployment_json(s, now);
  out["since"] = format_rfc3339_ms(report->since);
  out["period"] = std::string(to_string(report->by));

  Json periods = Json::array();
  for (const auto& p : s.periods) {
    periods.push_back({{"start_ms", p.start.time_since_epoch().count()},
                       {"succeeded", p.counts.succeeded},
                       {"failed", p.counts.failures()},
                       {"other", p.counts.skipped + p.counts.cancelled + p.counts.errors}});
  }
  out["periods"] = std::move(periods);

  // Each run of the window, oldest first: what the charts draw.
  RunsQuery rq;
  rq.task = task;
  rq.env = env;
  rq.since = report->since;
  rq.limit = 20'000;
  auto runs = list_runs(workspace, rq);
  if (!runs) return std::unexpected(runs.error());
  Json points = Json::array();
  for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
    const auto& r = *it;
    const bool ran = r.started_at && r.finished_at &&
                     (r.outcome == RunOutcome::succeeded || r.outcome == RunOutcome::failed ||
                      r.outcome == RunOutcome::timed_out);
    const bool due = r.started_at && (r.trigger == RunTrigger::schedule || r.trigger == RunTrigger::catch_up);
    points.push_back({{"id", r.id},
                      {"at_ms", r.scheduled_at.time_since_epoch().count()},
                      {"outcome", std::string(to_string(r.outcome))},
                      {"duration_ms", ran ? Json((*r.finished_at - *r.started_at).count()) : Json()},
                      {"lateness_ms", due ? Json((*r.started_at - r.scheduled_at).count()) : Json()}});
  }
  out["runs"] = std::move(points);

  Json failures = Json::array();
  for (const auto& r : s.recent_failures) failures.push_back(run_json(r));
  out["recent_failures"] = std::move(failures);

  Json revisions = Json::array();
  if (auto environment = workspace.environment(env)) {
    if (auto platform = workspace.platform(*environment)) {
      if (auto list = (*platform)->revisions({task, env})) {
        for (auto it = list->rbegin(); it != list->rend(); ++it) {
          revisions.push_back({{"number", it->number},
                               {"image", it->image.ref},
                               {"digest", it->image.digest},
                               {"schedule", it->schedule},
                               {"timezone", it->timezone},
                               {"change", it->change},
                               {"command", it->command},
                               {"created_at", format_rfc3339_ms(it->created_at)}});
        }
      }
    }
  }
  out["revisions"] = std::move(revisions);
  return out.dump();
}

Result<std::string> dashboard_run(Workspace& workspace, const std::string& id) {
  LogQuery q;
  q.run = id;
  q.tail = 5000;
  auto log = read_run_log(workspace, q);
  if (!log) return std::unexpected(log.error());
  Json lines = Json::array();
  for (const auto& l : log->lines) lines.push_back({{"at", l.timestamp}, {"stream", l.stream}, {"text", l.text}});
  Json out = {{"run", log->run ? run_json(*log->run) : Json()}, {"lines", std::move(lines)}, {"next", log->next}};
  return out.dump();
}

}  // namespace task
