// stats: success and failure rates, durations and lateness, as text, JSON or an HTML report.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "stats_view.hpp"
#include "task/duration.hpp"
#include "task/project.hpp"
#include "task/schedule.hpp"
#include "task/stats.hpp"
#include "task/stats_report.hpp"

namespace cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct StatsFlags {
  std::string env;
  std::string task;
  bool all = false;
  std::string since = "7d";
  std::string by;
  std::string html;
};

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
          {"deployments", std::move(list)}};
}

std::string percent(std::optional<double> rate) {
  if (!rate) return "-";
  return fmt::format("{:.1f}%", *rate * 100.0);
}

std::string run_line(Context& ctx, const task::Run& r) {
  std::string text = fmt::format("#{}  {} ({})", r.id, rfc3339(r.scheduled_at), age(r.scheduled_at, ctx.now()));
  if (r.outcome != task::RunOutcome::succeeded) {
    text += "  " + ctx.out.paint(outcome_style(task::to_string(r.outcome)), std::string(task::to_string(r.outcome)));
    if (!r.error.empty()) text += ": " + r.error;
    text += "  " + ctx.out.paint(Style::muted, fmt::format("task logs --run {}", r.id));
  }
  return text;
}

void render_text(Context& ctx, const task::StatsReport& report, std::string& out) {
  const bool fancy = ctx.out.color();
  const auto width = terminal_width(ctx.env);
  out += ctx.out.paint(Style::muted, fmt::format("{} to {}, by {} (UTC)\n", rfc3339(report.since), rfc3339(report.until),
                                                 task::to_string(report.by)));
  if (report.deployments.empty()) {
    out += "no deployments to show: `task deploy --interval SCHEDULE` in a task project makes one\n";
    return;
  }
  for (const auto& s : report.deployments) {
    const auto& c = s.counts;
    out += "\n";
    out += ctx.out.paint(Style::bold, fmt::format("{} in {}", s.deployment.task, s.deployment.env));
    out += ctx.out.paint(Style::muted, fmt::format("  revision {}, {}{}\n", s.deployment.revision.number,
                                                   s.deployment.revision.schedule,
                                                   s.deployment.state == task::DeploymentState::active
                                                       ? ""
                                                       : ", " + std::string(task::to_string(s.deployment.state))));
    auto count = [&](std::string_view name, std::int64_t n, Style style) {
      std::string number = fmt::format("{}", n);
      return fmt::format("  {} {}", name, n > 0 ? ctx.out.paint(style, number) : number);
    };
    out += fmt::format("  runs          {}", c.runs);
    out += count("succeeded", c.succeeded, Style::success) + count("failed", c.failed, Style::failure) +
           count("timed-out", c.timed_out, Style::failure) + count("skipped", c.skipped, Style::warning) +
           count("lost", c.lost, Style::failure);
    if (c.cancelled > 0) out += count("cancelled", c.cancelled, Style::warning);
    if (c.unfinished > 0) out += fmt::format("  (+{} running)", c.unfinished);
    out += "\n";
    if (c.judged() > 0) {
      out += fmt::format("  success rate  {}   failure rate {}\n",
                         ctx.out.paint(c.failures() == 0 ? Style::success : Style::plain, percent(c.success_rate())),
                         ctx.out.paint(c.failures() > 0 ? Style::failure : Style::plain, percent(c.failure_rate())));
    }
    if (s.duration.count > 0) {
      out += fmt::format("  duration      p50 {}  p95 {}  max {}", millis_text(s.duration.p50),
                         millis_text(s.duration.p95), millis_text(s.duration.max));
      if (s.recent_durations.size() > 1) {
        out += fmt::format("   {} {}", sparkline(s.recent_durations, fancy),
                           ctx.out.paint(Style::muted, fmt::format("last {}", s.recent_durations.size())));
      }
      out += "\n";
    }
    if (s.lateness.count > 0) {
      out += fmt::format("  lateness      p50 {}  p99 {}\n", millis_text(s.lateness.p50), millis_text(s.lateness.p99));
    }
    if (s.last_success) out += "  last success  " + run_line(ctx, *s.last_success) + "\n";
    if (s.last_failure) out += "  last failure  " + run_line(ctx, *s.last_failure) + "\n";
    if (c.runs == 0 && c.unfinished == 0) {
      out += ctx.out.paint(Style::muted, "  no runs in this window\n");
      continue;
    }
    out += outcome_chart(s.periods, report.by, fancy, width);
  }
  out += "\n" + outcome_legend(fancy) + "\n";
}

