// Time zones and both daylight-saving transitions. The rules under test (schedule.hpp):
//   restricted hour field: a wall time in a gap fires once when the gap ends; a repeated
//     wall time fires at its first occurrence only;
//   hour field `*`: elapsed time; both passes of a repeated hour fire, skipped times do not.
// Transition instants, from the tz database (checked against Python's zoneinfo):
//   America/New_York    2026-03-08 07:00Z  02:00 EST -> 03:00 EDT
//                       2026-11-01 06:00Z  02:00 EDT -> 01:00 EST
//   Europe/London       2026-03-29 01:00Z  01:00 GMT -> 02:00 BST
//                       2026-10-25 01:00Z  02:00 BST -> 01:00 GMT
//   Europe/Paris        2026-03-29 01:00Z  02:00 CET -> 03:00 CEST
//                       2026-10-25 01:00Z  03:00 CEST -> 02:00 CET
//   Australia/Sydney    2026-04-04 16:00Z  03:00 +11 -> 02:00 +10
//                       2026-10-03 16:00Z  02:00 +10 -> 03:00 +11
//   Australia/Lord_Howe 2026-04-04 15:00Z  02:00 +11 -> 01:30 +10:30
//                       2026-10-03 15:30Z  02:00 +10:30 -> 02:30 +11
//   America/Sao_Paulo   2018-02-18 02:00Z  00:00 -02 -> 23:00 -03 (the 17th)
//                       2018-11-04 03:00Z  00:00 -03 -> 01:00 -02 (midnight did not exist)
//   Europe/Berlin       2040-03-25 01:00Z  02:00 CET -> 03:00 CEST (after the TZif table)
#include <doctest/doctest.h>

#include "schedule_test_support.hpp"

using namespace schedule_test;

TEST_CASE("dst: a zone's wall clock, with its offset") {
  CHECK(fires("30 9 * * *", "Europe/Berlin", utc(2026, 1, 1), 1) ==
        Strings{"2026-01-01T09:30:00+01:00"});
  CHECK(fires("30 9 * * *", "Europe/Berlin", utc(2026, 7, 1), 1) ==
        Strings{"2026-07-01T09:30:00+02:00"});
  CHECK(task::next_fire_after(parse_ok("30 9 * * *", "Europe/Berlin"), utc(2026, 7, 1)) ==
        utc(2026, 7, 1, 7, 30));
  CHECK(fires("0 9 * * 1-5", "America/New_York", utc(2026, 1, 2, 15), 1) ==
        Strings{"2026-01-05T09:00:00-05:00"});
  CHECK(fires("0 0 * * *", "Asia/Kolkata", utc(2026, 1, 1), 1) ==
        Strings{"2026-01-02T00:00:00+05:30"});
  CHECK(fires("CRON_TZ=Asia/Kathmandu 0 12 * * *", "", utc(2026, 1, 1), 1) ==
        Strings{"2026-01-01T12:00:00+05:45"});
  // A zone that is always UTC+0 counts as UTC; London is a zone that is at +00:00 in winter.
  CHECK(fires("0 12 * * *", "Etc/UTC", utc(2026, 1, 1), 1) == Strings{"2026-01-01T12:00:00Z"});
  CHECK(fires("0 12 * * *", "Europe/London", utc(2026, 1, 1), 1) ==
        Strings{"2026-01-01T12:00:00+00:00"});
}

TEST_CASE("dst: New York spring forward") {
  // 02:30 does not exist on March 8: it fires once, when the gap ends at 03:00 EDT.
  CHECK(fires("30 2 * * *", "America/New_York", utc(2026, 3, 7, 12), 3) ==
        Strings{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00",
                "2026-03-10T02:30:00-04:00"});
  // Four skipped times collapse into one fire.
  CHECK(fires("*/15 2 * * *", "America/New_York", utc(2026, 3, 7, 12), 2) ==
        Strings{"2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"});
  // A time just before or after the gap is untouched.
  CHECK(fires("59 1 * * *", "America/New_York", utc(2026, 3, 7, 12), 1) ==
        Strings{"2026-03-08T01:59:00-05:00"});
  CHECK(fires("0 3 * * *", "America/New_York", utc(2026, 3, 7, 12), 1) ==
        Strings{"2026-03-08T03:00:00-04:00"});
  // Hour `*`: elapsed time, one fire an hour, nothing extra at 03:00.
  CHECK(fires("30 * * * *", "America/New_York", utc(2026, 3, 8, 5), 4) ==
        Strings{"2026-03-08T00:30:00-05:00", "2026-03-08T01:30:00-05:00",
                "2026-03-08T03:30:00-04:00", "2026-03-08T04:30:00-04:00"});
}

