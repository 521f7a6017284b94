// runs, run, logs.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "task/duration.hpp"
#include "task/project.hpp"

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
  std::string run_id;
  int build_id = 0;
  std::string since;
  int tail = -1;
  bool events = false;
};

task::Result<void> run_runs(Context& ctx, const RunsFlags& o) {
  if (o.limit < 1) return task::fail(task::Errc::usage, "--limit must be at least 1");
  auto runs = task::list_runs(ctx.workspace(), {project_task(), o.env, static_cast<std::size_t>(o.limit)});
  if (!runs) return std::unexpected(runs.error());
  Json list = Json::array();
  for (const auto& r : *runs) list.push_back(run_json(r));
  ctx.out.emit({{"runs", list}}, [&](std::string& out) {
    if (runs->empty()) {
      out += "no runs yet: deploy with `task deploy --interval SCHEDULE`, or start one with `task run`\n";
      return;
    }
    Table table({"RUN", "TASK", "ENV", "SCHEDULED", "LATE", "DURATION", "OUTCOME", "EXIT", "TRIGGER", "ATTEMPT"});
    for (const auto& r : *runs) {
      std::string late = "-";
      if (r.started_at) late = fmt::format("+{}", short_duration(*r.started_at - r.scheduled_at));
      table.add({r.id, r.task, r.env, rfc3339(r.scheduled_at), late,
                 r.started_at && r.finished_at ? short_duration(*r.finished_at - *r.started_at) : "-",
                 ctx.out.paint(outcome_style(task::to_string(r.outcome)), task::to_string(r.outcome)),
                 r.exit_code ? std::to_string(*r.exit_code) : "-", std::string(task::to_string(r.trigger)),
                 std::to_string(r.attempt)});
    }
    table.render(out, ctx.out);
  });
  return {};
}

void print_line(Context& ctx, const task::Run& run, const task::RunLogLine& l) {
  if (ctx.out.format() == Format::json) {
    fmt::print("{}\n", Json{{"run", run_id_json(run.id)}, {"time", l.timestamp}, {"stream", l.stream}, {"text", l.text}}.dump());
  } else {
    std::string time = l.timestamp.size() >= 23 ? l.timestamp.substr(0, 23) + "Z" : l.timestamp;
    std::string text = l.stream == "err"    ? ctx.out.paint(Style::failure, l.text)
                       : l.stream == "task" ? ctx.out.paint(Style::warning, "task: " + l.text)
                                            : l.text;
    fmt::print("{}  {}\n", ctx.out.paint(Style::muted, time), text);
  }
  std::fflush(stdout);
}

std::string run_header(Context& ctx, const task::Run& r) {
  return ctx.out.paint(Style::bold, fmt::format("── run {} of {} in {} · {} · scheduled {} ──", r.id, r.task, r.env,
                                                task::to_string(r.trigger), rfc3339(r.scheduled_at)));
}

std::string run_footer(Context& ctx, const task::Run& r) {
  std::string text = fmt::format("── run {} {}", r.id, task::to_string(r.outcome));
  if (r.exit_code) text += fmt::format(" (exit code {})", *r.exit_code);
  if (r.started_at && r.finished_at) text += " in " + short_duration(*r.finished_at - *r.started_at);
  if (!r.error.empty() && r.outcome != task::RunOutcome::failed) text += ": " + r.error;
  return ctx.out.paint(outcome_style(task::to_string(r.outcome)), text + " ──");
}

task::LogObserver observer(Context& ctx) {
  const bool people = ctx.out.format() == Format::table;
  task::LogObserver o;
  o.started = [&ctx, people](const task::Run& r) {
    if (people) fmt::print("{}\n", run_header(ctx, r));
    std::fflush(stdout);
  };
  o.line = [&ctx](const task::Run& r, const task::RunLogLine& l) { print_line(ctx, r, l); };
  o.finished = [&ctx, people](const task::Run& r) {
    if (people) fmt::print("{}\n", run_footer(ctx, r));
    std::fflush(stdout);
  };
  o.stop = ctx.interrupted;
  return o;
}

task::Result<void> run_events(Context& ctx, const RunsFlags& o) {
  // Every platform's event log, or the environment's.
  std::vector<task::Platform*> platforms;
  if (!o.env.empty()) {
    auto env = ctx.workspace().environment(o.env);
    if (!env) return std::unexpected(env.error());
    auto p = ctx.workspace().platform(*env);
    if (!p) return std::unexpected(p.error());
    platforms.push_back(*p);
  } else if (auto all = ctx.workspace().platforms()) {
    platforms = std::move(*all);
  } else {
    return std::unexpected(all.error());
  }
  std::vector<task::Event> events;
  for (auto* p : platforms) {
    auto some = p->events(project_task(), o.env, o.tail > 0 ? static_cast<std::size_t>(o.tail) : 200);
    if (!some) return std::unexpected(some.error());
    events.insert(events.end(), some->begin(), some->end());
  }
  Json list = Json::array();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    list.push_back({{"id", i + 1}, {"task", e.task}, {"env", e.env}, {"at", rfc3339_ms(e.at)}, {"kind", e.kind},
                    {"message", e.message}});
  }
  ctx.out.emit({{"events", list}}, [&](std::string& out) {
    for (const auto& e : events) out += fmt::format("{}  {:<10} {}\n", ctx.out.paint(Style::muted, rfc3339(e.at)), e.kind, e.message);
  });
  return {};
}

