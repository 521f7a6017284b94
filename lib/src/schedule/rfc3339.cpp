// RFC 3339 in and out: how fire times are printed and how `--from` is read.
#include <cstdlib>
#include <optional>
#include <string>

#include "schedule/civil.hpp"
#include "schedule/internals.hpp"
#include "schedule/zone_rules.hpp"
#include "task/schedule.hpp"

namespace task {
namespace {

using schedule_detail::Seconds;

// 0000-01-01T00:00:00 and 9999-12-31T23:59:59: the wall clocks four-digit years can show.
constexpr Seconds kFirstWritable = -62167219200;
constexpr Seconds kLastWritable = 253402300799;

constexpr std::string_view kExample = "2026-03-29T03:00:00+02:00 or 2026-03-29T01:00:00Z";

void append_digits(std::string& out, std::int64_t value, int width) {
  std::string digits = std::to_string(value);
  if (digits.size() < static_cast<std::size_t>(width))
    out.append(static_cast<std::size_t>(width) - digits.size(), '0');
  out += digits;
}

// `local` is the wall clock shown; `offset` must be whole minutes.
std::string format(Seconds local, Seconds offset, bool zulu) {
  const std::int64_t day = schedule_detail::floor_div(local, schedule_detail::kSecondsPerDay);
  const Seconds time = local - day * schedule_detail::kSecondsPerDay;
  const schedule_detail::CivilDate date = schedule_detail::civil_from_days(day);
  std::string out;
  out.reserve(25);
  if (date.year < 0) out += '-';
  append_digits(out, date.year < 0 ? -date.year : date.year, 4);
  out += '-';
  append_digits(out, date.month, 2);
  out += '-';
  append_digits(out, date.day, 2);
  out += 'T';
  append_digits(out, time / 3600, 2);
  out += ':';
  append_digits(out, time / 60 % 60, 2);
  out += ':';
  append_digits(out, time % 60, 2);
  if (zulu) {
    out += 'Z';
    return out;
  }
  out += offset < 0 ? '-' : '+';
  const Seconds magnitude = offset < 0 ? -offset : offset;
  append_digits(out, magnitude / 3600, 2);
  out += ':';
  append_digits(out, magnitude / 60 % 60, 2);
  return out;
}

// Reads exactly `width` digits at `pos`.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_rfc3339(Instant instant) {
  return format(instant.time_since_epoch().count(), 0, true);
}

std::string format_rfc3339(Instant instant, const Schedule& schedule) {
  const Seconds utc = instant.time_since_epoch().count();
  const schedule_detail::ZoneRules* rules = ScheduleInternals::rules(schedule);
  if (rules == nullptr) return format(utc, 0, true);
  // RFC 3339 offsets have no seconds; truncating keeps the string naming the same instant.
  const Seconds offset = rules->span_at(utc).offset / 60 * 60;
  // RFC 3339 has four-digit years: where the local wall clock leaves 0000..9999 (the last
  // hours of 9999 east of UTC), the instant is given in UTC instead.
  const Seconds local = utc + offset;
  if (local < kFirstWritable || local > kLastWritable) return format(utc, 0, true);
  return format(local, offset, false);
}

Result<Instant> parse_rfc3339(std::string_view input) {
  std::string_view text = input;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  const std::string shown = "\"" + std::string(input) + "\"";
  auto malformed = [&]() {
    return fail(Errc::invalid_input, "invalid time " + shown + ": expected RFC 3339",
                "for example " + std::string(kExample));
  };
  auto out_of_range = [&](const std::string& what) {
    return fail(Errc::invalid_input, "invalid time " + shown + ": " + what,
                "for example " + std::string(kExample));
  };

  std::size_t pos = 0;
  const auto year = read_digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return malformed();
  const auto month = read_digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return malformed();
  const auto day = read_digits(text, pos, 2);
  if (!day) return malformed();
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' '))
    return malformed();
  ++pos;
  const auto hour = read_digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return malformed();
  const auto minute = read_digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return malformed();
  const auto second = read_digits(text, pos, 2);
  if (!second) return malformed();
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return malformed();
  }

  Seconds offset = 0;
  if (pos >= text.size())
    return fail(Errc::invalid_input, "invalid time " + shown + ": it has no UTC offset",
                "add Z for UTC or an offset such as +02:00, as in " + std::string(kExample));
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const bool negative = text[pos] == '-';
    ++pos;
    const auto offset_hours = read_digits(text, pos, 2);
    if (!offset_hours || !expect(text, pos, ':')) return malformed();
    const auto offset_minutes = read_digits(text, pos, 2);
    if (!offset_minutes) return malformed();
    if (*offset_hours > 23 || *offset_minutes > 59)
      return out_of_range("offset out of range (at most 23:59)");
    offset = (*offset_hours * Seconds{3600} + *offset_minutes * Seconds{60}) * (negative ? -1 : 1);
  } else {
    return malformed();
  }
  if (pos != text.size()) return malformed();

  if (*month < 1 || *month > 12)
    return out_of_range("month " + std::to_string(*month) + " out of range 1-12");
  if (*day < 1 || *day > schedule_detail::days_in_month(*year, *month))
    return out_of_range("day " + std::to_string(*day) + " does not exist in " +
                        std::to_string(*year) + "-" + (*month < 10 ? "0" : "") +
                        std::to_string(*month));
  if (*hour > 23) return out_of_range("hour " + std::to_string(*hour) + " out of range 0-23");
  if (*minute > 59) return out_of_range("minute " + std::to_string(*minute) + " out of range 0-59");
  // 60 is a leap second; Instant has none, so it reads as the next second.
  if (*second > 60) return out_of_range("second " + std::to_string(*second) + " out of range 0-60");

  const Seconds local =
      schedule_detail::days_from_civil(*year, *month, *day) * schedule_detail::kSecondsPerDay +
      *hour * Seconds{3600} + *minute * Seconds{60} + *second;
  return Instant{std::chrono::seconds{local - offset}};
}

}  // namespace task
