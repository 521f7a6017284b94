// describe(), format_rfc3339() and parse_rfc3339().
#include <doctest/doctest.h>

#include "schedule_test_support.hpp"

using namespace schedule_test;

namespace {

std::string described(std::string_view text, std::string_view zone = "") {
  return task::describe(parse_ok(text, zone));
}

}  // namespace

TEST_CASE("describe: plain repeating schedules") {
  CHECK(described("* * * * *") == "Every minute");
  CHECK(described("*/5 * * * *") == "Every 5 minutes");
  CHECK(described("0/15 * * * *") == "Every 15 minutes");
  CHECK(described("* * * * * *") == "Every second");
  CHECK(described("*/10 * * * * *") == "Every 10 seconds");
  CHECK(described("0 */5 * * * *") == "Every 5 minutes");
  CHECK(described("@hourly") == "Every hour");
  CHECK(described("0 * * * *") == "Every hour");
}

TEST_CASE("describe: the day rules L, W and #") {
  CHECK(described("0 9 L * *") == "At 09:00 on the last day of the month");
  CHECK(described("0 9 L-3 * *") == "At 09:00 on the day 3 days before the last of the month");
  CHECK(described("0 9 L-1 * *") == "At 09:00 on the day 1 day before the last of the month");
  CHECK(described("0 9 15W * *") == "At 09:00 on the weekday nearest day 15 of the month");
  CHECK(described("0 9 LW * *") == "At 09:00 on the last weekday of the month");
  CHECK(described("0 9 * * 5L") == "At 09:00 on the last Friday of the month");
  CHECK(described("0 9 * * FRI#3") == "At 09:00 on the third Friday of the month");
  CHECK(described("0 9 1,L * *") == "At 09:00 on day 1 of the month and the last day of the month");
  CHECK(described("0 9 L * 1") == "At 09:00 on the last day of the month or on Monday");
  CHECK(described("0 9 L 2 *") == "At 09:00 on the last day of the month in February");
}

TEST_CASE("describe: minutes and hours") {
  CHECK(described("0 */2 * * *") == "At minute 0 past every 2nd hour");
  CHECK(described("30 * * * *") == "At minute 30 past every hour");
  CHECK(described("0 9-17 * * *") == "At minute 0 past every hour from 9 through 17");
  CHECK(described("*/15 9-17 * * *") == "At every 15th minute past every hour from 9 through 17");
  CHECK(described("5,10 * * * *") == "At minutes 5 and 10");
  CHECK(described("0,10-20 3 * * *") ==
        "At minute 0 and every minute from 10 through 20 past hour 3");
  CHECK(described("0 1-23/3 * * *") == "At minute 0 past every 3rd hour from 1 through 23");
  CHECK(described("15 */5 * * * *") == "At second 15 past every 5th minute");
  CHECK(described("*/10 * 9 * * *") == "At every 10th second past hour 9");
  CHECK(described("30 * * * * *") == "At second 30 past every minute");
  CHECK(described("0 0 */12 * * *") == "At minute 0 past every 12th hour");
}

TEST_CASE("describe: times of day") {
  CHECK(described("@daily") == "At 00:00 every day");
  CHECK(described("@midnight") == "At 00:00 every day");
  CHECK(described("0 9,17 * * *") == "At 09:00 and 17:00 every day");
  CHECK(described("30 15 9 * * *") == "At 09:15:30 every day");
  CHECK(described("0 22 * * 1-5") == "At 22:00 on Monday through Friday");
}

TEST_CASE("describe: days, weekdays and months") {
  CHECK(described("0 0 1 * *") == "At 00:00 on day 1 of the month");
  CHECK(described("@monthly") == "At 00:00 on day 1 of the month");
  CHECK(described("@weekly") == "At 00:00 on Sunday");
  CHECK(described("@yearly") == "At 00:00 on January 1");
  CHECK(described("0 0 29 2 *") == "At 00:00 on February 29");
  CHECK(described("0 0 1,15 * *") == "At 00:00 on days 1 and 15 of the month");
  CHECK(described("0 0 1-7 * *") == "At 00:00 on days 1 through 7 of the month");
  CHECK(described("0 0 */2 * *") == "At 00:00 on every 2nd day of the month");
  CHECK(described("0 0 * * 6,0") == "At 00:00 on Saturday and Sunday");
  CHECK(described("0 0 * * 1,3,5") == "At 00:00 on Monday, Wednesday and Friday");
  CHECK(described("0 0 * * 5-7") == "At 00:00 on Friday through Sunday");
  CHECK(described("0 0 1 1-3 *") == "At 00:00 on day 1 of the month in January through March");
  CHECK(described("0 0 * 1,7 *") == "At 00:00 every day in January and July");
  CHECK(described("0 0 * */3 *") == "At 00:00 every day in January, April, July and October");
}

