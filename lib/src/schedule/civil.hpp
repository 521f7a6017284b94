#pragma once
// Calendar arithmetic on plain integers. The schedule search runs millions of times a second
// in benchmarks and in the agent's catch-up loops, so it works on seconds since the epoch
// (UTC or wall clock) with Howard Hinnant's public-domain civil-date algorithms, the same
// ones <date/date.h> uses, without the chrono wrapper types in the way.
#include <cstdint>

namespace task::schedule_detail {

using Seconds = std::int64_t;  // seconds since 1970-01-01T00:00:00, UTC or wall clock

inline constexpr Seconds kSecondsPerDay = 86400;
// The supported range of instants: the years RFC 3339 can write.
inline constexpr Seconds kMinInstant = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr Seconds kMaxInstant = 253402300799;  // 9999-12-31T23:59:59Z
// Open ends of offset spans: far outside the supported range, yet far from overflow when a
// UTC offset is added.
inline constexpr Seconds kFarPast = -(Seconds{1} << 60);
inline constexpr Seconds kFarFuture = Seconds{1} << 60;
// No search looks further ahead than one Gregorian cycle (plus slack for its start).
inline constexpr Seconds kSearchHorizon = (146097 + 400) * kSecondsPerDay;

struct CivilDate {
  std::int64_t year;
  int month;  // 1-12
  int day;    // 1-31
};

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

constexpr bool is_leap_year(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int days_in_month(std::int64_t y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date.
constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = m > 2 ? m - 3 : m + 9;
  const std::int64_t doy = (153 * mp + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

constexpr CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const auto d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const auto m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

// 0 = Sunday; 1970-01-01 was a Thursday.
constexpr int weekday_from_days(std::int64_t z) { return static_cast<int>(floor_mod(z + 4, 7)); }

}  // namespace task::schedule_detail
