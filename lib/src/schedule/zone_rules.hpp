#pragma once
// The UTC offsets of one time zone, in a form the schedule search can query in a few
// nanoseconds: a sorted table of every offset change in the tz database, then the zone's
// POSIX rule for the years after the table ends.
//
// Why not ask <date/tz.h> on every query: time_zone::get_info builds a sys_info (with its
// abbreviation string) per call, ~50 ns, which alone would use up the budget of a
// next_fire_after call; and with the OS database it stops at the last transition in the
// TZif file (2037), reading the same offset forever after, so daylight saving would vanish
// from schedules in 2038 and later. The POSIX footer of the TZif file carries the rule that
// continues the table; PosixRule evaluates it.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schedule/civil.hpp"
#include "task/error.hpp"

namespace date {
class time_zone;
}

namespace task::schedule_detail {

// [begin, end) in UTC seconds, during which wall clock = UTC + offset.
struct OffsetSpan {
  Seconds begin;
  Seconds end;
  Seconds offset;
};

// The daylight-saving rule of a POSIX TZ string (RFC 8536 §3.3), such as
// "CET-1CEST,M3.5.0,M10.5.0/3" or "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0".
class PosixRule {
 public:
  // nullopt unless the string is well formed and has a daylight-saving rule.
  static std::optional<PosixRule> parse(std::string_view tz);
  OffsetSpan span_at(Seconds utc) const;

  struct Date {
    char kind = 'M';      // 'J': Julian day 1-365 without Feb 29; 'N': day 0-365; 'M': m.w.d
    int month = 0;        // M
    int week = 0;         // M: 1-5, 5 meaning the last
    int day = 0;          // M: weekday 0-6; J and N: the day number
    Seconds time = 7200;  // local time of day of the change, may be negative or past 24h
  };

 private:
  Seconds transition(const Date& date, std::int64_t year, Seconds offset_before) const;

  Seconds standard_offset_ = 0;  // UTC offset, east positive
  Seconds daylight_offset_ = 0;
  Date start_;  // standard -> daylight
  Date end_;    // daylight -> standard
};

class ZoneRules {
 public:
  // Reads the offsets of `zone`; `tz_dir` is where its TZif file lives (for the footer).
  static Result<std::shared_ptr<const ZoneRules>> load(const date::time_zone& zone,
                                                       std::string_view tz_dir);
  ZoneRules();
  ~ZoneRules();
  ZoneRules(const ZoneRules&) = delete;
  ZoneRules& operator=(const ZoneRules&) = delete;

  // The span that contains `utc`.
  OffsetSpan span_at(Seconds utc) const;
  // The instant a wall-clock time stands for under "each wall time fires once": its first
  // occurrence, or, inside a spring-forward gap, the instant the gap ends.
  Seconds first_instant_of(Seconds local) const;
  // True when the offset is zero at all times: such a zone is plain UTC.
  bool always_utc() const;

 private:
  std::vector<Seconds> begins_;   // begins_[0] == kFarPast, strictly increasing
  std::vector<Seconds> offsets_;  // offsets_[i] holds from begins_[i] to begins_[i+1]
  Seconds tail_begin_ = kFarFuture;
  std::optional<PosixRule> tail_;  // the rule from tail_begin_ on
};

// The time zone a schedule runs in, resolved once at parse time.
struct ResolvedZone {
  std::string name;                        // as the user wrote it
  const date::time_zone* zone = nullptr;   // nullptr: UTC
  std::shared_ptr<const ZoneRules> rules;  // nullptr: UTC
};

// "" and "UTC" resolve to UTC without touching the tz database (loading it costs ~10 ms).
// An unknown name fails with a did-you-mean hint.
Result<ResolvedZone> resolve_zone(std::string_view name);

}  // namespace task::schedule_detail