TEST_CASE("describe: both day fields restricted reads as either") {
  CHECK(described("0 0 13 * 5") == "At 00:00 on day 13 of the month or on Friday");
  CHECK(described("0 0 29 2 1") == "At 00:00 on day 29 of the month or on Monday in February");
}

TEST_CASE("describe: time zones") {
  CHECK(described("30 9 * * 1-5", "Europe/Berlin") ==
        "At 09:30 on Monday through Friday, in Europe/Berlin");
  CHECK(described("CRON_TZ=America/New_York */5 * * * *") ==
        "Every 5 minutes, in America/New_York");
  CHECK(described("0 9 * * *", "UTC") == "At 09:00 every day");
}

TEST_CASE("describe: intervals") {
  CHECK(described("@every 90s") == "Every 90 seconds");
  CHECK(described("every 5m") == "Every 5 minutes");
  CHECK(described("every 2h30m") == "Every 2 hours and 30 minutes");
  CHECK(described("@every 1h") == "Every hour");
  CHECK(described("@every 1d") == "Every day");
  CHECK(described("@every 1s") == "Every second");
  CHECK(described("@every 1h0m30s") == "Every 1 hour and 30 seconds");
  CHECK(described("@every 1d2h3m4s") == "Every 1 day, 2 hours, 3 minutes and 4 seconds");
  // Out of the usual order, the period is said in it.
  CHECK(described("@every 30m2h") == "Every 2 hours and 30 minutes");
  CHECK(described("@every 90m90m") == "Every 3 hours");
  // The zone changes nothing about an interval.
  CHECK(described("TZ=Europe/Berlin @every 5m") == "Every 5 minutes");
}

TEST_CASE("rfc3339: formats in the schedule's zone") {
  CHECK(task::format_rfc3339(utc(2026, 3, 29, 1), parse_ok("* * * * *", "Europe/Berlin")) ==
        "2026-03-29T03:00:00+02:00");
  CHECK(task::format_rfc3339(utc(2026, 3, 29, 0, 59, 59), parse_ok("* * * * *", "Europe/Berlin")) ==
        "2026-03-29T01:59:59+01:00");
  CHECK(task::format_rfc3339(utc(2026, 3, 29, 1), parse_ok("* * * * *")) == "2026-03-29T01:00:00Z");
  CHECK(task::format_rfc3339(utc(2026, 3, 29, 1)) == "2026-03-29T01:00:00Z");
  CHECK(task::format_rfc3339(utc(2026, 7, 4, 16), parse_ok("* * * * *", "America/New_York")) ==
        "2026-07-04T12:00:00-04:00");
  CHECK(task::format_rfc3339(utc(2026, 1, 1, 12), parse_ok("* * * * *", "America/St_Johns")) ==
        "2026-01-01T08:30:00-03:30");
  CHECK(task::format_rfc3339(utc(1, 1, 1)) == "0001-01-01T00:00:00Z");
  CHECK(task::format_rfc3339(utc(9999, 12, 31, 23, 59, 59)) == "9999-12-31T23:59:59Z");
}

TEST_CASE("rfc3339: a local mean time offset is cut to whole minutes, same instant") {
  // Berlin kept +00:53:28 until 1893; RFC 3339 offsets have no seconds.
  CHECK(task::format_rfc3339(utc(1890, 1, 1), parse_ok("* * * * *", "Europe/Berlin")) ==
        "1890-01-01T00:53:00+00:53");
}

TEST_CASE("rfc3339: a wall clock past year 9999 is shown in UTC, so it still parses back") {
  // 9999-12-31T19:00:00Z is 10000-01-01T08:00:00 in Apia (+13:00): five digits of year.
  const task::Schedule apia = parse_ok("*/45 * * * *", "Pacific/Apia");
  CHECK(task::format_rfc3339(utc(9999, 12, 31, 19), apia) == "9999-12-31T19:00:00Z");
  CHECK(task::parse_rfc3339(task::format_rfc3339(utc(9999, 12, 31, 19), apia)) ==
        utc(9999, 12, 31, 19));
  // An hour before the local new year it keeps the zone.
  CHECK(task::format_rfc3339(utc(9999, 12, 31, 10), apia) == "9999-12-31T23:00:00+13:00");
  CHECK(task::format_rfc3339(utc(9999, 12, 31, 19), parse_ok("* * * * *", "America/New_York")) ==
        "9999-12-31T14:00:00-05:00");
}

