// next_fire_after and its range forms, in UTC: steps, calendars, leap years, the day rule,
// intervals and anchors, and the bounds of the search. Expected times worked out by hand
// (weekdays: 2026-01-01 is a Thursday, 2026-02-01 a Sunday, 2027-02-01 a Monday).
#include <doctest/doctest.h>

#include <chrono>

#include "schedule_test_support.hpp"

using namespace schedule_test;

TEST_CASE("next: strictly after the given instant") {
  const task::Schedule s = parse_ok("*/5 * * * *");
  CHECK(task::next_fire_after(s, utc(2026, 1, 1, 0, 3, 17)) == utc(2026, 1, 1, 0, 5));
  CHECK(task::next_fire_after(s, utc(2026, 1, 1, 0, 5)) == utc(2026, 1, 1, 0, 10));
  CHECK(task::next_fire_after(s, utc(2026, 1, 1, 0, 4, 59)) == utc(2026, 1, 1, 0, 5));
  CHECK(fires("*/5 * * * *", utc(2026, 12, 31, 23, 50), 3) ==
        Strings{"2026-12-31T23:55:00Z", "2027-01-01T00:00:00Z", "2027-01-01T00:05:00Z"});
}

TEST_CASE("next: */45 fires at :00 and :45 of every hour") {
  CHECK(fires("*/45 * * * *", utc(2026, 1, 1), 4) ==
        Strings{"2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z", "2026-01-01T01:45:00Z",
                "2026-01-01T02:00:00Z"});
}

TEST_CASE("next: hours, ranges and lists") {
  CHECK(fires("0 */2 * * *", utc(2026, 1, 1, 0, 30), 3) ==
        Strings{"2026-01-01T02:00:00Z", "2026-01-01T04:00:00Z", "2026-01-01T06:00:00Z"});
  CHECK(fires("15,45 9-10 * * *", utc(2026, 1, 1, 10, 45), 3) ==
        Strings{"2026-01-02T09:15:00Z", "2026-01-02T09:45:00Z", "2026-01-02T10:15:00Z"});
  CHECK(fires("10/20 * * * *", utc(2026, 1, 1), 4) ==
        Strings{"2026-01-01T00:10:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:50:00Z",
                "2026-01-01T01:10:00Z"});
}

TEST_CASE("next: six fields fire on seconds") {
  CHECK(fires("*/10 * * * * *", utc(2026, 1, 1, 0, 0, 5), 3) ==
        Strings{"2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z", "2026-01-01T00:00:30Z"});
  CHECK(fires("*/10 * * * * *", utc(2026, 1, 1, 23, 59, 50), 2) ==
        Strings{"2026-01-02T00:00:00Z", "2026-01-02T00:00:10Z"});
  CHECK(fires("30 0 12 * * *", utc(2026, 1, 1), 2) ==
        Strings{"2026-01-01T12:00:30Z", "2026-01-02T12:00:30Z"});
  CHECK(fires("0 0 0 * * *", utc(2026, 1, 1), 1) == Strings{"2026-01-02T00:00:00Z"});
}

TEST_CASE("next: month ends") {
  CHECK(fires("0 0 31 * *", utc(2026, 1, 31), 4) ==
        Strings{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                "2026-08-31T00:00:00Z"});
  CHECK(fires("0 0 30 * *", utc(2026, 1, 30), 2) ==
        Strings{"2026-03-30T00:00:00Z", "2026-04-30T00:00:00Z"});
  CHECK(fires("0 12 31 12 *", utc(2026, 6, 1), 2) ==
        Strings{"2026-12-31T12:00:00Z", "2027-12-31T12:00:00Z"});
}

