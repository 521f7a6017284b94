// `task stats` for people: figures per deployment and a chart of runs per period.
#include <fmt/format.h>

#include "platform.hpp"
#include "stats_view.hpp"

namespace cli {

namespace {

using task::StatsPeriod;

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

void render_deployment(Context& ctx, StatsPeriod by, const task::DeploymentStats& s, std::string& out) {
  const bool fancy = ctx.out.color();
  const auto width = terminal_width(ctx.env);
  const auto& c = s.counts;
  out += "\n";
  out += ctx.out.paint(Style::bold, fmt::format("{} in {}", s.deployment.task, s.deployment.env));
  out += ctx.out.paint(Style::muted, fmt::format("  revision {}, {}{}\n", s.deployment.revision.number,
                                                 s.deployment.revision.schedule,
                                                 s.deployment.state == task::DeploymentState::active
                                                     ? ""
                                                     : s.deployment.state == task::DeploymentState::removed
                                                         ? ", undeployed"
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
  if (c.errors > 0) {
    // Not the task's failure: the engine was down, the image missing, the cluster refused.
    const auto faults = fmt::format("{} fault{}", c.errors, c.errors == 1 ? "" : "s");
    out += fmt::format("  platform      {} {}\n", ctx.out.paint(Style::accent, faults),
                       ctx.out.paint(Style::muted, "(could not start or run; in neither rate)"));
    if (s.last_fault) out += "  last fault    " + run_line(ctx, *s.last_fault) + "\n";
  }
  if (c.runs == 0 && c.unfinished == 0) {
    out += ctx.out.paint(Style::muted, "  no runs in this window\n");
    return;
  }
  // From the deployment's first day (or hour): a task younger than the window.
  const auto first = task::first_drawn_period(s);
  out += outcome_chart({s.periods.begin() + static_cast<std::ptrdiff_t>(first), s.periods.end()}, by, fancy, width);
}

}  // namespace

// Worst first; undeployed tasks' kept history after the rest, under a heading of its own.
void render_stats_text(Context& ctx, const task::StatsReport& report, std::string& out) {
  out += ctx.out.paint(Style::muted, fmt::format("{} to {}, by {} (UTC)\n", rfc3339(report.since), rfc3339(report.until),
                                                 task::to_string(report.by)));
  for (const auto& note : report.notes) out += ctx.out.paint(Style::muted, note + "\n");
  if (report.deployments.empty()) {
    out += "no deployments to show: `task deploy --interval SCHEDULE` in a task project makes one\n";
    return;
  }
  auto order = report.deployments;
  task::order_worst_first(order);
  bool any_removed = false;
  for (const auto& s : order) {
    if (s.deployment.state != task::DeploymentState::removed) render_deployment(ctx, report.by, s, out);
    any_removed = any_removed || s.deployment.state == task::DeploymentState::removed;
  }
  if (any_removed) {
    out += "\n" + ctx.out.paint(Style::muted, "undeployed: their runs are kept for 90 days") + "\n";
    for (const auto& s : order) {
      if (s.deployment.state == task::DeploymentState::removed) render_deployment(ctx, report.by, s, out);
    }
  }
  out += "\n" + outcome_legend(ctx.out.color()) + "\n";
}

}  // namespace cli
