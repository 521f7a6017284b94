// runs, run, logs.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "command.hpp"
#include "platform.hpp"
#include "task/agent.hpp"
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
  int run_id = 0;
  int build_id = 0;
  std::string since;
  int tail = -1;
  bool events = false;
};

task::Timestamp now_ms(Context& ctx) { return std::chrono::time_point_cast<std::chrono::milliseconds>(ctx.now()); }

// The deployment of the project here in the environment.
task::Result<task::DeploymentRecord> project_deployment(task::Store& store, const std::string& env_name) {
  auto config = task::load_project(fs::current_path());
  if (!config) return std::unexpected(config.error());
  auto env = resolve_env(store, env_name);
  if (!env) return std::unexpected(env.error());
  return store.get_deployment(config->name, env->name);
}

task::Result<void> run_runs(Context& ctx, const RunsFlags& o) {
  if (o.limit < 1) return task::fail(task::Errc::usage, "--limit must be at least 1");
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  std::string task_name;
  if (auto config = task::load_project(fs::current_path())) task_name = config->name;
  std::string env_name = o.env;
  if (!env_name.empty()) {
    if (auto env = (*store)->get_environment(env_name); !env) return std::unexpected(env.error());
  }
  auto runs = (*store)->list_runs(task_name, env_name, static_cast<std::size_t>(o.limit));
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
      table.add({std::to_string(r.id), r.task, r.env, rfc3339(r.scheduled_at), late,
                 r.started_at && r.finished_at ? short_duration(*r.finished_at - *r.started_at) : "-",
                 ctx.out.paint(outcome_style(task::to_string(r.outcome)), task::to_string(r.outcome)),
                 r.exit_code ? std::to_string(*r.exit_code) : "-", std::string(task::to_string(r.trigger)),
                 std::to_string(r.attempt)});
    }
    table.render(out, ctx.out);
  });
  return {};
}

// Prints a run's log lines from byte `offset` on; returns the new offset (only whole
// lines are consumed).
struct LogPrinter {
  Context& ctx;
  bool json_lines = false;

  void line(const task::RunRecord& run, const task::RunLogLine& l) const {
    if (json_lines) {
      fmt::print("{}\n", Json{{"run", run.id}, {"time", l.timestamp}, {"stream", l.stream}, {"text", l.text}}.dump());
    } else {
      std::string time = l.timestamp.size() >= 23 ? l.timestamp.substr(0, 23) + "Z" : l.timestamp;
      std::string text = l.stream == "err"    ? ctx.out.paint(Style::failure, l.text)
                         : l.stream == "task" ? ctx.out.paint(Style::warning, "task: " + l.text)
                                              : l.text;
      fmt::print("{}  {}\n", ctx.out.paint(Style::muted, time), text);
    }
    std::fflush(stdout);
  }

  std::size_t from(const task::RunRecord& run, std::size_t offset) const {
    std::ifstream in(run.log_path, std::ios::binary);
    if (!in) return offset;
    in.seekg(static_cast<std::streamoff>(offset));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t at = 0;
    for (;;) {
      auto nl = chunk.find('\n', at);
      if (nl == std::string::npos) break;
      line(run, task::parse_run_log_line(std::string_view(chunk).substr(at, nl - at)));
      at = nl + 1;
    }
    return offset + at;
  }
};

// Started, or decided without starting (skipped): a run made ahead of its fire time has
// not begun until then.
bool has_begun(const task::RunRecord& r) { return r.started_at.has_value() || task::is_finished(r.outcome); }

std::string run_header(Context& ctx, const task::RunRecord& r) {
  return ctx.out.paint(Style::bold, fmt::format("── run {} of {} in {} · {} · scheduled {} ──", r.id, r.task, r.env,
                                                task::to_string(r.trigger), rfc3339(r.scheduled_at)));
}

std::string run_footer(Context& ctx, const task::RunRecord& r) {
  std::string text = fmt::format("── run {} {}", r.id, task::to_string(r.outcome));
  if (r.exit_code) text += fmt::format(" (exit code {})", *r.exit_code);
  if (r.started_at && r.finished_at) text += " in " + short_duration(*r.finished_at - *r.started_at);
  if (!r.error.empty() && r.outcome != task::RunOutcome::failed) text += ": " + r.error;
  return ctx.out.paint(outcome_style(task::to_string(r.outcome)), text + " ──");
}

