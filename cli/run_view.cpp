#include "run_view.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "platform.hpp"

namespace cli {

using Json = nlohmann::json;

void print_line(Context& ctx, const task::Run& run, const task::RunLogLine& l, bool flush) {
  if (ctx.out.format() == Format::json) {
    fmt::print("{}\n", Json{{"run", run_id_json(run.id)}, {"time", l.timestamp}, {"stream", l.stream}, {"text", l.text}}.dump(-1, ' ', false, Json::error_handler_t::replace));
  } else {
    std::string time = l.timestamp.size() >= 23 ? l.timestamp.substr(0, 23) + "Z" : l.timestamp;
    std::string text = l.stream == "err"    ? ctx.out.paint(Style::failure, l.text)
                       : l.stream == "task" ? ctx.out.paint(Style::warning, "task: " + l.text)
                                            : l.text;
    fmt::print("{}  {}\n", ctx.out.paint(Style::muted, time), text);
  }
  if (flush) std::fflush(stdout);
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

}  // namespace cli
