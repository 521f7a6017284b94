#pragma once
// Schedules: the one parser and the one meaning of every interval `task` reads (DESIGN.md §3).
//
// Accepted forms:
//   cron, 5 fields `min hour dom month dow` or 6 fields `sec min hour dom month dow`, with
//     lists `1,5`, ranges `1-5`, steps `*/n` `a-b/n` `a/n` (= a through the field's maximum),
//     names JAN-DEC and SUN-SAT (any case), `7` = Sunday (also as a range end: `MON-SUN`),
//     `?` = `*` in the day fields;
//   macros @yearly @annually @monthly @weekly @daily @midnight @hourly;
//   intervals `@every 90s`, `every 2h30m` (units d, h, m, s; whole numbers);
//   any of these after a `CRON_TZ=Zone ` or `TZ=Zone ` prefix;
//   Quartz's day extensions, as items of the day fields (alone or in a list with others):
//     day of month `L` (the last day), `L-3` (three days before it), `15W` (the weekday,
//     Monday to Friday, nearest the 15th within its month: Friday the 14th for a Saturday,
//     Monday the 16th for a Sunday, Monday the 3rd for a Saturday the 1st), `LW` (the last
//     weekday of the month); day of week `5L` (the month's last Friday) and `5#3` (its
//     third Friday), with names too (`FRIL`, `FRI#3`), weekdays numbered as in the rest of
//     the field (0 or 7 Sunday). They choose days only; times on those days keep every rule
//     below, daylight saving included.
//
// Day of month and day of week: when both are restricted (anything but a bare `*` or `?`),
// a day matching either one fires, as in Vixie cron.
//
// Rejected with a message naming the field, the offending text and what was expected:
// wrap-around ranges (`22-2`), out-of-range values and steps (a step must be 1 up to the
// field's span, so `*/60` in the minute field is an error), unknown names and macros, empty
// list items, wrong field counts, unknown time zones, zero intervals, a day of month that no
// chosen month has (`0 0 30 2 *`), and malformed day extensions (`L` in a range, `32W`,
// `5#6`), each by name.
//
// Time zones and daylight saving. A cron schedule is matched against the wall clock of its
// zone (UTC unless given).
//   - Hour field allowing every hour (`*`, `*/1`, `0-23`): the schedule follows elapsed
//     time. It fires at every instant whose wall-clock time matches, so in a fall-back
//     overlap it fires in both occurrences of the repeated hour, and wall-clock times
//     skipped by a spring-forward gap do not fire at all (no burst when the gap ends).
//   - Any other hour field: every matching wall-clock time fires exactly once. A time
//     inside a gap fires at the instant the gap ends (times skipped together collapse into
//     one fire); a time that occurs twice fires at its first occurrence only.
// Intervals run on elapsed time and ignore the zone except when formatting.
//
// Searches are bounded: a cron schedule that parses fires at least once every 8 years
// (February 29 skips 2100), and no search looks further than 400 years (one full Gregorian
// cycle) ahead, so nothing can hang. Instants are
// supported from 0001-01-01T00:00:00Z through 9999-12-31T23:59:59Z.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "task/error.hpp"

namespace date {
class time_zone;
}