// Follows `run` until it finishes; with `next_runs`, then every newer run of the
// deployment as it starts, until Ctrl-C.
task::Result<void> follow(Context& ctx, task::Store& store, task::RunRecord run, std::size_t offset, bool next_runs) {
  LogPrinter printer{ctx, ctx.out.format() == Format::json};
  const bool people = ctx.out.format() == Format::table;
  auto last_check = std::chrono::steady_clock::now() - 1s;
  while (!ctx.interrupted()) {
    offset = printer.from(run, offset);
    if (std::chrono::steady_clock::now() - last_check >= 200ms) {
      last_check = std::chrono::steady_clock::now();
      auto fresh = store.get_run(run.id);
      if (fresh && task::is_finished(fresh->outcome)) {
        offset = printer.from(*fresh, offset);  // what came before the outcome
        if (people) fmt::print("{}\n", run_footer(ctx, *fresh));
        std::fflush(stdout);
        if (!next_runs) return {};
        // Wait for the next run of this deployment.
        for (;;) {
          if (ctx.interrupted()) return {};
          // The oldest newer run that has begun: none is passed over.
          auto newer = store.list_runs(run.task, run.env, 20);
          const task::RunRecord* next = nullptr;
          if (newer) {
            for (auto it = newer->rbegin(); it != newer->rend() && next == nullptr; ++it) {
              if (it->id > run.id && has_begun(*it)) next = &*it;
            }
          }
          if (next != nullptr) {
            run = *next;
            offset = 0;
            if (people) fmt::print("{}\n", run_header(ctx, run));
            break;
          }
          std::this_thread::sleep_for(10ms);
        }
        continue;
      }
    }
    std::this_thread::sleep_for(10ms);
  }
  return {};
}

