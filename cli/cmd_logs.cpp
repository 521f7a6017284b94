// logs: of the latest run, a run, a build, or the deployment events.
#include <cstdio>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "json_stream.hpp"
#include "platform.hpp"
#include "run_view.hpp"
#include "task/duration.hpp"

namespace cli {

namespace {

using Json = nlohmann::json;

struct RunsFlags {
  std::string env;
  bool follow = false;
  std::string run_id;
  int build_id = 0;
  std::string since;
  int tail = -1;
  bool events = false;
  std::string grep;
};

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
  for (const auto& e : events) {
    list.push_back({{"id", run_id_json(e.id)}, {"task", e.task}, {"env", e.env}, {"at", rfc3339_ms(e.at)}, {"kind", e.kind},
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
  std::optional<std::regex> grep;
  if (!o.grep.empty()) {
    try {
      grep.emplace(o.grep, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return task::fail(task::Errc::usage, fmt::format("--grep `{}` is not a regular expression: {}", o.grep, e.what()),
                        "e.g. --grep 'error|timeout' (ECMAScript syntax)");
    }
    query.keep = [&grep](const task::RunLogLine& l) { return std::regex_search(l.text, *grep); };
  }
  // A log of any size is written as it is read: lines as text, or the JSON document
  // {"lines": […], "run": {…}} (the layout of -o json everywhere) one line at a time.
  std::optional<JsonStream> json;
  // Which run this is, on standard error above its lines: run, task, environment,
  // trigger and outcome (and the error of one that did not succeed).
  bool headed = false;
  auto header = [&](const task::Run& r) {
    if (headed) return;
    headed = true;
    std::string outcome(task::to_string(r.outcome));
    if (r.exit_code) outcome += fmt::format(" (exit code {})", *r.exit_code);
    ctx.out.note(ctx.out.paint_err(Style::muted,
                                   fmt::format("run {} of {} in {} · {} · {} · due {}{}", r.id, r.task, r.env,
                                               task::to_string(r.trigger), outcome, rfc3339(r.scheduled_at),
                                               r.error.empty() || r.outcome == task::RunOutcome::succeeded
                                                   ? ""
                                                   : " · " + r.error)));
  };
  if (!o.follow && ctx.out.format() == Format::table) {
    query.each = [&ctx, &header](const task::Run& r, const task::RunLogLine& l) {
      header(r);
      print_line(ctx, r, l, false);
    };
  } else if (!o.follow && ctx.out.format() == Format::json && o.tail < 0) {
    json.emplace(stdout);
    query.each = [&json](const task::Run&, const task::RunLogLine& l) {
      json->item({{"time", l.timestamp}, {"stream", l.stream}, {"text", l.text}});
    };
  }
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
    if (json) {
      json->close(run_json(run));
      return {};
    }
    if (ctx.out.format() != Format::table) {
      Json list = Json::array();
      for (const auto& l : log->lines) list.push_back({{"time", l.timestamp}, {"stream", l.stream}, {"text", l.text}});
      ctx.out.emit({{"run", run_json(run)}, {"lines", list}}, [](std::string&) {});
      return {};
    }
    header(run);
    for (const auto& l : log->lines) print_line(ctx, run, l);
    if (!task::is_finished(run.outcome)) {
      ctx.out.note(fmt::format("run {} is still {}; `task logs -f` follows it", run.id, task::to_string(run.outcome)));
    }
    return {};
  }
  auto watch = observer(ctx);
  if (grep) {
    watch.line = [&grep, line = watch.line](const task::Run& r, const task::RunLogLine& l) {
      if (std::regex_search(l.text, *grep)) line(r, l);
    };
  }
  if (log->run) {
    watch.started(*log->run);
    for (const auto& l : log->lines) print_line(ctx, *log->run, l);
  } else {
    ctx.out.note(fmt::format("waiting for the first run of {} in {} (Ctrl-C to stop)", log->key.task, log->key.env));
  }
  auto followed = task::follow_run_log(std::move(*log), o.run_id.empty(), watch);
  if (followed && ctx.interrupted()) return task::fail(task::Errc::interrupted, "");  // Ctrl-C: 130, quietly
  return followed;
}

}  // namespace

void add_logs_commands(Commands& commands) {
  auto logs = std::make_shared<RunsFlags>();
  commands.push_back({
      .words = {"logs"},
      .summary = "Show logs: of the latest run (default), a run, a build, or the deployment events",
      .description = "Each line carries the instant the engine received it. With -f, follows the running run and "
                     "every new run as it starts, until Ctrl-C. The logs of finished runs stay available after their "
                     "containers are gone, within the history limits.",
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &logs->env},
                {"--run", "ID", "The run whose log to show (see `task runs`)", &logs->run_id, {}, Complete::runs},
                {"--build", "ID", "The build whose log to show (see `task builds`)", &logs->build_id, {}, Complete::builds},
                {"-f,--follow", "", "Follow new output and new runs until Ctrl-C", &logs->follow},
                {"--since", "DURATION", "Only lines from the last DURATION (e.g. 10m)", &logs->since},
                {"--tail", "N", "Only the last N lines", &logs->tail},
                {"--grep", "REGEX", "Only lines matching REGEX (ECMAScript), also when following", &logs->grep},
                {"--events", "", "The deployment event log instead: deploys, suspends, missed runs, failure notices", &logs->events}},
      .examples = {{"task logs", "the latest run's output"},
                   {"task logs -f", "follow every run as it happens"},
                   {"task logs --run 12 --tail 20", ""},
                   {"task logs --grep 'error|timeout' --tail 5", "the last five lines that match"},
                   {"task logs --build 3", "a build's log"},
                   {"task logs --events", ""}},
      .run = [logs](Context& ctx) { return run_logs(ctx, *logs); },
  });
}

}  // namespace cli
