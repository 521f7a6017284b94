// parse_schedule: what is accepted, what it means (as bit masks), and every rejection.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>

#include "schedule_test_support.hpp"

using namespace schedule_test;

namespace {

std::uint64_t bits(std::initializer_list<int> values) {
  std::uint64_t mask = 0;
  for (int v : values) mask |= std::uint64_t{1} << v;
  return mask;
}

std::uint64_t range_bits(int first, int last, int step = 1) {
  std::uint64_t mask = 0;
  for (int v = first; v <= last; v += step) mask |= std::uint64_t{1} << v;
  return mask;
}

}  // namespace

TEST_CASE("schedule: five fields") {
  const task::Schedule s = parse_ok("  5 4 3 2 1 ");
  CHECK(s.text() == "5 4 3 2 1");
  CHECK(s.timezone() == "UTC");
  CHECK(s.zone() == nullptr);
  CHECK_FALSE(s.is_interval());
  CHECK(s.period().count() == 0);
  CHECK(s.expression() == "5 4 3 2 1");
  const task::CronFields& f = s.fields();
  CHECK(f.seconds == bits({0}));
  CHECK(f.minutes == bits({5}));
  CHECK(f.hours == bits({4}));
  CHECK(f.days_of_month == bits({3}));
  CHECK(f.months == bits({2}));
  CHECK(f.days_of_week == bits({1}));
  CHECK(f.day_of_month_restricted);
  CHECK(f.day_of_week_restricted);
  CHECK_FALSE(f.has_seconds);
}

TEST_CASE("schedule: six fields lead with seconds") {
  const task::Schedule s = parse_ok("*/10 0 12 * * *");
  const task::CronFields& f = s.fields();
  CHECK(f.has_seconds);
  CHECK(f.seconds == bits({0, 10, 20, 30, 40, 50}));
  CHECK(f.minutes == bits({0}));
  CHECK(f.hours == bits({12}));
  CHECK(f.days_of_month == range_bits(1, 31));
  CHECK(f.months == range_bits(1, 12));
  CHECK(f.days_of_week == range_bits(0, 6));
  CHECK_FALSE(f.day_of_month_restricted);
  CHECK_FALSE(f.day_of_week_restricted);
}

TEST_CASE("schedule: lists, ranges and steps") {
  CHECK(parse_ok("1,5,9 * * * *").fields().minutes == bits({1, 5, 9}));
  CHECK(parse_ok("10-15 * * * *").fields().minutes == range_bits(10, 15));
  CHECK(parse_ok("*/15 * * * *").fields().minutes == bits({0, 15, 30, 45}));
  // */45 restarts every hour: :00 and :45.
  CHECK(parse_ok("*/45 * * * *").fields().minutes == bits({0, 45}));
  CHECK(parse_ok("0-30/10 * * * *").fields().minutes == bits({0, 10, 20, 30}));
  // a/n means a through the top of the range.
  CHECK(parse_ok("10/20 * * * *").fields().minutes == bits({10, 30, 50}));
  CHECK(parse_ok("0 */5 * * *").fields().hours == bits({0, 5, 10, 15, 20}));
  CHECK(parse_ok("0 0 */10 * *").fields().days_of_month == bits({1, 11, 21, 31}));
  CHECK(parse_ok("0 0 1 */3 *").fields().months == bits({1, 4, 7, 10}));
  CHECK(parse_ok("1-3,7,50-59/3 * * * *").fields().minutes ==
        (bits({1, 2, 3, 7}) | bits({50, 53, 56, 59})));
  // Steps up to the span of the field are fine, even when they match one value.
  CHECK(parse_ok("*/59 * * * *").fields().minutes == bits({0, 59}));
  CHECK(parse_ok("5-10/30 * * * *").fields().minutes == bits({5}));
}

TEST_CASE("schedule: month and weekday names, any case") {
  const task::CronFields f = parse_ok("0 9 * jan,Jul,DEC mon-FRI").fields();
  CHECK(f.months == bits({1, 7, 12}));
  CHECK(f.days_of_week == range_bits(1, 5));
  CHECK(parse_ok("0 0 * FEB-APR *").fields().months == range_bits(2, 4));
  CHECK(parse_ok("0 0 * * SUN,sat").fields().days_of_week == bits({0, 6}));
}