namespace task {

using Instant = std::chrono::sys_seconds;  // a UTC instant, second precision

namespace schedule_detail {
class ZoneRules;
}

// The parsed form of a cron schedule: bit v of a mask is set when value v is allowed.
// One of Quartz's day extensions, resolved month by month.
struct DayRule {
  enum class Kind : std::uint8_t {
    last_day,         // L, L-3: the last day of the month, `n` days before it
    nearest_weekday,  // 15W: the weekday nearest day `day`, within the month
    last_weekday,     // LW: the month's last weekday
    last_of,          // 5L: the month's last `day` (a weekday, 0-6)
    nth_of,           // 5#3: the month's `n`th `day` (a weekday, 0-6)
  };
  Kind kind = Kind::last_day;
  int day = 0;
  int n = 0;
  std::string text;  // as written, for messages: "L-3", "15W", "FRI#3"
  bool operator==(const DayRule&) const = default;
};

struct CronFields {
  std::uint64_t seconds = 1;             // 0-59; a 5-field schedule fires at second 0
  std::uint64_t minutes = 0;             // 0-59
  std::uint32_t hours = 0;               // 0-23
  std::uint32_t days_of_month = 0;       // 1-31
  std::uint16_t months = 0;              // 1-12
  std::uint8_t days_of_week = 0;         // 0-6, Sunday = 0
  bool day_of_month_restricted = false;  // the field is not a bare `*` or `?`
  bool day_of_week_restricted = false;
  bool has_seconds = false;  // the schedule was written with 6 fields
  std::vector<DayRule> day_of_month_rules;  // beside days_of_month: L, L-3, 15W, LW
  std::vector<DayRule> day_of_week_rules;   // beside days_of_week: 5L, 5#3
};

// The day of a month (1-31) a rule chooses, or 0 when that month has none (31W in April,
// 5#5 in a month with four Fridays); `first_weekday` is the weekday of its 1st (0 Sunday).
int day_rule_day(const DayRule& rule, int month_length, int first_weekday);

// A parsed, validated schedule. A value type: cheap to copy, immutable, safe to share
// between threads. Only parse_schedule makes one.
class Schedule {
 public:
  // The text as given (surrounding blanks trimmed), including any CRON_TZ=/TZ= prefix.
  const std::string& text() const { return text_; }
  // The IANA name of the zone the schedule runs in; "UTC" unless one was given.
  const std::string& timezone() const { return timezone_; }
  bool is_interval() const { return period_.count() > 0; }
  // The fixed period of an interval schedule; zero for cron schedules.
  std::chrono::seconds period() const { return period_; }
  // Cron: the fields after macro expansion ("0 0 * * *" for @daily). Interval: the
  // duration as written ("2h30m").
  const std::string& expression() const { return expression_; }
  const CronFields& fields() const { return fields_; }
  // The tz database entry; nullptr when the schedule runs in UTC.
  const date::time_zone* zone() const { return zone_; }
  // True when the hour field allows every hour: such a schedule follows elapsed time
  // through daylight-saving changes (see the top of this header).
  bool follows_elapsed_time() const { return fields_.hours == 0xFFFFFFu; }

 private:
  friend struct ScheduleInternals;  // lib/src/schedule: builds and reads schedules
  Schedule() = default;

  std::string text_;
  std::string timezone_ = "UTC";
  std::string expression_;
  CronFields fields_;
  std::chrono::seconds period_{0};
  const date::time_zone* zone_ = nullptr;
  std::shared_ptr<const schedule_detail::ZoneRules> rules_;  // offsets; null for UTC
};

// Parses `text`. `timezone` "" means UTC unless the text has a CRON_TZ=/TZ= prefix; a
// timezone argument and a prefix naming different zones is an error. Errors are
// Errc::invalid_input.
Result<Schedule> parse_schedule(std::string_view text, std::string_view timezone = "");

// The first fire time strictly after `after`. Interval schedules fire at
// anchor + k * period for k = 0, 1, 2, ...: the anchor itself is a fire time, nothing fires
// before it, and next_fire_after(s, anchor, anchor) is anchor + period. The default anchor
// is the Unix epoch. nullopt only past the supported range (year 9999).
std::optional<Instant> next_fire_after(const Schedule& schedule, Instant after,
                                       Instant anchor = {});
// The next `count` fire times after `after` (fewer only at the end of the supported range).
std::vector<Instant> next_fire_times(const Schedule& schedule, Instant after, std::size_t count,
                                     Instant anchor = {});
// Every fire time in [from, to), at most `limit` of them.
std::vector<Instant> fire_times_between(const Schedule& schedule, Instant from, Instant to,
                                        std::size_t limit, Instant anchor = {});

// The schedule in English: "At minute 0 past every 2nd hour", "Every 5 minutes",
// "At 09:30 on Monday through Friday, in Europe/Berlin", "Every 90 seconds".
std::string describe(const Schedule& schedule);

// RFC 3339 in the schedule's zone with that zone's offset at the instant:
// "2026-03-29T03:00:00+02:00". A schedule in UTC gives "Z"; any other zone a numeric
// offset, so Europe/London in winter gives "+00:00". Historical offsets with seconds (local
// mean time) are truncated to whole minutes and the wall time shown shifts with them, so the
// string still names the exact instant.
std::string format_rfc3339(Instant instant, const Schedule& schedule);
// RFC 3339 in UTC: "2026-03-29T01:00:00Z".
std::string format_rfc3339(Instant instant);
// Parses an RFC 3339 date-time with `Z` or a numeric offset ("T" or a space between date and
// time, any case). Fractions of a second are dropped (rounded down), which keeps "the next
// fire time after" exact; a leap second (:60) is read as the second after :59.
Result<Instant> parse_rfc3339(std::string_view text);

}  // namespace task