TEST_CASE("rfc3339: parses Z and offsets") {
  CHECK(task::parse_rfc3339("2026-03-29T03:00:00+02:00") == utc(2026, 3, 29, 1));
  CHECK(task::parse_rfc3339("2026-03-29T01:00:00Z") == utc(2026, 3, 29, 1));
  CHECK(task::parse_rfc3339("2026-03-29t01:00:00z") == utc(2026, 3, 29, 1));
  CHECK(task::parse_rfc3339("2026-03-29 01:00:00Z") == utc(2026, 3, 29, 1));
  CHECK(task::parse_rfc3339("  2026-03-29T01:00:00Z ") == utc(2026, 3, 29, 1));
  CHECK(task::parse_rfc3339("2026-01-01T00:00:00-05:30") == utc(2026, 1, 1, 5, 30));
  CHECK(task::parse_rfc3339("2026-01-01T00:00:00+00:00") == utc(2026, 1, 1));
  CHECK(task::parse_rfc3339("2026-01-01T00:00:00-00:00") == utc(2026, 1, 1));
  // Fractions are dropped: the next fire time after 12:00:00.9 is the one after 12:00:00.
  CHECK(task::parse_rfc3339("2026-01-01T12:00:00.999999Z") == utc(2026, 1, 1, 12));
  CHECK(task::parse_rfc3339("2016-12-31T23:59:60Z") == utc(2017, 1, 1));
  CHECK(task::parse_rfc3339("2000-02-29T00:00:00Z") == utc(2000, 2, 29));
  CHECK(task::parse_rfc3339("0001-01-01T00:00:00Z") == utc(1, 1, 1));
  // Year 0000 is RFC 3339 too; the first fire time after it is in year 1.
  CHECK(task::parse_rfc3339("0000-01-01T00:00:00Z") == utc(0, 1, 1));
  CHECK(task::format_rfc3339(utc(0, 2, 29)) == "0000-02-29T00:00:00Z");
  CHECK(task::next_fire_after(parse_ok("@yearly"), utc(0, 1, 1)) == utc(1, 1, 1));
}

TEST_CASE("rfc3339: rejects what is not RFC 3339, saying why") {
  auto message = [](std::string_view text) {
    auto parsed = task::parse_rfc3339(text);
    if (parsed) return std::string("(parsed)");
    CHECK(parsed.error().code == task::Errc::invalid_input);
    CHECK_FALSE(parsed.error().hint.empty());
    return parsed.error().message;
  };
  CHECK(message("2026-02-30T00:00:00Z") ==
        "invalid time \"2026-02-30T00:00:00Z\": day 30 does not exist in 2026-02");
  CHECK(message("2100-02-29T00:00:00Z") ==
        "invalid time \"2100-02-29T00:00:00Z\": day 29 does not exist in 2100-02");
  CHECK(message("2026-13-01T00:00:00Z") ==
        "invalid time \"2026-13-01T00:00:00Z\": month 13 out of range 1-12");
  CHECK(message("2026-01-01T24:00:00Z") ==
        "invalid time \"2026-01-01T24:00:00Z\": hour 24 out of range 0-23");
  CHECK(message("2026-01-01T00:60:00Z") ==
        "invalid time \"2026-01-01T00:60:00Z\": minute 60 out of range 0-59");
  CHECK(message("2026-01-01T00:00:61Z") ==
        "invalid time \"2026-01-01T00:00:61Z\": second 61 out of range 0-60");
  CHECK(message("2026-01-01T00:00:00+24:00") ==
        "invalid time \"2026-01-01T00:00:00+24:00\": offset out of range (at most 23:59)");
  CHECK(message("2026-01-01T00:00:00") ==
        "invalid time \"2026-01-01T00:00:00\": it has no UTC offset");
  for (std::string_view bad :
       {"", "2026-01-01", "2026-01-01T00:00Z", "2026-1-1T00:00:00Z", "2026-01-01T00:00:00+0200",
        "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00Zjunk", "2026-01-01X00:00:00Z", "now"}) {
    CAPTURE(bad);
    CHECK(message(bad) == "invalid time \"" + std::string(bad) + "\": expected RFC 3339");
  }
}

TEST_CASE("rfc3339: format and parse round trip") {
  const char* zones[] = {"",
                         "Europe/Berlin",
                         "America/New_York",
                         "Australia/Lord_Howe",
                         "Asia/Kathmandu",
                         "America/St_Johns",
                         "Pacific/Kiritimati"};
  const task::Instant instants[] = {utc(2026, 3, 29, 1),
                                    utc(2026, 3, 29, 0, 59, 59),
                                    utc(2026, 11, 1, 6),
                                    utc(2026, 11, 1, 5, 59, 59),
                                    utc(1970, 1, 1),
                                    utc(1969, 12, 31, 23, 59, 59),
                                    utc(2000, 2, 29, 12, 34, 56),
                                    utc(2045, 7, 1, 3, 4, 5)};
  for (const char* zone : zones) {
    const task::Schedule s = parse_ok("* * * * *", zone);
    for (task::Instant t : instants) {
      const std::string text = task::format_rfc3339(t, s);
      CAPTURE(text);
      CHECK(task::parse_rfc3339(text) == t);
    }
  }
}