TEST_CASE("schedule: 7 is Sunday, also closing a range") {
  CHECK(parse_ok("0 0 * * 7").fields().days_of_week == bits({0}));
  CHECK(parse_ok("0 0 * * 5-7").fields().days_of_week == bits({0, 5, 6}));
  CHECK(parse_ok("0 0 * * MON-SUN").fields().days_of_week == range_bits(0, 6));
  CHECK(parse_ok("0 0 * * FRI-SUN").fields().days_of_week == bits({0, 5, 6}));
  CHECK(parse_ok("0 0 * * 0-7").fields().days_of_week == range_bits(0, 6));
  CHECK(parse_ok("0 0 * * 1-7/2").fields().days_of_week == bits({1, 3, 5, 0}));
}

TEST_CASE("schedule: `?` is `*` in the day fields, and only a bare `*` or `?` is unrestricted") {
  const task::CronFields q = parse_ok("0 0 ? * MON").fields();
  CHECK_FALSE(q.day_of_month_restricted);
  CHECK(q.day_of_week_restricted);
  CHECK_FALSE(parse_ok("0 0 1 * ?").fields().day_of_week_restricted);
  // `*/2` allows some days only, so it is a restriction.
  CHECK(parse_ok("0 0 */2 * *").fields().day_of_month_restricted);
  // `0-6` allows every weekday, yet it was written as a restriction.
  CHECK(parse_ok("0 0 1 * 0-6").fields().day_of_week_restricted);
}

TEST_CASE("schedule: macros") {
  CHECK(parse_ok("@yearly").expression() == "0 0 1 1 *");
  CHECK(parse_ok("@annually").expression() == "0 0 1 1 *");
  CHECK(parse_ok("@monthly").expression() == "0 0 1 * *");
  CHECK(parse_ok("@weekly").expression() == "0 0 * * 0");
  CHECK(parse_ok("@daily").expression() == "0 0 * * *");
  CHECK(parse_ok("@midnight").expression() == "0 0 * * *");
  CHECK(parse_ok("@HOURLY").expression() == "0 * * * *");
  CHECK(parse_ok("@daily").text() == "@daily");
}

TEST_CASE("schedule: intervals") {
  const task::Schedule s = parse_ok("@every 90s");
  CHECK(s.is_interval());
  CHECK(s.period() == std::chrono::seconds{90});
  CHECK(s.expression() == "90s");
  CHECK(parse_ok("every 5m").period() == std::chrono::minutes{5});
  CHECK(parse_ok("Every 2h30m").period() == std::chrono::minutes{150});
  CHECK(parse_ok("@every 1d").period() == std::chrono::hours{24});
  CHECK(parse_ok("@every 1h0m30s").period() == std::chrono::seconds{3630});
  CHECK(parse_ok("@every 36500d").period() == std::chrono::hours{24 * 36500});
}

TEST_CASE("schedule: time zones, by argument or prefix") {
  const task::Schedule by_argument = parse_ok("0 9 * * *", "Europe/Berlin");
  CHECK(by_argument.timezone() == "Europe/Berlin");
  CHECK(by_argument.zone() != nullptr);
  const task::Schedule by_prefix = parse_ok("CRON_TZ=America/New_York 0 9 * * *");
  CHECK(by_prefix.timezone() == "America/New_York");
  CHECK(by_prefix.text() == "CRON_TZ=America/New_York 0 9 * * *");
  CHECK(by_prefix.expression() == "0 9 * * *");
  CHECK(parse_ok("TZ=Asia/Tokyo @daily").timezone() == "Asia/Tokyo");
  CHECK(parse_ok("TZ=Asia/Tokyo @every 5m").timezone() == "Asia/Tokyo");
  // The same zone twice is not a disagreement.
  CHECK(parse_ok("TZ=Europe/Paris 0 9 * * *", "Europe/Paris").timezone() == "Europe/Paris");
  CHECK(parse_ok("0 9 * * *", "UTC").timezone() == "UTC");
}

