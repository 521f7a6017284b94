// next_fire_after against a brute-force reference: every minute of a few days around each
// daylight-saving change, matched naively and converted with <date/tz.h>'s own local-time
// lookup (a separate code path from the schedule's offset table).
#include <date/date.h>
#include <date/tz.h>
#include <doctest/doctest.h>

#include <set>

#include "schedule_test_support.hpp"

using namespace schedule_test;

namespace {

bool has(std::uint64_t mask, unsigned value) { return ((mask >> value) & 1u) != 0; }

bool matches(const task::CronFields& f, date::local_seconds wall) {
  const auto day = date::floor<date::days>(wall);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::seconds> time{wall - day};
  if (!has(f.minutes, static_cast<unsigned>(time.minutes().count())) ||
      !has(f.hours, static_cast<unsigned>(time.hours().count())) ||
      !has(f.months, static_cast<unsigned>(ymd.month())))
    return false;
  const bool by_date = has(f.days_of_month, static_cast<unsigned>(ymd.day()));
  const bool by_weekday = has(f.days_of_week, date::weekday{day}.c_encoding());
  if (f.day_of_month_restricted && f.day_of_week_restricted) return by_date || by_weekday;
  if (f.day_of_month_restricted) return by_date;
  if (f.day_of_week_restricted) return by_weekday;
  return true;
}

// Fire times in [from, to) by the rules in schedule.hpp, one minute at a time.
std::vector<task::Instant> brute_force(const task::Schedule& s, task::Instant from,
                                       task::Instant to) {
  const date::time_zone* zone = s.zone();
  REQUIRE(zone != nullptr);
  std::set<task::Instant> fires;
  if (s.follows_elapsed_time()) {
    for (task::Instant t = date::ceil<std::chrono::minutes>(from); t < to;
         t += std::chrono::minutes{1})
      if (matches(s.fields(), zone->to_local(t))) fires.insert(t);
  } else {
    const auto first = date::floor<std::chrono::minutes>(zone->to_local(from)) - date::days{1};
    const auto last = zone->to_local(to) + date::days{1};
    for (auto wall = first; wall < last; wall += std::chrono::minutes{1}) {
      if (!matches(s.fields(), wall)) continue;
      const date::local_info info = zone->get_info(wall);
      task::Instant t;
      if (info.result == date::local_info::nonexistent)
        t = info.second.begin;  // the gap ends when the new offset begins
      else
        t = task::Instant{wall.time_since_epoch()} - info.first.offset;  // first occurrence
      if (t >= from && t < to) fires.insert(t);
    }
  }
  return {fires.begin(), fires.end()};
}

// The instants in `year` when the zone's offset changes.
std::vector<task::Instant> transitions(const date::time_zone* zone, int year) {
  std::vector<task::Instant> out;
  auto info = zone->get_info(utc(year, 1, 1));
  while (info.end < utc(year + 1, 1, 1)) {
    out.push_back(info.end);
    info = zone->get_info(info.end);
  }
  return out;
}

}  // namespace

TEST_CASE("reference: daylight-saving changes match a brute-force search") {
  const char* expressions[] = {"30 2 * * *",  "*/15 2 * * *",  "0 * * * *",    "*/20 * * * *",
                               "0 0 * * *",   "30 1 * * *",    "45 0-3 * * *", "0,30 * * * 0",
                               "15 23 * * *", "0 1-3 * * 6,0", "59 1 * * *",   "*/7 0-4 * * *",
                               "0 0 1,15 * 1"};
  const std::pair<const char*, int> zones[] = {
      {"America/New_York", 2026}, {"Europe/London", 2026},       {"Europe/Paris", 2026},
      {"Australia/Sydney", 2026}, {"Australia/Lord_Howe", 2026}, {"America/Sao_Paulo", 2018},
      {"America/Havana", 2026},   {"Pacific/Chatham", 2026},     {"America/St_Johns", 2026},
      {"Pacific/Apia", 2011},     {"Asia/Tehran", 2021},         {"Africa/Casablanca", 2026}};
  for (const auto& [zone_name, year] : zones) {
    for (const char* expression : expressions) {
      const task::Schedule s = parse_ok(expression, zone_name);
      for (task::Instant change : transitions(s.zone(), year)) {
        const task::Instant from = change - date::days{2} + std::chrono::seconds{17};
        const task::Instant to = change + date::days{2};
        CAPTURE(zone_name);
        CAPTURE(expression);
        CAPTURE(task::format_rfc3339(change));
        CHECK(task::fire_times_between(s, from, to, 10000) == brute_force(s, from, to));
      }
    }
  }
}
