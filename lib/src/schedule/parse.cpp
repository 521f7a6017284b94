// parse_schedule: the time-zone prefix, macros, intervals and cron fields, and the checks that
// turn a schedule that could never fire into an error instead of a silent search.
#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <optional>

#include "schedule/field.hpp"
#include "schedule/internals.hpp"
#include "schedule/interval.hpp"
#include "schedule/zone_rules.hpp"
#include "task/schedule.hpp"

namespace task {
namespace {

using schedule_detail::Field;

constexpr std::string_view kExamples =
    "write 5 cron fields (minute hour day-of-month month day-of-week) such as \"*/5 * * * *\", "
    "a macro such as @daily, or an interval such as @every 5m";

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_blanks(std::string_view s) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !is_blank(s[i])) ++i;
    if (i > start) tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::unexpected<Error> invalid(std::string message, std::string hint = {}) {
  return fail(Errc::invalid_input, std::move(message), std::move(hint));
}

struct Body {
  std::string expression;
  CronFields fields;
  std::chrono::seconds period{0};
};

Result<Body> parse_interval(std::string_view duration) {
  auto parts = schedule_detail::parse_duration(duration);
  if (!parts) return invalid(parts.error(), "for example @every 90s, @every 5m or every 2h30m");
  return Body{
      std::string(duration), {}, std::chrono::seconds{schedule_detail::total_seconds(*parts)}};
}

// A day of the month that none of the chosen months has makes a schedule that never fires.
std::optional<Error> never_fires(const CronFields& f, std::string_view dom_text,
                                 std::string_view month_text) {
  if (!f.day_of_month_restricted || f.day_of_week_restricted || !f.day_of_month_rules.empty()) return std::nullopt;
  int longest = 0;
  int longest_month = 0;
  for (int m = 1; m <= 12; ++m) {
    if (((f.months >> m) & 1u) == 0) continue;
    const int length = m == 2 ? 29 : schedule_detail::days_in_month(2001, m);
    if (length > longest) {
      longest = length;
      longest_month = m;
    }
  }
  const int first_day = std::countr_zero(f.days_of_month);
  if (first_day <= longest) return std::nullopt;
  const bool one_month = std::popcount(f.months) == 1;
  const std::string reason =
      one_month ? std::string(schedule_detail::month_name(longest_month)) + " has at most " +
                      std::to_string(longest) + " days"
                : "none of the chosen months has more than " + std::to_string(longest) + " days";
  return Error{Errc::invalid_input,
               "day-of-month field " + quoted(dom_text) + " and month field " + quoted(month_text) +
                   ": the schedule can never fire, " + reason,
               "pick a day that exists in the month (a day some chosen months lack is "
               "skipped in those months only)"};
}

Result<Body> parse_cron(const std::vector<std::string_view>& tokens) {
  if (tokens.size() != 5 && tokens.size() != 6) {
    std::string hint(kExamples);
    if (tokens.size() == 7) hint = "a trailing year field is not supported; " + hint;
    if (tokens.size() == 1 && !tokens[0].empty() && tokens[0][0] >= '0' && tokens[0][0] <= '9' &&
        schedule_detail::parse_duration(tokens[0]))
      hint = "for a fixed period write @every " + std::string(tokens[0]);
    return invalid(
        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with "
        "a leading second field), found " +
            std::to_string(tokens.size()),
        std::move(hint));
  }
  const bool six = tokens.size() == 6;
  static constexpr std::array<Field, 6> kOrder = {Field::second, Field::minute,
                                                  Field::hour,   Field::day_of_month,
                                                  Field::month,  Field::day_of_week};
  std::array<schedule_detail::ParsedField, 6> parsed;
  parsed[0].bits = 1;  // five fields: second 0
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Field field = kOrder[i + (six ? 0 : 1)];
    auto result = schedule_detail::parse_field(tokens[i], field);
    if (!result) {
      std::string hint = std::move(result.error().hint);
      if (hint.empty())
        hint = six ? "with 6 fields the first is seconds: second minute hour day-of-month month "
                     "day-of-week (a trailing year is not supported)"
                   : "the fields are: minute hour day-of-month month day-of-week";
      return invalid(std::string(schedule_detail::field_name(field)) + " field " +
                         quoted(tokens[i]) + ": " + result.error().problem,
                     std::move(hint));
    }
    parsed[static_cast<std::size_t>(field)] = std::move(*result);
  }
  Body body;
  CronFields& f = body.fields;
  f.seconds = parsed[0].bits;
  f.minutes = parsed[1].bits;
  f.hours = static_cast<std::uint32_t>(parsed[2].bits);
  f.days_of_month = static_cast<std::uint32_t>(parsed[3].bits);
  f.months = static_cast<std::uint16_t>(parsed[4].bits);
  f.days_of_week = static_cast<std::uint8_t>(parsed[5].bits);
  const std::string_view dom_text = tokens[six ? 3 : 2];
  const std::string_view dow_text = tokens[six ? 5 : 4];
  f.day_of_month_restricted = dom_text != "*" && dom_text != "?";
  f.day_of_week_restricted = dow_text != "*" && dow_text != "?";
  f.has_seconds = six;
  f.day_of_month_rules = std::move(parsed[3].rules);
  f.day_of_week_rules = std::move(parsed[5].rules);
  if (auto error = never_fires(f, dom_text, tokens[six ? 4 : 3]))
    return std::unexpected(std::move(*error));
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) body.expression += ' ';
    body.expression += tokens[i];
  }
  return body;
}

