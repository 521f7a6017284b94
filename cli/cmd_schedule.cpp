#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "task/schedule.hpp"

namespace cli {

namespace {

struct ScheduleOptions {
  std::string expression;
  std::string timezone;
  std::string from;
  int count = 5;
};

struct Resolved {
  task::Schedule schedule;
  task::Instant from;
};

task::Result<Resolved> resolve(const Context& ctx, const ScheduleOptions& o) {
  auto schedule = task::parse_schedule(o.expression, o.timezone);
  if (!schedule) return std::unexpected(schedule.error());
  task::Instant from = std::chrono::floor<std::chrono::seconds>(ctx.now());
  if (!o.from.empty()) {
    auto parsed = task::parse_rfc3339(o.from);
    if (!parsed) return std::unexpected(parsed.error());
    from = *parsed;
  }
  return Resolved{*schedule, from};
}

nlohmann::json fire_times_json(const Resolved& r, std::size_t count) {
  // An interval is anchored where the listing starts, as a deploy anchors it.
  auto times = task::next_fire_times(r.schedule, r.from, count, r.from);
  nlohmann::json list = nlohmann::json::array();
  for (auto t : times) list.push_back(task::format_rfc3339(t, r.schedule));
  return list;
}

task::Result<void> run_next(Context& ctx, const ScheduleOptions& o) {
  if (o.count < 1 || o.count > 10000) {
    return task::fail(task::Errc::usage, fmt::format("--count {} is out of range", o.count), "give 1 to 10000");
  }
  auto r = resolve(ctx, o);
  if (!r) return std::unexpected(r.error());
  auto times = fire_times_json(*r, static_cast<std::size_t>(o.count));
  // The contract for scripts: a bare JSON array of RFC 3339 strings.
  ctx.out.emit(times, [&](std::string& out) {
    for (const auto& t : times) out += t.get<std::string>() + "\n";
  });
  if (times.empty()) ctx.out.note("no fire time left after " + task::format_rfc3339(r->from, r->schedule));
  return {};
}

task::Result<void> run_explain(Context& ctx, const ScheduleOptions& o) {
  auto r = resolve(ctx, o);
  if (!r) return std::unexpected(r.error());
  auto description = task::describe(r->schedule);
  auto times = fire_times_json(*r, 5);
  nlohmann::json data{{"schedule", r->schedule.text()},
                      {"timezone", r->schedule.timezone()},
                      {"kind", r->schedule.is_interval() ? "interval" : "cron"},
                      {"expression", r->schedule.expression()},
                      {"description", description},
                      {"next", times}};
  ctx.out.emit(data, [&](std::string& out) {
    out += ctx.out.paint(Style::bold, description) + "\n";
    out += ctx.out.paint(Style::muted, "next:") + "\n";
    for (const auto& t : times) out += "  " + t.get<std::string>() + "\n";
  });
  return {};
}

std::vector<Flag> common_flags(ScheduleOptions& o) {
  return {{"--timezone,--tz", "TZ", "IANA time zone the schedule runs in (default: UTC, or its CRON_TZ= prefix)",
           &o.timezone},
          {"--from", "INSTANT", "Start after this RFC 3339 instant instead of now, e.g. 2026-03-29T00:00:00Z",
           &o.from}};
}

}  // namespace

void add_schedule_commands(Commands& commands) {
  commands.push_back({
      .words = {"schedule"},
      .summary = "Check schedules: their next fire times and their meaning in words",
      .description =
          "Schedules are cron expressions of 5 fields (minute hour day-of-month month day-of-week) or "
          "6 (with leading seconds), the macros @yearly @monthly @weekly @daily @hourly, or intervals "
          "such as `@every 90s` and `every 2h30m`; a `CRON_TZ=Europe/Berlin` prefix or --timezone sets "
          "the zone. When both day fields are restricted, a day matching either fires. The day fields also "
          "take Quartz's extensions as items: day of month `L` (the last day), `L-3` (three days before "
          "it), `15W` (the weekday nearest the 15th, within its month) and `LW` (the last weekday); day of "
          "week `5L` (the month's last Friday) and `5#3` (its third Friday), names too (`FRIL`, `FRI#3`). "
          "They choose days only: the times on those days follow the same daylight-saving rule as any "
          "other. A Kubernetes environment refuses them by name (a CronJob has 5-field cron only).",
  });
  auto next = std::make_shared<ScheduleOptions>();
  auto next_flags = common_flags(*next);
  next_flags.push_back({"-n,--count", "N", "How many fire times to print (default 5)", &next->count});
  commands.push_back({
      .words = {"schedule", "next"},
      .summary = "Print the next fire times of a schedule",
      .description = "One RFC 3339 instant per line, with the offset of the schedule's zone; with -o json, a "
                     "JSON array of strings (empty when no time is left).",
      .args = {{"SCHEDULE", "A cron expression, macro or interval; quote it", &next->expression}},
      .flags = next_flags,
      .examples = {{"task schedule next \"*/5 * * * *\"", ""},
                   {"task schedule next \"30 2 * * *\" --timezone Europe/Berlin --from 2026-03-28T00:00:00Z -n 3",
                    "across a daylight-saving change"},
                   {"task schedule next @hourly -o json", "a JSON array of strings"}},
      .run = [next](Context& ctx) { return run_next(ctx, *next); },
  });
  auto explain = std::make_shared<ScheduleOptions>();
  commands.push_back({
      .words = {"schedule", "explain"},
      .summary = "Say a schedule in words and show its next five fire times",
      .args = {{"SCHEDULE", "A cron expression, macro or interval; quote it", &explain->expression}},
      .flags = common_flags(*explain),
      .examples = {{"task schedule explain \"0 */2 * * *\"", "At minute 0 past every 2nd hour"},
                   {"task schedule explain \"CRON_TZ=Europe/Berlin 30 9 * * 1-5\"", ""},
                   {"task schedule explain \"0 18 * * 5L\"", "At 18:00 on the last Friday of the month"}},
      .run = [explain](Context& ctx) { return run_explain(ctx, *explain); },
  });
}

}  // namespace cli
