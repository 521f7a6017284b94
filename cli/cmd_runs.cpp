// runs, run.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "run_view.hpp"
#include "task/duration.hpp"
#include "task/project.hpp"
#include "task/runs.hpp"
#include "task/text.hpp"

namespace cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

struct RunsFlags {
  std::string env;
  int limit = 20;
  bool wait = false;
  bool follow = false;
  bool force = false;
  std::string status, trigger, since;
};

// The value of a flag among the names an enum prints as, or a usage error listing them.
template <typename E, std::size_t N>
task::Result<std::optional<E>> named(std::string_view flag, const std::string& value, const E (&all)[N]) {
  if (value.empty()) return std::optional<E>{};
  std::vector<std::string> names;
  for (E e : all) {
    if (task::to_string(e) == value) return std::optional<E>{e};
    names.emplace_back(task::to_string(e));
  }
  return task::fail(task::Errc::usage, fmt::format("{} `{}` is not one of {}", flag, value, task::join(names, ", ")));
}

using task::RunOutcome;
using task::RunTrigger;
constexpr RunOutcome kOutcomes[] = {RunOutcome::pending,   RunOutcome::starting, RunOutcome::running,
                                    RunOutcome::succeeded, RunOutcome::failed,   RunOutcome::timed_out,
                                    RunOutcome::skipped,   RunOutcome::lost,     RunOutcome::cancelled,
                                    RunOutcome::error};
constexpr RunTrigger kTriggers[] = {RunTrigger::schedule, RunTrigger::manual, RunTrigger::retry, RunTrigger::catch_up};

// Why a run did not succeed, in a column's width.
std::string reason(const task::Run& r) {
  if (r.outcome == RunOutcome::succeeded || r.error.empty()) return "-";
  return r.error.size() > 48 ? r.error.substr(0, 47) + "…" : r.error;
}

task::Result<void> run_runs(Context& ctx, const RunsFlags& o) {
  if (o.limit < 1) return task::fail(task::Errc::usage, "--limit must be at least 1");
  task::RunsQuery query{project_task(), o.env, static_cast<std::size_t>(o.limit), {}, {}, {}};
  auto outcome = named("--status", o.status, kOutcomes);
  if (!outcome) return std::unexpected(outcome.error());
  auto trigger = named("--trigger", o.trigger, kTriggers);
  if (!trigger) return std::unexpected(trigger.error());
  query.outcome = *outcome;
  query.trigger = *trigger;
  if (!o.since.empty()) {
    auto d = task::parse_duration(o.since);
    if (!d) return task::fail(task::Errc::usage, fmt::format("--since `{}` is not a duration", o.since), "e.g. --since 24h");
    query.since = ctx.now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  auto runs = task::list_runs(ctx.workspace(), query);
  if (!runs) return std::unexpected(runs.error());
  Json list = Json::array();
  for (const auto& r : *runs) list.push_back(run_json(r));
  std::string ids;
  for (const auto& r : *runs) ids += r.id + "\n";
  ctx.out.essential(ids).emit({{"runs", list}}, [&](std::string& out) {
    if (runs->empty()) {
      out += "no runs yet: deploy with `task deploy --interval SCHEDULE`, or start one with `task run`\n";
      return;
    }
    Table table({"RUN", "TASK", "ENV", "SCHEDULED", "LATE", "DURATION", "OUTCOME", "EXIT", "TRIGGER", "ATTEMPT", "REASON"});
    for (const auto& r : *runs) {
      std::string late = "-";
      if (r.started_at) late = fmt::format("+{}", short_duration(*r.started_at - r.scheduled_at));
      table.add({r.id, r.task, r.env, rfc3339(r.scheduled_at), late,
                 r.started_at && r.finished_at ? short_duration(*r.finished_at - *r.started_at) : "-",
                 ctx.out.paint(outcome_style(task::to_string(r.outcome)), task::to_string(r.outcome)),
                 r.exit_code ? std::to_string(*r.exit_code) : "-", std::string(task::to_string(r.trigger)),
                 std::to_string(r.attempt), reason(r)});
    }
    table.render(out, ctx.out);
  });
  return {};
}

task::Result<void> run_now(Context& ctx, const RunsFlags& o) {
  auto name = required_project_task();
  if (!name) return std::unexpected(name.error());
  auto request = task::request_run(ctx.workspace(), {*name, o.env}, o.force);
  if (!request) return std::unexpected(request.error());
  const auto& run = request->run;
  if (!request->runner.note.empty()) ctx.out.note(request->runner.note);
  ctx.out.note(fmt::format("run {} of {} in {} requested", run.id, run.task, run.env));
  if (!o.wait && !o.follow) {
    ctx.out.essential(run.id).emit({{"run", run_json(run)}}, [&](std::string& out) {
      out += fmt::format("{} run {}: `task logs --run {} -f` follows it\n", ctx.out.paint(Style::success, "Requested"),
                         run.id, run.id);
    });
    return {};
  }
  // Wait for the platform to start it (or skip it), then follow or wait for its outcome.
  auto& platform = *request->platform;
  auto begun = task::wait_for_run(platform, run, false, ctx.interrupted);
  if (!begun) return std::unexpected(begun.error());
  if (o.follow && !task::is_finished(begun->outcome)) {
    const auto watch = observer(ctx);
    watch.started(*begun);
    task::RunLog log;
    log.run = *begun;
    log.platform = &platform;
    log.key = {begun->task, begun->env};
    if (auto r = task::follow_run_log(std::move(log), false, watch); !r) return r;
  } else if (auto done = task::wait_for_run(platform, *begun, true, ctx.interrupted); !done) {
    return std::unexpected(done.error());
  }
  if (ctx.interrupted()) return task::fail(task::Errc::interrupted, fmt::format("stopped waiting for run {}; it goes on", run.id));
  auto current = platform.run(run.id);
  if (!current) return std::unexpected(current.error());
  if (!o.follow || ctx.out.format() != Format::table) {
    ctx.out.essential(current->id).emit({{"run", run_json(*current)}}, [&](std::string& out) { out += run_footer(ctx, *current) + "\n"; });
  }
  if (current->outcome == task::RunOutcome::error) {
    return task::fail(task::Errc::platform, fmt::format("run {} could not run: {}", current->id, current->error),
                      "the platform's fault, not the task's: `task doctor` checks it");
  }
  if (current->outcome != task::RunOutcome::succeeded) {
    return task::fail(task::Errc::failure,
                      fmt::format("run {} {}{}", current->id, task::to_string(current->outcome),
                                  current->error.empty() ? "" : ": " + current->error),
                      fmt::format("`task logs --run {}` shows its output", current->id));
  }
  return {};
}

}  // namespace