TEST_CASE("schedule: rejects values out of range, naming the field") {
  CHECK(rejection("61 * * * *") == "minute field \"61\": value 61 out of range 0-59");
  CHECK(rejection("* 24 * * *") == "hour field \"24\": value 24 out of range 0-23");
  CHECK(rejection("* * 0 * *") == "day-of-month field \"0\": value 0 out of range 1-31");
  CHECK(rejection("* * 32 * *") == "day-of-month field \"32\": value 32 out of range 1-31");
  CHECK(rejection("* * * 13 *") == "month field \"13\": value 13 out of range 1-12");
  CHECK(rejection("* * * 0 *") == "month field \"0\": value 0 out of range 1-12");
  CHECK(rejection("* * * * 8") == "day-of-week field \"8\": value 8 out of range 0-7");
  CHECK(rejection("60 * * * * *") == "second field \"60\": value 60 out of range 0-59");
  CHECK(rejection("1,99999999999999999999 * * * *") ==
        "minute field \"1,99999999999999999999\": value 99999999999999999999 out of range 0-59");
  CHECK(rejection("0 0-25 * * *") == "hour field \"0-25\": value 25 out of range 0-23");
}

TEST_CASE("schedule: rejects wrap-around ranges and says how to write them") {
  CHECK(rejection("0 22-2 * * *") ==
        "hour field \"22-2\": range 22-2 wraps around; ranges must go upwards");
  CHECK(hint_of("0 22-2 * * *") == "write 22-23,0-2");
  CHECK(hint_of("0 0 * NOV-FEB *") == "write NOV-DEC,JAN-FEB");
  CHECK(hint_of("0 0 * * FRI-MON") == "write FRI-SUN,MON");
  CHECK(hint_of("0 0 * * 5-1") == "write 5-7,1");
  CHECK(hint_of("0 0 * * 5-0") == "write 5-7");
  CHECK(rejection("50-10/5 * * * *") ==
        "minute field \"50-10/5\": range 50-10 wraps around; ranges must go upwards");
}

TEST_CASE("schedule: rejects bad steps") {
  CHECK(rejection("*/0 * * * *") == "minute field \"*/0\": step 0 out of range 1-59");
  CHECK(rejection("*/60 * * * *") == "minute field \"*/60\": step 60 out of range 1-59");
  CHECK(hint_of("*/60 * * * *").find("@every 60m") != std::string::npos);
  CHECK(rejection("*/90 * * * * *") == "second field \"*/90\": step 90 out of range 1-59");
  CHECK(hint_of("*/90 * * * * *").find("@every 90s") != std::string::npos);
  CHECK(rejection("0 */24 * * *") == "hour field \"*/24\": step 24 out of range 1-23");
  CHECK(rejection("0 0 * */12 *") == "month field \"*/12\": step 12 out of range 1-11");
  CHECK(rejection("0 0 * * */7") == "day-of-week field \"*/7\": step 7 out of range 1-6");
  CHECK(rejection("*/ * * * *") == "minute field \"*/\": missing step after `/`");
  CHECK(rejection("*/x * * * *") == "minute field \"*/x\": step \"x\" is not a number");
  CHECK(rejection("1/2/3 * * * *") == "minute field \"1/2/3\": more than one `/` in \"1/2/3\"");
  CHECK(rejection("/5 * * * *") == "minute field \"/5\": missing value before `/` in \"/5\"");
}

