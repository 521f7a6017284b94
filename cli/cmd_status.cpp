// status: every deployment at a glance.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "stats_view.hpp"

namespace cli {

namespace {

using Json = nlohmann::json;

task::Result<void> run_status(Context& ctx) {
  auto report = task::status(ctx.workspace());
  if (!report) return std::unexpected(report.error());
  const auto& deployments = report->deployments;
  Json list = Json::array();
  for (const auto& d : deployments) list.push_back(deployment_json(d));
  ctx.out.emit({{"deployments", list}, {"agent", runner_json(report->runner)}}, [&](std::string& out) {
    if (deployments.empty()) {
      out += "nothing deployed yet: run `task deploy --interval SCHEDULE` in a task project\n";
    } else {
      Table table({"TASK", "ENV", "REV", "SCHEDULE", "STATE", "NEXT RUN", "LAST RUN", "OUTCOME", "SUCCESS 24H", "RECENT"});
      for (const auto& s : deployments) {
        const auto& d = s.deployment;
        std::string last = "-", outcome = "-";
        if (s.last_run) {
          last = fmt::format("#{} {}", s.last_run->id, age(s.last_run->scheduled_at, ctx.now()));
          const std::string text(task::to_string(s.last_run->outcome));
          outcome = ctx.out.paint(outcome_style(text), text);
        }
        std::string rate = "-", recent = "-";
        if (s.health) {
          const auto& c = s.health->counts;
          if (auto r = c.success_rate()) rate = fmt::format("{:.1f}% of {}", *r * 100, c.judged());
          if (!s.health->outcomes.empty()) recent = outcome_sparkline(s.health->outcomes, ctx.out.color());
        }
        table.add({d.task, d.env, std::to_string(d.revision.number),
                   d.revision.schedule + (d.revision.timezone == "UTC" ? "" : " " + d.revision.timezone),
                   std::string(task::to_string(d.state)), s.next_run.value_or("-"), last, outcome, rate, recent});
      }
      table.render(out, ctx.out);
    }
    if (!report->runner.description.empty()) {
      out += fmt::format("runs by: {}\n", report->runner.description);
    } else {
      out += report->runner.running ? fmt::format("agent: running (pid {})\n", report->runner.pid)
                                    : std::string("agent: not running; `task agent start` starts it\n");
    }
  });
  return {};
}

}  // namespace

void add_status_commands(Commands& commands) {
  commands.push_back({
      .words = {"status"},
      .summary = "Every deployment: revision, schedule, next run, last run and success rate",
      .examples = {{"task status", ""}, {"task status -o json | jq '.deployments[] | {task, env, next_run}'", ""}},
      .run = [](Context& ctx) { return run_status(ctx); },
  });
}

}  // namespace cli