void add_runs_commands(Commands& commands) {
  auto list = std::make_shared<RunsFlags>();
  commands.push_back({
      .words = {"runs"},
      .summary = "The run history: when each run was due and started, how long it took, its outcome",
      .description = "In a task project (or with --task), its runs; elsewhere, the runs of every task. Newest fire "
                     "time first; REASON says why a run did not succeed.",
      .flags = {{"--env", "ENV", "Only runs in this environment", &list->env},
                {"-n,--limit", "N", "Show at most N runs (default 20)", &list->limit},
                {"--status", "OUTCOME", "Only runs with this outcome: succeeded, failed, timed-out, error, skipped …",
                 &list->status},
                {"--trigger", "TRIGGER", "Only runs started so: schedule, manual, retry, catch-up", &list->trigger},
                {"--since", "DURATION", "Only runs due in the last DURATION (e.g. 24h)", &list->since}},
      .examples = {{"task runs", ""},
                   {"task runs --status failed --since 24h", "the failures of the last day"},
                   {"task runs -o json | jq '.runs[] | {id, outcome, lateness_ms}'", ""}},
      .run = [list](Context& ctx) { return run_runs(ctx, *list); },
  });
  auto now = std::make_shared<RunsFlags>();
  commands.push_back({
      .words = {"run"},
      .summary = "Run the deployed task now",
      .description = "Asks the agent for a run now (trigger `manual`). It obeys the deployment's concurrency policy "
                     "unless --force. With --wait, exits non-zero when the run does not succeed.",
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &now->env},
                {"--wait", "", "Wait for the run's outcome", &now->wait},
                {"-f,--follow", "", "Show the run's output as it comes, until it ends", &now->follow},
                {"--force", "", "Start even when the concurrency policy would skip it", &now->force}},
      .examples = {{"task run --follow", ""}, {"task run --wait -o json | jq -r .run.outcome", ""}},
      .run = [now](Context& ctx) { return run_now(ctx, *now); },
  });
  add_logs_commands(commands);
}

}  // namespace cli
