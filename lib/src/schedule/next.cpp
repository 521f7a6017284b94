// Fire times. A cron schedule is searched on the wall clock: a month at a time (a bit mask
// of the month's matching days), then within the day by bit scans over hours, minutes and
// seconds. The zone's offsets come from a precomputed table, so a typical call costs a
// binary search and a few dozen integer operations, and nothing allocates.
#include <algorithm>
#include <bit>
#include <limits>
#include <optional>

#include "schedule/civil.hpp"
#include "schedule/internals.hpp"
#include "schedule/zone_rules.hpp"
#include "task/schedule.hpp"

namespace task {
namespace {

using schedule_detail::CivilDate;
using schedule_detail::kFarPast;
using schedule_detail::kMaxInstant;
using schedule_detail::kMinInstant;
using schedule_detail::kSearchHorizon;
using schedule_detail::kSecondsPerDay;
using schedule_detail::OffsetSpan;
using schedule_detail::Seconds;
using schedule_detail::ZoneRules;

// "No fire time" inside the search. Plain integers rather than std::optional on this path:
// returning an optional<int64_t> through memory costs a store-forwarding stall per call,
// a fifth of the whole search.
constexpr Seconds kNone = std::numeric_limits<Seconds>::max();

// Nothing past the supported range can be returned, so no search goes beyond it (a day of
// slack covers any UTC offset).
constexpr Seconds kSearchEnd = kMaxInstant + 2 * kSecondsPerDay;

// The lowest set bit of `mask` at or above `from`; 64 when there is none.
int next_bit(std::uint64_t mask, int from) {
  if (from >= 64) return 64;
  const std::uint64_t rest = mask & (~std::uint64_t{0} << from);
  return rest == 0 ? 64 : std::countr_zero(rest);
}

// Finds wall-clock times that match a cron schedule, ignoring time zones altogether.
class WallClockMatcher {
 public:
  explicit WallClockMatcher(const CronFields& fields) : f_(fields) {
    // Weekday k % 7 for k < 63, so that shifting by the weekday of a month's first day
    // lines the weekdays up with the days of that month.
    const std::uint64_t week = fields.days_of_week & 0x7Fu;
    for (int k = 0; k < 63; k += 7) weekdays_ |= week << k;
    first_second_ = next_bit(fields.seconds, 0);
    first_minute_ = next_bit(fields.minutes, 0);
    first_time_ =
        next_bit(fields.hours, 0) * Seconds{3600} + first_minute_ * Seconds{60} + first_second_;
  }