TEST_CASE("schedule: rejects unknown names and malformed items") {
  CHECK(rejection("0 0 * FOO *") ==
        "month field \"FOO\": unknown month \"FOO\": expected 1-12 or JAN-DEC");
  CHECK(rejection("0 0 * JANUARY *") ==
        "month field \"JANUARY\": unknown month \"JANUARY\": expected 1-12 or JAN-DEC");
  CHECK(rejection("0 0 * * FUN") ==
        "day-of-week field \"FUN\": unknown day of the week \"FUN\": expected 0-7 or SUN-SAT");
  CHECK(rejection("MON * * * *") ==
        "minute field \"MON\": \"MON\" is not a number (expected 0-59)");
  CHECK(rejection("0 0 JAN * *") ==
        "day-of-month field \"JAN\": \"JAN\" is not a number (expected 1-31)");
  CHECK(rejection("-5 * * * *") ==
        "minute field \"-5\": missing start of range in \"-5\" (values cannot be negative)");
  CHECK(rejection("5- * * * *") == "minute field \"5-\": missing end of range in \"5-\"");
  CHECK(rejection("1-2-3 * * * *") == "minute field \"1-2-3\": \"1-2-3\" has more than one `-`");
  CHECK(rejection("+5 * * * *") == "minute field \"+5\": \"+5\" is not a number (expected 0-59)");
  CHECK(rejection("? * * * *") ==
        "minute field \"?\": `?` is only allowed in the day-of-month and day-of-week fields");
  CHECK(rejection("0 0 ?/2 * *") ==
        "day-of-month field \"?/2\": `?` must stand alone, meaning any day");
}

TEST_CASE("schedule: rejects empty list items") {
  CHECK(rejection("1,,2 * * * *") == "minute field \"1,,2\": empty item in the list");
  CHECK(rejection("1, * * * *") == "minute field \"1,\": empty item in the list");
  CHECK(rejection(",1 * * * *") == "minute field \",1\": empty item in the list");
}

TEST_CASE("schedule: malformed L, W and # are named, with the forms that work") {
  CHECK(rejection("0 0 L-31 * *") == "day-of-month field \"L-31\": \"L-31\": the days before the last one are 0 to 30");
  CHECK(rejection("0 0 32W * *") == "day-of-month field \"32W\": \"32W\": `W` follows one day of the month, 1 to 31");
  CHECK(rejection("0 0 1-L * *").starts_with("day-of-month field \"1-L\": `L` and `W` stand alone as items"));
  CHECK(rejection("0 0 L/2 * *").starts_with("day-of-month field \"L/2\": `L` and `W` stand alone as items"));
  CHECK(rejection("0 0 * * 5#6") ==
        "day-of-week field \"5#6\": \"5#6\": a month has a first to a fifth of a weekday (#1 to #5)");
  CHECK(rejection("0 0 * * 9#1") == "day-of-week field \"9#1\": \"9#1\": `#` follows one weekday, 0-7 or SUN-SAT");
  CHECK(rejection("0 0 * * L") == "day-of-week field \"L\": `L` alone is no weekday");
  CHECK(hint_of("0 0 * * L") == "in the day-of-week field L follows one: 5L is the last Friday");
  CHECK(rejection("0 0 * * 1-5L").starts_with("day-of-week field \"1-5L\": `L` and `#` follow one weekday as items"));
  // Days that none of the chosen months has: never fires.
  CHECK(rejection("0 0 31W 2 *").starts_with("the schedule can never fire"));
  CHECK(rejection("0 0 L-29 2 *").starts_with("the schedule can never fire"));
}

TEST_CASE("schedule: rejects wrong field counts, saying how many were found") {
  CHECK(rejection("* * * *") ==
        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with a leading "
        "second field), found 4");
  CHECK(rejection("0 0 12 * * ? 2026").ends_with("found 7"));
  CHECK(hint_of("0 0 12 * * ? 2026").starts_with("a trailing year field is not supported"));
  CHECK(rejection("5m").ends_with("found 1"));
  CHECK(hint_of("5m") == "for a fixed period write @every 5m");
  CHECK(rejection("") == "empty schedule");
  CHECK(rejection("   ") == "empty schedule");
  CHECK(rejection("CRON_TZ=Europe/Berlin") == "empty schedule");
}

TEST_CASE("schedule: a 6-field mistake for a trailing year gets a hint") {
  CHECK(rejection("0 12 * * * 2026") == "day-of-week field \"2026\": value 2026 out of range 0-7");
  CHECK(hint_of("0 12 * * * 2026").find("with 6 fields the first is seconds") != std::string::npos);
}