TEST_CASE("next: February 29 only in leap years (2000 is one, 2100 is not)") {
  CHECK(fires("0 0 29 2 *", utc(2026, 1, 1), 2) ==
        Strings{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"});
  CHECK(fires("0 0 29 2 *", utc(1999, 1, 1), 1) == Strings{"2000-02-29T00:00:00Z"});
  CHECK(fires("0 0 29 2 *", utc(2096, 3, 1), 1) == Strings{"2104-02-29T00:00:00Z"});
  CHECK(fires("0 0 29 * *", utc(2100, 1, 29), 2) ==
        Strings{"2100-03-29T00:00:00Z", "2100-04-29T00:00:00Z"});
}

TEST_CASE("next: day of month OR day of week when both are restricted") {
  // Fridays of January 2026: 2, 9, 16, 23, 30; the 13th is a Tuesday.
  CHECK(fires("0 0 13 * 5", utc(2026, 1, 1), 6) ==
        Strings{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z",
                "2026-01-16T00:00:00Z", "2026-01-23T00:00:00Z", "2026-01-30T00:00:00Z"});
  CHECK(fires("0 0 13 * *", utc(2026, 1, 1), 2) ==
        Strings{"2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z"});
  CHECK(fires("0 0 * * 5", utc(2026, 1, 1), 2) ==
        Strings{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z"});
  CHECK(fires("0 0 ? * FRI", utc(2026, 1, 1), 1) == Strings{"2026-01-02T00:00:00Z"});
  // Mondays of February, or February 29: Feb 2026 has no 29th.
  CHECK(fires("0 0 29 2 1", utc(2026, 1, 1), 5) ==
        Strings{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z", "2026-02-16T00:00:00Z",
                "2026-02-23T00:00:00Z", "2027-02-01T00:00:00Z"});
  // `*/2` is a restriction, so it ORs with the weekday: odd days, and Sundays.
  CHECK(fires("0 0 */2 * 0", utc(2026, 2, 1), 4) ==
        Strings{"2026-02-03T00:00:00Z", "2026-02-05T00:00:00Z", "2026-02-07T00:00:00Z",
                "2026-02-08T00:00:00Z"});
}

TEST_CASE("next: weekdays by name and number, 7 = Sunday") {
  CHECK(fires("30 9 * * mon-fri", utc(2026, 1, 2, 10), 2) ==
        Strings{"2026-01-05T09:30:00Z", "2026-01-06T09:30:00Z"});
  CHECK(fires("0 0 * * 7", utc(2026, 1, 1), 1) == Strings{"2026-01-04T00:00:00Z"});
  CHECK(fires("0 0 * * 5-7", utc(2026, 1, 1), 4) ==
        Strings{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
                "2026-01-09T00:00:00Z"});
  CHECK(fires("0 0 1 JAN,jul *", utc(2026, 1, 1), 2) ==
        Strings{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"});
}

TEST_CASE("next: macros") {
  CHECK(fires("@hourly", utc(2026, 1, 1, 0, 0, 1), 1) == Strings{"2026-01-01T01:00:00Z"});
  CHECK(fires("@daily", utc(2026, 1, 1, 12), 1) == Strings{"2026-01-02T00:00:00Z"});
  CHECK(fires("@midnight", utc(2026, 1, 1, 12), 1) == Strings{"2026-01-02T00:00:00Z"});
  CHECK(fires("@weekly", utc(2026, 1, 1), 2) ==
        Strings{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"});
  CHECK(fires("@monthly", utc(2026, 1, 15), 1) == Strings{"2026-02-01T00:00:00Z"});
  CHECK(fires("@yearly", utc(2026, 6, 1), 1) == Strings{"2027-01-01T00:00:00Z"});
  CHECK(fires("@annually", utc(2026, 1, 1), 1) == Strings{"2027-01-01T00:00:00Z"});
}

TEST_CASE("next: intervals are anchor + k * period, k >= 0") {
  const task::Schedule s = parse_ok("@every 90s");
  const task::Instant anchor = utc(2026, 1, 1, 12);
  CHECK(task::next_fire_after(s, anchor, anchor) == anchor + std::chrono::seconds{90});
  CHECK(task::next_fire_after(s, anchor + std::chrono::seconds{100}, anchor) ==
        anchor + std::chrono::seconds{180});
  CHECK(task::next_fire_after(s, anchor + std::chrono::seconds{179}, anchor) ==
        anchor + std::chrono::seconds{180});
  CHECK(task::next_fire_after(s, anchor + std::chrono::seconds{180}, anchor) ==
        anchor + std::chrono::seconds{270});
  // Before the anchor nothing fires; the anchor itself is the first fire time.
  CHECK(task::next_fire_after(s, anchor - std::chrono::hours{5}, anchor) == anchor);
  CHECK(task::next_fire_after(s, anchor - std::chrono::seconds{1}, anchor) == anchor);
  CHECK(fires("every 2h30m", "", utc(2026, 1, 1, 1), 3, utc(2026, 1, 1)) ==
        Strings{"2026-01-01T02:30:00Z", "2026-01-01T05:00:00Z", "2026-01-01T07:30:00Z"});
}

TEST_CASE("next: the default anchor is the Unix epoch") {
  CHECK(fires("@every 1h", utc(2026, 1, 1, 0, 30), 2) ==
        Strings{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"});
  // 2026-01-01T00:00Z is minute 20454 * 1440 = 29,453,760 = 7 * 4,207,680 of the epoch,
  // and 2026-01-01T00:03Z is 3 minutes past a multiple of 7.
  CHECK(fires("@every 7m", utc(2026, 1, 1), 2) ==
        Strings{"2026-01-01T00:07:00Z", "2026-01-01T00:14:00Z"});
  CHECK(fires("@every 7m", utc(2026, 1, 1, 0, 3), 1) == Strings{"2026-01-01T00:07:00Z"});
}

TEST_CASE("next: an interval keeps its period across daylight saving") {
  // 2026-03-29 01:00Z Berlin springs forward; the interval does not care.
  CHECK(fires("@every 1h", "Europe/Berlin", utc(2026, 3, 29, 0), 2) ==
        Strings{"2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"});
}

TEST_CASE("next: an anchor far in the past does not overflow") {
  const task::Schedule s = parse_ok("@every 7s");
  const task::Instant far{std::chrono::seconds{-9000000000000000000}};
  const auto next = task::next_fire_after(s, utc(2026, 1, 1), far);
  REQUIRE(next.has_value());
  CHECK(*next > utc(2026, 1, 1));
  CHECK(*next <= utc(2026, 1, 1) + std::chrono::seconds{7});
  CHECK((next->time_since_epoch().count() - far.time_since_epoch().count()) % 7 == 0);
}

TEST_CASE("next: times in a range and counted times") {
  const task::Schedule s = parse_ok("0 * * * *");
  const auto between = task::fire_times_between(s, utc(2026, 1, 1, 1), utc(2026, 1, 1, 4), 100);
  CHECK(between ==
        std::vector<task::Instant>{utc(2026, 1, 1, 1), utc(2026, 1, 1, 2), utc(2026, 1, 1, 3)});
  CHECK(task::fire_times_between(s, utc(2026, 1, 1, 1), utc(2026, 1, 1, 4), 2).size() == 2);
  CHECK(task::fire_times_between(s, utc(2026, 1, 1, 4), utc(2026, 1, 1, 1), 10).empty());
  CHECK(task::fire_times_between(s, utc(2026, 1, 1, 1), utc(2026, 1, 1, 1), 10).empty());
  CHECK(task::next_fire_times(s, utc(2026, 1, 1), 0).empty());
  CHECK(task::next_fire_times(s, utc(2026, 1, 1), 5).size() == 5);
}

TEST_CASE("next: the search is bounded and ends at year 9999") {
  const task::Schedule leap = parse_ok("0 0 29 2 *");
  // 9996 is the last leap year before 10000.
  CHECK(task::next_fire_after(leap, utc(9996, 1, 1)) == utc(9996, 2, 29));
  CHECK_FALSE(task::next_fire_after(leap, utc(9996, 3, 1)).has_value());
  const task::Schedule every_second = parse_ok("* * * * * *");
  CHECK(task::next_fire_after(every_second, utc(9999, 12, 31, 23, 59, 58)) ==
        utc(9999, 12, 31, 23, 59, 59));
  CHECK_FALSE(task::next_fire_after(every_second, utc(9999, 12, 31, 23, 59, 59)).has_value());
  CHECK_FALSE(task::next_fire_after(every_second, task::Instant::max()).has_value());
  CHECK_FALSE(task::next_fire_after(parse_ok("@every 1s"), task::Instant::max()).has_value());
  // Far in the past, the search starts at year 1.
  CHECK(task::next_fire_after(parse_ok("0 0 1 1 *"), task::Instant::min()) == utc(1, 1, 1));
  CHECK(task::next_fire_times(leap, utc(9980, 1, 1), 100).size() == 5);
}

TEST_CASE("next: L, the last day of the month, and L-3, three days before it") {
  CHECK(fires("0 0 L * *", utc(2026, 1, 1), 4) ==
        Strings{"2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"});
  CHECK(fires("0 0 L 2 *", utc(2027, 3, 1), 2) == Strings{"2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"});
  CHECK(fires("0 0 L-3 * *", utc(2026, 1, 1), 3) ==
        Strings{"2026-01-28T00:00:00Z", "2026-02-25T00:00:00Z", "2026-03-28T00:00:00Z"});
  CHECK(fires("0 0 1,L * *", utc(2026, 1, 1), 3) ==
        Strings{"2026-01-31T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z"});
}

TEST_CASE("next: W, the weekday nearest a day, within its month") {
  // 2026-02-15 and 2026-03-15 are Sundays, 2026-08-15 a Saturday.
  CHECK(fires("0 0 15W * *", utc(2026, 1, 1), 8) ==
        Strings{"2026-01-15T00:00:00Z", "2026-02-16T00:00:00Z", "2026-03-16T00:00:00Z", "2026-04-15T00:00:00Z",
                "2026-05-15T00:00:00Z", "2026-06-15T00:00:00Z", "2026-07-15T00:00:00Z", "2026-08-14T00:00:00Z"});
  // Saturday 2026-08-01: not July's Friday but Monday the 3rd.
  CHECK(fires("0 0 1W 8 *", utc(2026, 1, 1), 1) == Strings{"2026-08-03T00:00:00Z"});
  // Saturday 2026-01-31: Friday the 30th; no 31st in April, so none there.
  CHECK(fires("0 0 31W 1,4 *", utc(2026, 1, 1), 2) == Strings{"2026-01-30T00:00:00Z", "2027-01-29T00:00:00Z"});
  CHECK(fires("0 0 LW * *", utc(2026, 1, 1), 5) ==
        Strings{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z",
                "2026-05-29T00:00:00Z"});
}

TEST_CASE("next: 5L, the month's last Friday, and 5#3, its third") {
  CHECK(fires("0 0 * * 5L", utc(2026, 1, 1), 3) ==
        Strings{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"});
  CHECK(fires("0 0 * * FRIL", utc(2026, 1, 1), 1) == Strings{"2026-01-30T00:00:00Z"});
  CHECK(fires("0 0 * * 5#3", utc(2026, 1, 1), 3) ==
        Strings{"2026-01-16T00:00:00Z", "2026-02-20T00:00:00Z", "2026-03-20T00:00:00Z"});
  CHECK(fires("0 9 * * MON#1", utc(2026, 1, 1), 3) ==
        Strings{"2026-01-05T09:00:00Z", "2026-02-02T09:00:00Z", "2026-03-02T09:00:00Z"});
  // Fifth Sundays: only in months that have one; 7 is Sunday too.
  CHECK(fires("0 0 * * 7#5", utc(2026, 1, 1), 4) ==
        Strings{"2026-03-29T00:00:00Z", "2026-05-31T00:00:00Z", "2026-08-30T00:00:00Z", "2026-11-29T00:00:00Z"});
  // A fifth Friday in February: 2036 is the next.
  CHECK(fires("0 0 * 2 5#5", utc(2026, 1, 1), 1) == Strings{"2036-02-29T00:00:00Z"});
  // With the day of month restricted too, either fires (Vixie cron).
  CHECK(fires("0 0 1 * 5L", utc(2026, 1, 1), 3) ==
        Strings{"2026-01-30T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-27T00:00:00Z"});
}

TEST_CASE("next: the day rules keep the daylight-saving rule") {
  // Berlin springs forward on the last Sunday of March, 2026-03-29, 02:00 -> 03:00: 02:30
  // does not exist that day and fires when the gap ends.
  CHECK(fires("30 2 * 3 0L", "Europe/Berlin", utc(2026, 1, 1), 2) ==
        Strings{"2026-03-29T03:00:00+02:00", "2027-03-28T03:00:00+02:00"});
  // Falls back on the last Sunday of October, 2026-10-25, 03:00 -> 02:00: 02:30 once.
  CHECK(fires("30 2 * 10 SUNL", "Europe/Berlin", utc(2026, 1, 1), 1) == Strings{"2026-10-25T02:30:00+02:00"});
}