task::Result<task::StatsQuery> make_query(Context& ctx, const StatsFlags& o) {
  task::StatsQuery q;
  q.until = std::chrono::time_point_cast<std::chrono::milliseconds>(ctx.now());
  q.now = q.until;
  if (auto d = task::parse_duration(o.since)) {
    q.since = q.until - std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  } else if (auto t = task::parse_rfc3339(o.since)) {
    q.since = std::chrono::time_point_cast<std::chrono::milliseconds>(*t);
    if (q.since >= q.until) {
      return task::fail(task::Errc::usage, fmt::format("--since {} is not in the past", o.since),
                        "give a time before now, or a duration back from now such as --since 7d");
    }
  } else {
    return task::fail(task::Errc::usage, fmt::format("--since `{}` is neither a duration nor a time", o.since),
                      "e.g. --since 7d, --since 12h, or --since 2026-11-01T00:00:00Z");
  }
  if (o.by.empty()) {
    q.by = q.until - q.since <= std::chrono::hours(48) ? task::StatsPeriod::hour : task::StatsPeriod::day;
  } else {
    q.by = o.by == "hour" ? task::StatsPeriod::hour : task::StatsPeriod::day;
  }
  const auto step = q.by == task::StatsPeriod::hour ? std::chrono::hours(1) : std::chrono::hours(24);
  if ((q.until - q.since) / step > 5000) {
    return task::fail(task::Errc::usage, fmt::format("--since {} by {} makes more than 5000 periods", o.since, o.by),
                      "use --by day, or a shorter --since");
  }
  if (!o.env.empty()) {
    if (auto env = ctx.workspace().environment(o.env); !env) return std::unexpected(env.error());
    q.env = o.env;
  }
  q.task = o.task;
  if (q.task.empty() && !o.all) {
    if (auto config = task::load_project(fs::current_path())) q.task = config->name;
  }
  // Removed deployments still have a history worth seeing when asked for by name.
  q.include_removed = !q.task.empty();
  return q;
}

task::Result<void> run_stats(Context& ctx, const StatsFlags& o) {
  auto query = make_query(ctx, o);
  if (!query) return std::unexpected(query.error());
  auto report = task::compute_stats(ctx.workspace(), *query);
  if (!report) return std::unexpected(report.error());
  if (!query->task.empty() && report->deployments.empty()) {
    return task::fail(task::Errc::not_found,
                      fmt::format("{} has no deployments{}", query->task, query->env.empty() ? "" : " in " + query->env),
                      "`task status` lists what is deployed; `--all` shows every task");
  }
  if (!o.html.empty()) {
    const auto html = task::render_stats_html(*report, std::chrono::time_point_cast<std::chrono::milliseconds>(ctx.now()));
    if (o.html == "-") {
      std::fwrite(html.data(), 1, html.size(), stdout);
      return {};
    }
    const fs::path path = o.html;
    const fs::path temporary = path.string() + ".tmp";
    {
      std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
      file << html;
      if (!file.flush()) {
        return task::fail(task::Errc::io, fmt::format("cannot write {}", temporary.string()),
                          "check that its directory exists and is writable");
      }
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) return task::fail(task::Errc::io, fmt::format("cannot write {}: {}", path.string(), ec.message()));
    ctx.out.emit({{"report", fs::absolute(path).string()}, {"deployments", report->deployments.size()},
                  {"bytes", html.size()}},
                 [&](std::string& out) {
                   out += fmt::format("{} {} ({} deployment{}, {} KiB): open it in a browser\n",
                                      ctx.out.paint(Style::success, "Wrote"), path.string(), report->deployments.size(),
                                      report->deployments.size() == 1 ? "" : "s", (html.size() + 1023) / 1024);
                 });
    return {};
  }
  ctx.out.emit(stats_json(*report), [&](std::string& out) { render_text(ctx, *report, out); });
  return {};
}

}  // namespace

void add_stats_commands(Commands& commands) {
  auto o = std::make_shared<StatsFlags>();
  commands.push_back({
      .words = {"stats"},
      .summary = "Success and failure rates, durations and lateness of runs, per period",
      .description =
          "For each deployment (of the project here, or of --task, or --all of them): the runs whose fire time lies "
          "in the window, by outcome; the success rate, succeeded / (succeeded + failed + timed-out + lost), and the "
          "failure rate, the rest of those (skipped and cancelled runs did not try, so neither rate counts them); "
          "durations (finished - started, for runs that ran to an end) at p50, p95 and max; start lateness (started - "
          "fire time, for scheduled and catch-up runs) at p50 and p99; the last success and the last failure, with "
          "the command that shows its log. Each attempt of a retried run counts as a run. Percentiles are by nearest "
          "rank. Periods are whole UTC hours or days.\n\n"
          "On a terminal a chart shows the runs per period, split by outcome, and a sparkline the newest durations; "
          "elsewhere, or with --no-color, the same in plain ASCII. --html writes a self-contained report (no network, "
          "no scripts) with SVG charts per environment and task.\n\n"
          "Run records outlive their logs (run.history in task.yaml limits logs only) and are kept for 90 days. "
          "The figures of each UTC hour whose runs are all done are summarized once and kept (the agent does it "
          "after each hour ends; a summary is dropped when a run of its hour changes), so a window of a million "
          "runs is read in milliseconds.",
      .flags = {{"--since", "DURATION|TIME", "The window: since this long ago, or this RFC 3339 time (default 7d)", &o->since},
                {"--by", "PERIOD", "Periods of the chart: hour or day (default: hour up to 2 days, else day)", &o->by,
                 {"hour", "day"}, Complete::choices},
                {"--env", "ENV", "Only this environment", &o->env},
                {"--task", "NAME", "Only this task (default: the project here, else every task)", &o->task},
                {"--all", "", "Every task, also inside a project", &o->all},
                {"--html", "FILE", "Write a self-contained HTML report to FILE (- for stdout)", &o->html, {}, Complete::file}},
      .examples = {{"task stats", "the project's task, the last 7 days by day"},
                   {"task stats --since 24h --env production", "today in production, by hour"},
                   {"task stats --all --html report.html", "a report of every task to open in a browser"},
                   {"task stats -o json | jq '.deployments[] | {task, env, success_rate}'", ""}},
      .run = [o](Context& ctx) { return run_stats(ctx, *o); },
  });
}

}  // namespace cli