TEST_CASE("schedule: rejects unknown macros and bad intervals") {
  CHECK(rejection("@fortnightly") ==
        "unknown macro \"@fortnightly\": expected @yearly, @annually, @monthly, @weekly, "
        "@daily, @midnight, @hourly or @every <duration>");
  CHECK(rejection("@reboot").starts_with("@reboot is not supported"));
  CHECK(rejection("@daily 5") == "unexpected \"5\" after @daily");
  CHECK(rejection("@every") == "@every needs a duration");
  CHECK(rejection("@every 2h 30m") == "@every takes one duration without blanks, found 2 words");
  CHECK(rejection("every") == "`every` takes one duration without blanks");
  CHECK(rejection("@every 0s") == "interval \"0s\" is zero; it must be at least 1s");
  CHECK(rejection("@every 0h0m") == "interval \"0h0m\" is zero; it must be at least 1s");
  CHECK(rejection("@every -5m") == "interval \"-5m\" is negative; it must be positive");
  CHECK(rejection("@every 5") ==
        "interval \"5\": missing unit after 5 (use d, h, m or s, as in 90s)");
  CHECK(rejection("@every 1.5h") ==
        "interval \"1.5h\": fractions are not supported; write whole units such as 1h30m");
  CHECK(rejection("@every 5ms") ==
        "interval \"5ms\": unit \"ms\" is too small; the smallest unit is s");
  CHECK(rejection("@every 2w") == "interval \"2w\": unknown unit \"w\" (use d, h, m or s)");
  CHECK(rejection("@every h") ==
        "interval \"h\": expected a number at \"h\" (for example 90s, 5m or 2h30m)");
  CHECK(rejection("@every 36501d") == "interval \"36501d\" is too long: at most 36500d");
  CHECK(rejection("@every 99999999999999999999s") ==
        "interval \"99999999999999999999s\" is too long: at most 36500d");
}

TEST_CASE("schedule: rejects a schedule that can never fire") {
  CHECK(rejection("0 0 30 2 *") ==
        "day-of-month field \"30\" and month field \"2\": the schedule can never fire, "
        "February has at most 29 days");
  CHECK(rejection("0 0 31 4 *") ==
        "day-of-month field \"31\" and month field \"4\": the schedule can never fire, "
        "April has at most 30 days");
  CHECK(rejection("0 0 31 2,4,6,9,11 *") ==
        "day-of-month field \"31\" and month field \"2,4,6,9,11\": the schedule can never fire, "
        "none of the chosen months has more than 30 days");
  CHECK(rejection("0 0 30,31 FEB ?").find("February has at most 29 days") != std::string::npos);
  // A day that some chosen month has is fine; so is any day when weekdays are restricted.
  CHECK(rejection("0 0 29 2 *") == "");
  CHECK(rejection("0 0 31 1-4 *") == "");
  CHECK(rejection("0 0 30 2 1") == "");
  CHECK(rejection("0 0 29 2 1") == "");
}

TEST_CASE("schedule: rejects unknown time zones and disagreeing ones") {
  CHECK(rejection("0 9 * * *", "Europe/Berln") == "unknown time zone \"Europe/Berln\"");
  CHECK(hint_of("0 9 * * *", "Europe/Berln").starts_with("did you mean Europe/Berlin?"));
  CHECK(hint_of("0 9 * * *", "europe/paris").starts_with("did you mean Europe/Paris?"));
  CHECK(rejection("CRON_TZ=Mars/Olympus 0 9 * * *") == "unknown time zone \"Mars/Olympus\"");
  CHECK(rejection("TZ= 0 9 * * *") == "missing time zone after TZ=");
  CHECK(rejection("CRON_TZ=Europe/Paris 0 9 * * *", "Europe/Berlin") ==
        "the schedule says CRON_TZ=Europe/Paris but time zone \"Europe/Berlin\" was also given");
  // The zone is checked after the fields, so a bad field is reported first.
  CHECK(rejection("61 * * * *", "Nowhere/Land").starts_with("minute field"));
}
