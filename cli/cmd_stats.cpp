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
  bool all = false;
  std::string since = "7d";
  std::string by;
  std::string html;
};

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
  // --task (a global flag) or the project here; else, and with --all, every task.
  if (!o.all) q.task = project_task();
  // Undeployed tasks keep their history: shown when asked for by name, and otherwise
  // when they ran in the window (run_stats drops the rest).
  q.include_removed = true;
  return q;
}

task::Result<void> run_stats(Context& ctx, const StatsFlags& o) {
  auto query = make_query(ctx, o);
  if (!query) return std::unexpected(query.error());
  auto report = task::compute_stats(ctx.workspace(), *query);
  if (!report) return std::unexpected(report.error());
  if (query->task.empty()) {
    std::erase_if(report->deployments, [](const task::DeploymentStats& s) {
      const auto& c = s.counts;
      return s.deployment.state == task::DeploymentState::removed && c.runs + c.unfinished == 0;
    });
  }
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
    ctx.out.essential("").emit({{"report", fs::absolute(path).string()}, {"deployments", report->deployments.size()},
                  {"bytes", html.size()}},
                 [&](std::string& out) {
                   out += fmt::format("{} {} ({} deployment{}, {} KiB): open it in a browser\n",
                                      ctx.out.paint(Style::success, "Wrote"), path.string(), report->deployments.size(),
                                      report->deployments.size() == 1 ? "" : "s", (html.size() + 1023) / 1024);
                 });
    return {};
  }
  ctx.out.emit(stats_json(*report), [&](std::string& out) { render_stats_text(ctx, *report, out); });
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
          "Deployments are shown worst first: the lowest success rate, then the most recent failure (-o json keeps them "
          "by task and environment). Platform faults, runs the platform could not start or run (the engine down, an "
          "image missing), are counted apart from the task's failures and in neither rate. Undeployed tasks that ran "
          "in the window come last, their history kept.\n\n"
          "On a terminal a chart shows the runs per period, split by outcome, from the deployment's first period (a "
          "task younger than the window), and a sparkline the newest durations; elsewhere, or with --no-color, the "
          "same in plain ASCII. --html writes a self-contained report (no network, no scripts) with SVG charts per "
          "environment and task: runs by outcome, and durations and lateness as a band from p50 to p95 (p99) with "
          "lines along them.\n\n"
          "Run records outlive their logs (run.history in task.yaml limits logs only) and are kept for 90 days. "
          "The figures of each UTC hour whose runs are all done are summarized once and kept (the agent does it "
          "after each hour ends; a summary is dropped when a run of its hour changes), so a window of a million "
          "runs is read in milliseconds.",
      .flags = {{"--since", "DURATION|TIME", "The window: since this long ago, or this RFC 3339 time (default 7d)", &o->since},
                {"--by", "PERIOD", "Periods of the chart: hour or day (default: hour up to 2 days, else day)", &o->by,
                 {"hour", "day"}, Complete::choices},
                {"--env", "ENV", "Only this environment", &o->env},
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