task::Result<void> run_logs(Context& ctx, const RunsFlags& o) {
  if (o.build_id > 0) return show_build_log(ctx, o.build_id);
  if (o.events) return run_events(ctx, o);
  task::LogQuery query;
  query.env = o.env;
  query.run = o.run_id;
  query.wait_for_first = o.follow;
  if (o.run_id.empty()) {
    auto name = required_project_task();
    if (!name) return std::unexpected(name.error());
    query.task = *name;
  }
  if (!o.since.empty()) {
    auto d = task::parse_duration(o.since);
    if (!d) return task::fail(task::Errc::usage, fmt::format("--since `{}` is not a duration", o.since), "e.g. --since 10m");
    query.since = ctx.now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  if (o.tail >= 0) query.tail = static_cast<std::size_t>(o.tail);
  auto log = task::read_run_log(ctx.workspace(), query);
  if (!log && log.error().code == task::Errc::not_found && o.run_id.empty() && !o.follow) {
    // A project that was built but never deployed: its latest build's log.
    auto at = task::locate(ctx.workspace(), query.task, o.env);
    if (at) {
      auto current = at->platform->current(at->key);
      auto builds = ctx.workspace().builds();
      if (current && !current->deployment && builds && (*builds)->latest_build(query.task, false)) {
        return show_build_log(ctx, 0);
      }
    }
  }
  if (!log) return std::unexpected(log.error());
  if (!o.follow) {
    const auto& run = *log->run;
    if (ctx.out.format() != Format::table) {
      Json list = Json::array();
      for (const auto& l : log->lines) list.push_back({{"time", l.timestamp}, {"stream", l.stream}, {"text", l.text}});
      ctx.out.emit({{"run", run_json(run)}, {"lines", list}}, [](std::string&) {});
      return {};
    }
    for (const auto& l : log->lines) print_line(ctx, run, l);
    if (!task::is_finished(run.outcome)) {
      ctx.out.note(fmt::format("run {} is still {}; `task logs -f` follows it", run.id, task::to_string(run.outcome)));
    }
    return {};
  }
  const auto watch = observer(ctx);
  if (log->run) {
    watch.started(*log->run);
    for (const auto& l : log->lines) print_line(ctx, *log->run, l);
  } else {
    ctx.out.note(fmt::format("waiting for the first run of {} in {} (Ctrl-C to stop)", log->key.task, log->key.env));
  }
  return task::follow_run_log(std::move(*log), o.run_id.empty(), watch);
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
    ctx.out.emit({{"run", run_json(run)}}, [&](std::string& out) {
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
    ctx.out.emit({{"run", run_json(*current)}}, [&](std::string& out) { out += run_footer(ctx, *current) + "\n"; });
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
      .description = "In a task project, its runs; elsewhere, the runs of every task. Newest first.",
      .flags = {{"--env", "ENV", "Only runs in this environment", &list->env},
                {"-n,--limit", "N", "Show at most N runs (default 20)", &list->limit}},
      .examples = {{"task runs", ""}, {"task runs -o json | jq '.runs[] | {id, outcome, lateness_ms}'", ""}},
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
  auto logs = std::make_shared<RunsFlags>();
  commands.push_back({
      .words = {"logs"},
      .summary = "Show logs: of the latest run (default), a run, a build, or the deployment events",
      .description = "Each line carries the instant the engine received it. With -f, follows the running run and "
                     "every new run as it starts, until Ctrl-C. The logs of finished runs stay available after their "
                     "containers are gone, within the history limits.",
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &logs->env},
                {"--run", "ID", "The run whose log to show (see `task runs`)", &logs->run_id},
                {"--build", "ID", "The build whose log to show (see `task builds`)", &logs->build_id},
                {"-f,--follow", "", "Follow new output and new runs until Ctrl-C", &logs->follow},
                {"--since", "DURATION", "Only lines from the last DURATION (e.g. 10m)", &logs->since},
                {"--tail", "N", "Only the last N lines", &logs->tail},
                {"--events", "", "The deployment event log instead: deploys, suspends, missed runs, failure notices", &logs->events}},
      .examples = {{"task logs", "the latest run's output"},
                   {"task logs -f", "follow every run as it happens"},
                   {"task logs --run 12 --tail 20", ""},
                   {"task logs --build 3", "a build's log"},
                   {"task logs --events", ""}},
      .run = [logs](Context& ctx) { return run_logs(ctx, *logs); },
  });
}

}  // namespace cli