task::Result<void> run_logs(Context& ctx, const RunsFlags& o) {
  if (o.build_id > 0) return show_build_log(ctx, o.build_id);
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  if (o.events) {
    std::string task_name, env_name;
    if (auto config = task::load_project(fs::current_path())) task_name = config->name;
    if (!o.env.empty()) env_name = o.env;
    auto events = (*store)->list_events(task_name, env_name, o.tail > 0 ? static_cast<std::size_t>(o.tail) : 200);
    if (!events) return std::unexpected(events.error());
    Json list = Json::array();
    for (const auto& e : *events) {
      list.push_back({{"id", e.id}, {"task", e.task}, {"env", e.env}, {"at", rfc3339_ms(e.at)}, {"kind", e.kind},
                      {"message", e.message}});
    }
    ctx.out.emit({{"events", list}}, [&](std::string& out) {
      for (const auto& e : *events) {
        out += fmt::format("{}  {:<10} {}\n", ctx.out.paint(Style::muted, rfc3339(e.at)), e.kind, e.message);
      }
    });
    return {};
  }
  // A project that was built but never deployed: its latest build's log.
  if (o.run_id == 0 && !o.follow) {
    if (auto d = project_deployment(**store, o.env); !d && d.error().code == task::Errc::not_found) {
      if (auto config = task::load_project(fs::current_path()); config && (*store)->latest_build(config->name, false)) {
        return show_build_log(ctx, 0);
      }
    }
  }
  task::Result<task::RunRecord> run = [&]() -> task::Result<task::RunRecord> {
    if (o.run_id > 0) return (*store)->get_run(o.run_id);
    auto d = project_deployment(**store, o.env);
    if (!d) return std::unexpected(d.error());
    auto runs = (*store)->list_runs(d->task, d->env, 20);
    if (!runs) return std::unexpected(runs.error());
    for (const auto& r : *runs) {
      if (r.started_at) return r;
    }
    if (o.follow) {
      task::RunRecord none;  // id 0: wait for the first run
      none.deployment_id = d->id;
      none.task = d->task;
      none.env = d->env;
      return none;
    }
    return task::fail(task::Errc::not_found, fmt::format("{} in {} has no runs yet", d->task, d->env),
                      "`task logs -f` waits for the first; `task status` shows when it is due");
  }();
  if (!run) return std::unexpected(run.error());

  // What is already there, filtered by --since and --tail.
  std::vector<task::RunLogLine> lines;
  std::size_t offset = 0;
  if (run->id > 0) {
    std::ifstream in(run->log_path, std::ios::binary);
    if (!in && run->log_pruned) {
      return task::fail(task::Errc::not_found, fmt::format("the log of run {} was removed by the history limits", run->id),
                        "task.yaml's run.history sets how many logs are kept; the run's record stays in "
                        "`task runs` and `task stats`");
    }
    if (!in && task::is_finished(run->outcome) && run->outcome != task::RunOutcome::skipped) {
      return task::fail(task::Errc::not_found, fmt::format("the log of run {} is gone", run->id),
                        "logs are kept within the history limits of task.yaml's run.history");
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    std::string since_text;
    if (!o.since.empty()) {
      auto d = task::parse_duration(o.since);
      if (!d) return task::fail(task::Errc::usage, fmt::format("--since `{}` is not a duration", o.since), "e.g. --since 10m");
      since_text = rfc3339_ms(now_ms(ctx) - *d);
    }
    std::size_t at = 0;
    while (at < offset) {
      auto nl = text.find('\n', at);
      auto l = task::parse_run_log_line(std::string_view(text).substr(at, nl - at));
      if (since_text.empty() || l.timestamp.substr(0, 23) >= since_text.substr(0, 23)) lines.push_back(std::move(l));
      at = nl + 1;
    }
    if (o.tail >= 0 && lines.size() > static_cast<std::size_t>(o.tail)) {
      lines.erase(lines.begin(), lines.end() - o.tail);
    }
  }
  if (!o.follow) {
    Json list = Json::array();
    for (const auto& l : lines) list.push_back({{"time", l.timestamp}, {"stream", l.stream}, {"text", l.text}});
    if (ctx.out.format() != Format::table) {
      ctx.out.emit({{"run", run_json(*run)}, {"lines", list}}, [](std::string&) {});
      return {};
    }
    LogPrinter printer{ctx, false};
    for (const auto& l : lines) printer.line(*run, l);
    if (!task::is_finished(run->outcome)) ctx.out.note(fmt::format("run {} is still {}; `task logs -f` follows it", run->id,
                                                                   task::to_string(run->outcome)));
    return {};
  }
  LogPrinter printer{ctx, ctx.out.format() == Format::json};
  if (run->id > 0) {
    if (ctx.out.format() == Format::table) fmt::print("{}\n", run_header(ctx, *run));
    for (const auto& l : lines) printer.line(*run, l);
    return follow(ctx, **store, *run, offset, o.run_id == 0);
  }
  // No run yet: wait for the first.
  ctx.out.note(fmt::format("waiting for the first run of {} in {} (Ctrl-C to stop)", run->task, run->env));
  while (!ctx.interrupted()) {
    auto runs = (*store)->list_runs(run->task, run->env, 1);
    if (runs && !runs->empty() && has_begun(runs->front())) {
      if (ctx.out.format() == Format::table) fmt::print("{}\n", run_header(ctx, runs->front()));
      return follow(ctx, **store, runs->front(), 0, true);
    }
    std::this_thread::sleep_for(50ms);
  }
  return {};
}

task::Result<void> run_now(Context& ctx, const RunsFlags& o) {
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto d = project_deployment(**store, o.env);
  if (!d) return std::unexpected(d.error());
  auto env = (*store)->get_environment(d->env);
  if (!env) return std::unexpected(env.error());
  task::NewRun request;
  request.deployment_id = d->id;
  request.revision = d->revision.number;
  request.scheduled_at = now_ms(ctx);
  request.trigger = task::RunTrigger::manual;
  request.outcome = task::RunOutcome::pending;
  request.forced = o.force;
  auto run = (*store)->add_run(request, now_ms(ctx));
  if (!run) return std::unexpected(run.error());
  ensure_agent(ctx, *env);
  ctx.out.note(fmt::format("run {} of {} in {} requested", run->id, d->task, d->env));
  if (!o.wait && !o.follow) {
    ctx.out.emit({{"run", run_json(*run)}}, [&](std::string& out) {
      out += fmt::format("{} run {}: `task logs --run {} -f` follows it\n", ctx.out.paint(Style::success, "Requested"),
                         run->id, run->id);
    });
    return {};
  }
  // Wait for the agent to start it (or skip it), then follow or wait for its outcome.
  task::RunRecord current = *run;
  while (!ctx.interrupted() && current.outcome == task::RunOutcome::pending) {
    std::this_thread::sleep_for(20ms);
    if (auto fresh = (*store)->get_run(run->id)) current = *fresh;
  }
  if (o.follow && !task::is_finished(current.outcome)) {
    if (ctx.out.format() == Format::table) fmt::print("{}\n", run_header(ctx, current));
    if (auto r = follow(ctx, **store, current, 0, false); !r) return r;
  } else {
    while (!ctx.interrupted() && !task::is_finished(current.outcome)) {
      std::this_thread::sleep_for(50ms);
      if (auto fresh = (*store)->get_run(run->id)) current = *fresh;
    }
  }
  if (ctx.interrupted()) return task::fail(task::Errc::interrupted, fmt::format("stopped waiting for run {}; it goes on", run->id));
  if (auto fresh = (*store)->get_run(run->id)) current = *fresh;
  if (!o.follow || ctx.out.format() != Format::table) {
    ctx.out.emit({{"run", run_json(current)}}, [&](std::string& out) { out += run_footer(ctx, current) + "\n"; });
  }
  if (current.outcome != task::RunOutcome::succeeded) {
    return task::fail(task::Errc::failure,
                      fmt::format("run {} {}{}", current.id, task::to_string(current.outcome),
                                  current.error.empty() ? "" : ": " + current.error),
                      fmt::format("`task logs --run {}` shows its output", current.id));
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