  // The first matching wall-clock time in [from, limit), or kNone; at most 401 years are
  // searched.
  Seconds next(Seconds from, Seconds limit) const {
    if (from >= limit) return kNone;
    const std::int64_t day = schedule_detail::floor_div(from, kSecondsPerDay);
    const Seconds time_of_day = from - day * kSecondsPerDay;
    const CivilDate date = schedule_detail::civil_from_days(day);
    std::int64_t year = date.year;
    int month = date.month;
    std::int64_t month_start = day - (date.day - 1);
    for (int i = 0; i < 12 * 401; ++i) {
      if (month_start * kSecondsPerDay >= limit) return kNone;
      const int length = schedule_detail::days_in_month(year, month);
      if ((f_.months >> month) & 1u) {
        std::uint64_t days = matching_days(month_start, length);
        if (i == 0) {
          if ((days >> date.day) & 1u) {
            const Seconds time = time_at_or_after(time_of_day);
            if (time >= 0)
              return before(limit, (month_start + date.day - 1) * kSecondsPerDay + time);
          }
          days &= ~((std::uint64_t{2} << date.day) - 1);  // only the days after today
        }
        if (days != 0)
          return before(limit,
                        (month_start + std::countr_zero(days) - 1) * kSecondsPerDay + first_time_);
      }
      month_start += length;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
    return kNone;
  }

 private:
  static Seconds before(Seconds limit, Seconds t) { return t < limit ? t : kNone; }

  // Bit d set when day d of the month starting on `month_start` fires.
  std::uint64_t matching_days(std::int64_t month_start, int length) const {
    const std::uint64_t valid = ((std::uint64_t{2} << length) - 1) & ~std::uint64_t{1};
    const int first_weekday = schedule_detail::weekday_from_days(month_start);
    auto by_rules = [&](const std::vector<DayRule>& rules) {
      std::uint64_t days = 0;
      for (const auto& r : rules) days |= std::uint64_t{1} << day_rule_day(r, length, first_weekday);
      return days & valid;  // bit 0: a month without that day
    };
    const std::uint64_t by_date = (f_.days_of_month & valid) | by_rules(f_.day_of_month_rules);
    if (!f_.day_of_week_restricted) return f_.day_of_month_restricted ? by_date : valid;
    const std::uint64_t by_weekday = (((weekdays_ >> first_weekday) << 1) & valid) | by_rules(f_.day_of_week_rules);
    // Both restricted: either one fires the day (Vixie cron).
    return f_.day_of_month_restricted ? (by_date | by_weekday) : by_weekday;
  }

  // The first matching time of day at or after `t` (seconds since midnight), or -1.
  Seconds time_at_or_after(Seconds t) const {
    const int hour = static_cast<int>(t / 3600);
    const int minute = static_cast<int>(t / 60 % 60);
    const int second = static_cast<int>(t % 60);
    if ((f_.hours >> hour) & 1u) {
      if ((f_.minutes >> minute) & 1u) {
        const int s = next_bit(f_.seconds, second);
        if (s < 60) return hour * Seconds{3600} + minute * Seconds{60} + s;
      }
      const int m = next_bit(f_.minutes, minute + 1);
      if (m < 60) return hour * Seconds{3600} + m * Seconds{60} + first_second_;
    }
    const int h = next_bit(f_.hours, hour + 1);
    if (h < 24) return h * Seconds{3600} + first_minute_ * Seconds{60} + first_second_;
    return -1;
  }

  const CronFields& f_;
  std::uint64_t weekdays_ = 0;
  int first_second_ = 0;
  int first_minute_ = 0;
  Seconds first_time_ = 0;
};

// Hour field `*`: fire at every instant whose wall clock matches, span by span.
Seconds next_elapsed(const WallClockMatcher& match, const ZoneRules& rules, Seconds after) {
  Seconds t = after + 1;
  const Seconds horizon = std::min(t + kSearchHorizon, kSearchEnd);
  while (t < horizon) {
    const OffsetSpan span = rules.span_at(t);
    const Seconds end = std::min(span.end, horizon);
    const Seconds local = match.next(t + span.offset, end + span.offset);
    if (local != kNone) return local - span.offset;
    t = span.end;
  }
  return kNone;
}

// Restricted hour field: each matching wall-clock time fires once (first occurrence, or the
// end of the gap that swallowed it).
Seconds next_wall_clock(const WallClockMatcher& match, const ZoneRules& rules, Seconds after) {
  const OffsetSpan span = rules.span_at(after);
  Seconds start = after + span.offset + 1;
  if (span.begin > after - 2 * kSecondsPerDay && span.begin > kFarPast) {
    // `after` may lie in the second pass through a repeated hour: the wall times still ahead
    // of it in that hour already fired in the first pass.
    const OffsetSpan previous = rules.span_at(span.begin - 1);
    start = std::max(start, span.begin + previous.offset);
  }
  for (int attempt = 0; attempt < 4; ++attempt) {
    const Seconds local = match.next(start, std::min(start + kSearchHorizon, kSearchEnd));
    if (local == kNone) return kNone;
    const Seconds fire =
        local - span.offset < span.end ? local - span.offset : rules.first_instant_of(local);
    if (fire > after) return fire;
    start = local + 1;  // only reachable with implausible zone data; keeps the result sane
  }
  return kNone;
}

Seconds next_interval(Seconds period, Seconds anchor, Seconds after) {
  if (after < anchor) return anchor;
  // (after - anchor) mod period, without forming after - anchor, which can overflow for an
  // anchor far in the past.
  using schedule_detail::floor_mod;
  const Seconds phase = floor_mod(floor_mod(after, period) - floor_mod(anchor, period), period);
  return after - phase + period;
}

}  // namespace

int day_rule_day(const DayRule& rule, int length, int first_weekday) {
  auto weekday_of = [&](int day) { return (first_weekday + day - 1) % 7; };
  switch (rule.kind) {
    case DayRule::Kind::last_day:
      return length - rule.n >= 1 ? length - rule.n : 0;
    case DayRule::Kind::last_weekday: {
      const int w = weekday_of(length);
      return w == 6 ? length - 1 : w == 0 ? length - 2 : length;
    }
    case DayRule::Kind::nearest_weekday: {
      if (rule.day > length) return 0;
      const int w = weekday_of(rule.day);
      if (w == 6) return rule.day == 1 ? 3 : rule.day - 1;       // Saturday: the Friday before, within the month
      if (w == 0) return rule.day == length ? rule.day - 2 : rule.day + 1;  // Sunday: the Monday after
      return rule.day;
    }
    case DayRule::Kind::last_of:
      return length - ((weekday_of(length) - rule.day + 7) % 7);
    case DayRule::Kind::nth_of: {
      const int day = 1 + (rule.day - first_weekday + 7) % 7 + 7 * (rule.n - 1);
      return day <= length ? day : 0;
    }
  }
  return 0;
}

std::optional<Instant> next_fire_after(const Schedule& schedule, Instant after_instant,
                                       Instant anchor) {
  Seconds after = after_instant.time_since_epoch().count();
  if (after >= kMaxInstant) return std::nullopt;
  after = std::max(after, kMinInstant - 1);

  Seconds fire = kNone;
  if (schedule.is_interval()) {
    fire = next_interval(schedule.period().count(), anchor.time_since_epoch().count(), after);
  } else {
    const WallClockMatcher match(schedule.fields());
    const ZoneRules* rules = ScheduleInternals::rules(schedule);
    if (rules == nullptr)
      fire = match.next(after + 1, std::min(after + 1 + kSearchHorizon, kSearchEnd));
    else if (schedule.follows_elapsed_time())
      fire = next_elapsed(match, *rules, after);
    else
      fire = next_wall_clock(match, *rules, after);
  }
  if (fire > kMaxInstant) return std::nullopt;
  return Instant{std::chrono::seconds{fire}};
}

std::vector<Instant> next_fire_times(const Schedule& schedule, Instant after, std::size_t count,
                                     Instant anchor) {
  std::vector<Instant> times;
  times.reserve(std::min<std::size_t>(count, 1024));
  for (std::size_t i = 0; i < count; ++i) {
    const auto next = next_fire_after(schedule, after, anchor);
    if (!next) break;
    times.push_back(*next);
    after = *next;
  }
  return times;
}

std::vector<Instant> fire_times_between(const Schedule& schedule, Instant from, Instant to,
                                        std::size_t limit, Instant anchor) {
  std::vector<Instant> times;
  const Seconds start = from.time_since_epoch().count();
  Instant after{std::chrono::seconds{start > kMinInstant ? start - 1 : kMinInstant - 1}};
  while (times.size() < limit) {
    const auto next = next_fire_after(schedule, after, anchor);
    if (!next || *next >= to) break;
    times.push_back(*next);
    after = *next;
  }
  return times;
}

}  // namespace task