Result<Body> parse_macro(const std::vector<std::string_view>& tokens) {
  const std::string name = lowercase(tokens[0]);
  if (name == "@every") {
    if (tokens.size() != 2)
      return invalid(tokens.size() == 1 ? "@every needs a duration"
                                        : "@every takes one duration without blanks, found " +
                                              std::to_string(tokens.size() - 1) + " words",
                     "for example @every 90s, @every 5m or @every 2h30m");
    return parse_interval(tokens[1]);
  }
  struct Macro {
    std::string_view name;
    std::string_view expansion;
  };
  static constexpr std::array<Macro, 7> kMacros = {{{"@yearly", "0 0 1 1 *"},
                                                    {"@annually", "0 0 1 1 *"},
                                                    {"@monthly", "0 0 1 * *"},
                                                    {"@weekly", "0 0 * * 0"},
                                                    {"@daily", "0 0 * * *"},
                                                    {"@midnight", "0 0 * * *"},
                                                    {"@hourly", "0 * * * *"}}};
  for (const Macro& macro : kMacros) {
    if (name != macro.name) continue;
    if (tokens.size() > 1)
      return invalid("unexpected " + quoted(tokens[1]) + " after " + std::string(tokens[0]),
                     "a macro stands alone");
    return parse_cron(split_blanks(macro.expansion));
  }
  if (name == "@reboot")
    return invalid("@reboot is not supported: tasks run on a schedule, not at boot",
                   std::string(kExamples));
  return invalid("unknown macro " + quoted(tokens[0]) +
                     ": expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
                     "@hourly or @every <duration>",
                 std::string(kExamples));
}

}  // namespace

Result<Schedule> parse_schedule(std::string_view text, std::string_view timezone) {
  const std::string_view trimmed = trim(text);
  std::vector<std::string_view> tokens = split_blanks(trimmed);

  std::string_view prefix_zone;
  bool has_prefix = false;
  if (!tokens.empty()) {
    for (std::string_view prefix : {std::string_view("CRON_TZ="), std::string_view("TZ=")}) {
      if (!tokens[0].starts_with(prefix)) continue;
      prefix_zone = tokens[0].substr(prefix.size());
      has_prefix = true;
      if (prefix_zone.empty())
        return invalid("missing time zone after " + std::string(prefix),
                       "for example CRON_TZ=Europe/Berlin 0 9 * * *");
      tokens.erase(tokens.begin());
      break;
    }
  }
  const std::string_view given_zone = trim(timezone);
  if (has_prefix && !given_zone.empty() && given_zone != prefix_zone)
    return invalid("the schedule says " +
                       std::string(trimmed.substr(0, trimmed.find_first_of(" \t"))) +
                       " but time zone " + quoted(given_zone) + " was also given",
                   "give the time zone once");
  if (tokens.empty()) return invalid("empty schedule", std::string(kExamples));

  Result<Body> body = invalid("empty schedule", std::string(kExamples));
  if (tokens[0].starts_with('@'))
    body = parse_macro(tokens);
  else if (lowercase(tokens[0]) != "every")
    body = parse_cron(tokens);
  else if (tokens.size() == 2)
    body = parse_interval(tokens[1]);
  else
    body = invalid("`every` takes one duration without blanks",
                   "for example every 90s, every 5m or every 2h30m");
  if (!body) return std::unexpected(std::move(body.error()));

  auto zone = schedule_detail::resolve_zone(has_prefix ? prefix_zone : given_zone);
  if (!zone) return std::unexpected(std::move(zone.error()));

  const bool has_rules = !body->fields.day_of_month_rules.empty() || !body->fields.day_of_week_rules.empty();
  auto schedule = ScheduleInternals::make({.text = std::string(trimmed),
                                           .timezone = std::move(zone->name),
                                           .expression = std::move(body->expression),
                                           .fields = body->fields,
                                           .period = body->period,
                                           .zone = zone->zone,
                                           .rules = std::move(zone->rules)});
  // Day rules can choose days none of the chosen months has (31W in February, 5#5 of
  // a February that is never long enough with the other fields): such a schedule is an
  // error, as `0 0 30 2 *` is. 400 years are one whole cycle of the calendar.
  if (has_rules && !next_fire_after(schedule, Instant{std::chrono::sys_days{std::chrono::year{2000} / 1 / 1}})) {
    return invalid("the schedule can never fire: no month it names has the days its day fields choose",
                   "pick days that some chosen month has");
  }
  return schedule;
}

}  // namespace task
