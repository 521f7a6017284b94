// POSIX TZ strings, the rule at the end of every modern TZif file. <date/ptz.h> has one, but
// it does not compile as C++20 or later (its hh_mm_ss clashes with std::chrono's), and the
// part needed here is small.
#include <algorithm>
#include <array>
#include <cctype>

#include "schedule/zone_rules.hpp"

namespace task::schedule_detail {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // A zone abbreviation: three or more letters, or anything between < and >.
  bool name() {
    if (take('<')) {
      const std::size_t start = pos_;
      while (!done() && peek() != '>') ++pos_;
      return pos_ > start && take('>');
    }
    const std::size_t start = pos_;
    while (!done() && std::isalpha(static_cast<unsigned char>(peek()))) ++pos_;
    return pos_ - start >= 3;
  }

  std::optional<int> number(int max_digits) {
    int value = 0;
    int digits = 0;
    while (digits < max_digits && !done() && peek() >= '0' && peek() <= '9') {
      value = value * 10 + (peek() - '0');
      ++pos_;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    return value;
  }

  // [+-]hh[:mm[:ss]], hours up to 167 as RFC 8536 allows for transition times.
  std::optional<Seconds> duration() {
    const bool negative = take('-');
    if (!negative) take('+');
    const auto hours = number(3);
    if (!hours || *hours > 167) return std::nullopt;
    Seconds total = *hours * Seconds{3600};
    if (take(':')) {
      const auto minutes = number(2);
      if (!minutes || *minutes > 59) return std::nullopt;
      total += *minutes * Seconds{60};
      if (take(':')) {
        const auto seconds = number(2);
        if (!seconds || *seconds > 59) return std::nullopt;
        total += *seconds;
      }
    }
    return negative ? -total : total;
  }

  std::optional<PosixRule::Date> date() {
    PosixRule::Date date;
    if (take('M')) {
      const auto month = number(2);
      if (!month || *month < 1 || *month > 12 || !take('.')) return std::nullopt;
      const auto week = number(1);
      if (!week || *week < 1 || *week > 5 || !take('.')) return std::nullopt;
      const auto day = number(1);
      if (!day || *day > 6) return std::nullopt;
      date.month = *month;
      date.week = *week;
      date.day = *day;
    } else {
      date.kind = take('J') ? 'J' : 'N';
      const auto day = number(3);
      if (!day || *day > 365 || (date.kind == 'J' && *day < 1)) return std::nullopt;
      date.day = *day;
    }
    if (take('/')) {
      const auto time = duration();
      if (!time) return std::nullopt;
      date.time = *time;
    }
    return date;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

struct Change {
  Seconds at;
  Seconds offset;
};

}  // namespace

std::optional<PosixRule> PosixRule::parse(std::string_view tz) {
  Reader in(tz);
  PosixRule rule;
  if (!in.name()) return std::nullopt;
  const auto standard = in.duration();
  if (!standard) return std::nullopt;
  rule.standard_offset_ = -*standard;                // POSIX counts west of Greenwich as positive
  if (in.done() || !in.name()) return std::nullopt;  // no daylight saving
  rule.daylight_offset_ = rule.standard_offset_ + 3600;
  if (in.peek() != ',') {
    const auto daylight = in.duration();
    if (!daylight) return std::nullopt;
    rule.daylight_offset_ = -*daylight;
  }
  if (!in.take(',')) return std::nullopt;
  const auto start = in.date();
  if (!start || !in.take(',')) return std::nullopt;
  const auto end = in.date();
  if (!end || !in.done()) return std::nullopt;
  rule.start_ = *start;
  rule.end_ = *end;
  return rule;
}

Seconds PosixRule::transition(const Date& date, std::int64_t year, Seconds offset_before) const {
  const std::int64_t new_year = days_from_civil(year, 1, 1);
  std::int64_t day = 0;
  if (date.kind == 'J') {
    day = new_year + date.day - 1 + (is_leap_year(year) && date.day >= 60 ? 1 : 0);
  } else if (date.kind == 'N') {
    day = new_year + date.day;
  } else {
    const std::int64_t first = days_from_civil(year, date.month, 1);
    const int first_weekday = weekday_from_days(first);
    int day_of_month = 1 + (date.day - first_weekday + 7) % 7 + 7 * (date.week - 1);
    while (day_of_month > days_in_month(year, date.month)) day_of_month -= 7;
    day = first + day_of_month - 1;
  }
  // The time of the change is on the wall clock in force before it.
  return day * kSecondsPerDay + date.time - offset_before;
}

OffsetSpan PosixRule::span_at(Seconds utc) const {
  const std::int64_t year = civil_from_days(floor_div(utc, kSecondsPerDay)).year;
  std::array<Change, 10> changes{};
  std::size_t count = 0;
  for (std::int64_t y = year - 2; y <= year + 2; ++y) {
    // An end listed before a start at the same instant lets a start win: a rule for
    // permanent daylight time ends one year as the next begins.
    changes[count++] = {transition(end_, y, daylight_offset_), standard_offset_};
    changes[count++] = {transition(start_, y, standard_offset_), daylight_offset_};
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return a.at < b.at; });
  // Keep the last change at each instant, then only the ones that change the offset.
  std::array<Change, 10> kept{};
  std::size_t kept_count = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (i + 1 < count && changes[i + 1].at == changes[i].at) continue;
    if (kept_count > 0 && kept[kept_count - 1].offset == changes[i].offset) continue;
    kept[kept_count++] = changes[i];
  }
  std::size_t index = 0;
  while (index + 1 < kept_count && kept[index + 1].at <= utc) ++index;
  if (kept[index].at > utc)  // before every change: the offset the first one replaced
    return {kFarPast, kept[index].at,
            kept[index].offset == standard_offset_ ? daylight_offset_ : standard_offset_};
  const Seconds end = index + 1 < kept_count ? kept[index + 1].at : kFarFuture;
  return {kept[index].at, end, kept[index].offset};
}

}  // namespace task::schedule_detail
