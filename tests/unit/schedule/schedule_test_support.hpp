#pragma once
// Shared by the schedule tests: instants built with <date/date.h> (not with the code under
// test), and short ways to ask for fire times as RFC 3339 strings.
#include <date/date.h>
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "task/schedule.hpp"

namespace schedule_test {

inline task::Instant utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return task::Instant{date::sys_days{date::year{y} / date::month{mo} / date::day{d}}} +
         std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

inline task::Schedule parse_ok(std::string_view text, std::string_view zone = "") {
  auto schedule = task::parse_schedule(text, zone);
  if (!schedule) FAIL_CHECK(text << ": " << schedule.error().message);
  REQUIRE(schedule.has_value());
  return *schedule;
}

// The first `count` fire times after `after`, each in the schedule's zone.
inline std::vector<std::string> fires(std::string_view text, std::string_view zone,
                                      task::Instant after, std::size_t count,
                                      task::Instant anchor = {}) {
  const task::Schedule schedule = parse_ok(text, zone);
  std::vector<std::string> out;
  for (task::Instant t : task::next_fire_times(schedule, after, count, anchor))
    out.push_back(task::format_rfc3339(t, schedule));
  return out;
}

inline std::vector<std::string> fires(std::string_view text, task::Instant after,
                                      std::size_t count) {
  return fires(text, "", after, count);
}

// The message of the error `text` is rejected with ("" when it parses).
inline std::string rejection(std::string_view text, std::string_view zone = "") {
  auto schedule = task::parse_schedule(text, zone);
  if (schedule) return "";
  CHECK(schedule.error().code == task::Errc::invalid_input);
  return schedule.error().message;
}

inline std::string hint_of(std::string_view text, std::string_view zone = "") {
  auto schedule = task::parse_schedule(text, zone);
  return schedule ? "" : schedule.error().hint;
}

using Strings = std::vector<std::string>;

}  // namespace schedule_test
