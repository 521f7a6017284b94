// status: every deployment at a glance.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "command.hpp"
#include "platform.hpp"
#include "stats_view.hpp"

namespace cli {

namespace {

using Json = nlohmann::json;

Json status_json(const task::StatusReport& report) {
  Json list = Json::array();
  for (const auto& d : report.deployments) list.push_back(deployment_json(d));
  return {{"deployments", list}, {"agent", runner_json(report.runner)}};
}

// The table for people, as of now (its ages move on).
void render(Context& ctx, const task::StatusReport& report, std::string& out) {
  const auto& deployments = report.deployments;
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
  if (!report.runner.trouble.empty() && !deployments.empty()) {
    out += ctx.out.paint(Style::failure, "platform down: " + report.runner.trouble) +
           "\n  runs falling due meanwhile are recorded as `error` (not counted against the task); the agent "
           "takes up again by itself when it is back\n";
  }
  if (!report.runner.description.empty()) {
    out += fmt::format("runs by: {}\n", report.runner.description);
  } else {
    out += report.runner.running ? fmt::format("agent: running (pid {})\n", report.runner.pid)
                                  : std::string("agent: not running; `task agent start` starts it\n");
  }
}

// A line cut to `width` columns on a terminal (a wrapped line would take two, and the
// redraw would land too low); colour sequences count for nothing and are closed.
std::string fitted(std::string_view line, std::size_t width) {
  if (display_width(line) <= width) return std::string(line);
  std::string out;
  std::size_t columns = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == 0x1b) {
      const auto end = line.find('m', i);
      out += line.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i + 1);
      i = end == std::string_view::npos ? line.size() : end;
      continue;
    }
    if ((c & 0xC0) != 0x80 && ++columns > width) break;
    out += line[i];
  }
  return out + "\x1b[0m";
}

// Drawn again where it was each time it changes: the cursor goes back up over the last
// frame and each line is overwritten (cut to the terminal's width) and cleared behind, in
// one write (no flicker). Not on a terminal (or with -o json/yaml): each new frame after
// the last. Asked again when a platform says something changed, and at least every 10 s
// (a cluster tells of its Pods, not of every change); drawn again each second for the
// ages in it, from what was read.
task::Result<void> watch_status(Context& ctx) {
  const bool live = ctx.out.format() == Format::table && ctx.out.color();
  const std::size_t width = terminal_width(ctx.env);
  ctx.out.note("redrawn as it changes; Ctrl-C to stop");
  (void)task::await_status_change(ctx.workspace(), std::chrono::milliseconds(0));  // watched from here on
  std::string shown;
  std::size_t shown_lines = 0;
  task::StatusReport report;
  auto asked = std::chrono::steady_clock::now();
  for (bool query = true; !ctx.interrupted();) {
    if (query || std::chrono::steady_clock::now() - asked >= std::chrono::seconds(10)) {
      auto fresh = task::status(ctx.workspace());
      if (!fresh) return std::unexpected(fresh.error());
      report = std::move(*fresh);
      asked = std::chrono::steady_clock::now();
    }
    std::string frame;
    if (ctx.out.format() == Format::table) {
      render(ctx, report, frame);
    } else if (ctx.out.format() == Format::yaml) {
      frame = "---\n" + to_yaml(status_json(report));
    } else {
      frame = status_json(report).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    }
    if (frame != shown) {
      std::string text;
      if (live && shown_lines > 0) text = fmt::format("\x1b[{}F", shown_lines);
      for (std::size_t at = 0; at < frame.size();) {
        auto end = frame.find('\n', at);
        if (end == std::string::npos) end = frame.size();
        const std::string_view line(frame.data() + at, end - at);
        text += live ? fitted(line, width) + "\x1b[K\n" : std::string(line) + "\n";
        at = end + 1;
      }
      if (live) text += "\x1b[J";
      if (!live && !shown.empty() && ctx.out.format() == Format::table) text = "\n" + text;
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      shown = std::move(frame);
      shown_lines = static_cast<std::size_t>(std::count(shown.begin(), shown.end(), '\n'));
    }
    query = task::await_status_change(ctx.workspace(), std::chrono::seconds(1));
  }
  return task::fail(task::Errc::interrupted, "");  // Ctrl-C: 130, quietly
}

task::Result<void> run_status(Context& ctx, bool watch) {
  if (watch) return watch_status(ctx);
  auto report = task::status(ctx.workspace());
  if (!report) return std::unexpected(report.error());
  ctx.out.emit(status_json(*report), [&](std::string& out) { render(ctx, *report, out); });
  return {};
}

}  // namespace

void add_status_commands(Commands& commands) {
  auto watch = std::make_shared<bool>(false);
  commands.push_back({
      .words = {"status"},
      .summary = "Every deployment: revision, schedule, next run, last run and success rate",
      .description = "With --watch, the table is drawn again each time a deployment or a run changes (the local "
                     "platform is told by the kernel when the agent writes, a cluster watches its Pods; "
                     "otherwise it asks again every 10 s), and each second for its ages; with -o json, a "
                     "document per change, one per line (-o yaml: one per change after `---`).",
      .flags = {{"-w,--watch", "", "Draw it again as it changes, until Ctrl-C", watch.get()}},
      .examples = {{"task status", ""},
                   {"task status --watch", "a live table"},
                   {"task status -o json | jq '.deployments[] | {task, env, next_run}'", ""}},
      .run = [watch](Context& ctx) { return run_status(ctx, *watch); },
  });
}

}  // namespace cli