TEST_CASE("dst: New York fall back") {
  // 01:30 happens twice on November 1; it fires at the first (EDT) only.
  CHECK(fires("30 1 * * *", "America/New_York", utc(2026, 10, 31, 12), 2) ==
        Strings{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"});
  // Asked from inside the second pass, the repeated time does not fire again.
  CHECK(fires("45 1 * * *", "America/New_York", utc(2026, 11, 1, 6, 10), 1) ==
        Strings{"2026-11-02T01:45:00-05:00"});
  // Asked from inside the first pass, the rest of the first pass still fires.
  CHECK(fires("*/20 1 * * *", "America/New_York", utc(2026, 11, 1, 5, 10), 3) ==
        Strings{"2026-11-01T01:20:00-04:00", "2026-11-01T01:40:00-04:00",
                "2026-11-02T01:00:00-05:00"});
  // Hour `*`: both passes through 01:xx fire.
  CHECK(fires("30 * * * *", "America/New_York", utc(2026, 11, 1, 4), 4) ==
        Strings{"2026-11-01T00:30:00-04:00", "2026-11-01T01:30:00-04:00",
                "2026-11-01T01:30:00-05:00", "2026-11-01T02:30:00-05:00"});
}

TEST_CASE("dst: London and Paris") {
  CHECK(fires("30 1 * * *", "Europe/London", utc(2026, 3, 28, 12), 2) ==
        Strings{"2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"});
  CHECK(fires("30 1 * * *", "Europe/London", utc(2026, 10, 24, 12), 2) ==
        Strings{"2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"});
  CHECK(fires("30 2 * * *", "Europe/Paris", utc(2026, 3, 28, 12), 2) ==
        Strings{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"});
  CHECK(fires("30 2 * * *", "Europe/Paris", utc(2026, 10, 24, 12), 2) ==
        Strings{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"});
  CHECK(fires("0 * * * *", "Europe/Paris", utc(2026, 10, 24, 22), 4) ==
        Strings{"2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00",
                "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"});
}

TEST_CASE("dst: Sydney, southern hemisphere") {
  CHECK(fires("30 2 * * *", "Australia/Sydney", utc(2026, 4, 4), 2) ==
        Strings{"2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"});
  CHECK(fires("30 2 * * *", "Australia/Sydney", utc(2026, 10, 3), 2) ==
        Strings{"2026-10-04T03:00:00+11:00", "2026-10-05T02:30:00+11:00"});
}

TEST_CASE("dst: Lord Howe shifts by 30 minutes") {
  CHECK(fires("15 2 * * *", "Australia/Lord_Howe", utc(2026, 10, 3), 2) ==
        Strings{"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"});
  CHECK(fires("45 1 * * *", "Australia/Lord_Howe", utc(2026, 4, 4), 2) ==
        Strings{"2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"});
  // Elapsed: 01:30-01:59 repeats, so :40 fires in both passes; :00 of hour 2 comes once.
  CHECK(fires("*/20 * * * *", "Australia/Lord_Howe", utc(2026, 4, 4, 14), 4) ==
        Strings{"2026-04-05T01:20:00+11:00", "2026-04-05T01:40:00+11:00",
                "2026-04-05T01:40:00+10:30", "2026-04-05T02:00:00+10:30"});
}

TEST_CASE("dst: Sao Paulo 2018, transitions at midnight") {
  // Midnight of November 4, 2018 did not exist: @daily fired at 01:00 -02.
  CHECK(fires("@daily", "America/Sao_Paulo", utc(2018, 11, 2, 12), 3) ==
        Strings{"2018-11-03T00:00:00-03:00", "2018-11-04T01:00:00-02:00",
                "2018-11-05T00:00:00-02:00"});
  // 23:30 on February 17, 2018 happened twice.
  CHECK(fires("30 23 * * *", "America/Sao_Paulo", utc(2018, 2, 17, 12), 2) ==
        Strings{"2018-02-17T23:30:00-02:00", "2018-02-18T23:30:00-03:00"});
}

TEST_CASE("dst: rules continue after the last transition in the TZif table (2037)") {
  CHECK(fires("30 2 * * *", "Europe/Berlin", utc(2040, 3, 24, 12), 2) ==
        Strings{"2040-03-25T03:00:00+02:00", "2040-03-26T02:30:00+02:00"});
  CHECK(fires("0 12 1 7 *", "Europe/Berlin", utc(2050, 1, 1), 1) ==
        Strings{"2050-07-01T12:00:00+02:00"});
  CHECK(fires("0 12 1 7 *", "America/New_York", utc(2099, 1, 1), 1) ==
        Strings{"2099-07-01T12:00:00-04:00"});
}

TEST_CASE("dst: six-field schedules follow elapsed time through a fall back") {
  // 01:59:50 to 01:00:10 EST: the hour repeats and so do its seconds.
  CHECK(fires("*/10 * * * * *", "America/New_York", utc(2026, 11, 1, 5, 59, 45), 4) ==
        Strings{"2026-11-01T01:59:50-04:00", "2026-11-01T01:00:00-05:00",
                "2026-11-01T01:00:10-05:00", "2026-11-01T01:00:20-05:00"});
}
