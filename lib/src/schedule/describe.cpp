// describe(): a schedule in English. The phrasing follows crontab.guru ("At minute 0 past
// every 2nd hour"), with plain forms for the shapes people write most ("Every 5 minutes",
// "At 09:30 on Monday through Friday"). Cron fields are re-read from the expression because
// the bit masks alone forget how a field was written (`*/2` versus a list of even hours).
#include <algorithm>
#include <array>
#include <bit>
#include <optional>
#include <string>
#include <vector>

#include "schedule/field.hpp"
#include "schedule/interval.hpp"
#include "task/schedule.hpp"

namespace task {
namespace {

using schedule_detail::Field;
using schedule_detail::FieldItem;
using schedule_detail::ParsedField;

std::string join_list(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " and " : ", ";
    out += words[i];
  }
  return out;
}

std::string ordinal(int n) {
  const int tens = n % 100;
  const int ones = n % 10;
  const char* suffix = (tens >= 11 && tens <= 13) ? "th"
                       : ones == 1                ? "st"
                       : ones == 2                ? "nd"
                       : ones == 3                ? "rd"
                                                  : "th";
  return std::to_string(n) + suffix;
}

std::string two_digits(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

std::string clock(int hour, int minute, int second) {
  std::string out = two_digits(hour) + ":" + two_digits(minute);
  if (second != 0) out += ":" + two_digits(second);
  return out;
}

std::vector<int> values_of(std::uint64_t bits) {
  std::vector<int> values;
  for (int v = 0; v < 64; ++v)
    if ((bits >> v) & 1u) values.push_back(v);
  return values;
}

// A cron field as written, with the questions the phrasing asks of it.
struct View {
  ParsedField parsed;
  Field field;

  bool is_all() const {
    const auto range = schedule_detail::field_range(field);
    for (int v = range.min; v <= range.max; ++v)
      if (((parsed.bits >> v) & 1u) == 0) return false;
    return true;
  }
  std::optional<int> single() const {
    if (parsed.items.size() != 1 || parsed.items[0].whole) return std::nullopt;
    if (parsed.items[0].first != parsed.items[0].last) return std::nullopt;
    return parsed.items[0].first;
  }
  bool all_single_values() const {
    for (const FieldItem& item : parsed.items)
      if (item.whole || item.first != item.last) return false;
    return true;
  }
  // `*/n`, or a range spanning the whole field with a step: the step.
  std::optional<int> whole_step() const {
    if (parsed.items.size() != 1) return std::nullopt;
    const FieldItem& item = parsed.items[0];
    const auto range = schedule_detail::field_range(field);
    if (item.whole || (item.first == range.min && item.last == range.max)) return item.step;
    return std::nullopt;
  }
};

View view(const std::string& expression_field, Field field) {
  auto parsed = schedule_detail::parse_field(expression_field, field);
  return View{parsed ? std::move(*parsed) : ParsedField{}, field};
}

std::string every(int step, std::string_view unit) {
  return step == 1 ? "every " + std::string(unit)
                   : "every " + ordinal(step) + " " + std::string(unit);
}

std::string item_phrase(const FieldItem& item, std::string_view unit) {
  if (item.whole) return every(item.step, unit);
  if (item.first == item.last) return std::string(unit) + " " + std::to_string(item.first);
  return every(item.step, unit) + " from " + std::to_string(item.first) + " through " +
         std::to_string(item.last);
}

// "every 2nd hour", "minute 5", "minutes 0, 15 and 45", "every minute from 10 through 20".
std::string field_phrase(const View& v, std::string_view unit) {
  if (v.is_all()) return "every " + std::string(unit);
  if (auto step = v.whole_step()) return every(*step, unit);
  std::vector<std::string> words;
  if (v.all_single_values()) {
    for (int value : values_of(v.parsed.bits)) words.push_back(std::to_string(value));
    return std::string(unit) + (words.size() > 1 ? "s " : " ") + join_list(words);
  }
  for (const FieldItem& item : v.parsed.items) words.push_back(item_phrase(item, unit));
  return join_list(words);
}

struct TimePhrase {
  std::string text;
  bool is_clock = false;  // "At 09:30": a fixed time of day
};

TimePhrase time_phrase(const View& s, const View& m, const View& h) {
  const bool second_zero = s.parsed.bits == 1;
  const bool every_hour = h.is_all();
  const auto minute_step = m.whole_step();
  const auto second_step = s.whole_step();
  if (second_zero && minute_step && every_hour)
    return {*minute_step == 1 ? "Every minute"
                              : "Every " + std::to_string(*minute_step) + " minutes"};
  if (second_step && m.is_all() && every_hour)
    return {*second_step == 1 ? "Every second"
                              : "Every " + std::to_string(*second_step) + " seconds"};
  if (second_zero && m.parsed.bits == 1 && every_hour) return {"Every hour"};

  const auto second = s.single();
  const auto minute = m.single();
  if (second && minute && h.all_single_values()) {
    std::vector<std::string> times;
    for (int hour : values_of(h.parsed.bits)) times.push_back(clock(hour, *minute, *second));
    return {"At " + join_list(times), true};
  }
  std::vector<std::string> parts;
  if (!second_zero) parts.push_back(field_phrase(s, "second"));
  // "every minute" goes without saying after a seconds phrase, as "every hour" does after a
  // minutes one; after a single value it is needed ("At minute 30 past every hour").
  if (!(m.is_all() && !second)) parts.push_back(field_phrase(m, "minute"));
  if (!(every_hour && !minute)) parts.push_back(field_phrase(h, "hour"));
  std::string text = "At ";
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i > 0 ? " past " : "") + parts[i];
  return {text};
}

// Names from a bit mask in the given order, runs of three or more as "X through Y".
template <class NameOf>
std::string named_runs(std::uint64_t bits, const std::vector<int>& order, NameOf name_of) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < order.size()) {
    if (((bits >> order[i]) & 1u) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j + 1 < order.size() && ((bits >> order[j + 1]) & 1u)) ++j;
    if (j - i >= 2) {
      words.push_back(std::string(name_of(order[i])) + " through " +
                      std::string(name_of(order[j])));
    } else {
      for (std::size_t k = i; k <= j; ++k) words.push_back(std::string(name_of(order[k])));
    }
    i = j + 1;
  }
  return join_list(words);
}

std::string weekdays_phrase(std::uint8_t bits) {
  return named_runs(bits, {1, 2, 3, 4, 5, 6, 0}, schedule_detail::weekday_name);
}

std::string months_phrase(std::uint16_t bits) {
  return named_runs(bits, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, schedule_detail::month_name);
}

// "the last Friday of the month", "the weekday nearest day 15 of the month"
std::string rule_phrase(const DayRule& r) {
  static constexpr std::array<std::string_view, 6> kOrdinals = {"", "first", "second", "third", "fourth", "fifth"};
  const std::string weekday(schedule_detail::weekday_name(r.day));
  switch (r.kind) {
    case DayRule::Kind::last_day:
      return r.n == 0 ? "the last day of the month"
                      : "the day " + std::to_string(r.n) + (r.n == 1 ? " day" : " days") + " before the last of the month";
    case DayRule::Kind::last_weekday: return "the last weekday of the month";
    case DayRule::Kind::nearest_weekday: return "the weekday nearest day " + std::to_string(r.day) + " of the month";
    case DayRule::Kind::last_of: return "the last " + weekday + " of the month";
    case DayRule::Kind::nth_of:
      return "the " + std::string(kOrdinals[static_cast<std::size_t>(std::clamp(r.n, 0, 5))]) + " " + weekday + " of the month";
  }
  return "";
}

// The plain items of a day field and its rules, in one list.
std::string with_rules(std::string plain, const std::vector<DayRule>& rules) {
  std::vector<std::string> words;
  if (!plain.empty()) words.push_back(std::move(plain));
  for (const auto& r : rules) words.push_back(rule_phrase(r));
  return join_list(words);
}

std::string plain_days_phrase(const View& v) {
  if (v.parsed.items.empty()) return "";
  if (auto step = v.whole_step()) return every(*step, "day") + " of the month";
  std::vector<std::string> words;
  if (v.all_single_values()) {
    for (int value : values_of(v.parsed.bits)) words.push_back(std::to_string(value));
    return (words.size() > 1 ? "days " : "day ") + join_list(words) + " of the month";
  }
  for (const FieldItem& item : v.parsed.items) {
    if (!item.whole && item.step == 1 && item.first != item.last)
      words.push_back("days " + std::to_string(item.first) + " through " +
                      std::to_string(item.last));
    else
      words.push_back(item_phrase(item, "day"));
  }
  return join_list(words) + " of the month";
}

std::string days_of_month_phrase(const View& v) { return with_rules(plain_days_phrase(v), v.parsed.rules); }

std::string describe_cron(const Schedule& schedule) {
  std::array<std::string, 6> texts;
  std::size_t count = 0;
  for (char c : schedule.expression()) {
    if (c == ' ') {
      ++count;
    } else if (count < texts.size()) {
      texts[count] += c;
    }
  }
  const std::size_t shift = schedule.fields().has_seconds ? 0 : 1;
  auto text_of = [&](Field field) -> std::string {
    const auto index = static_cast<std::size_t>(field);
    if (index < shift) return "0";
    return texts[index - shift];
  };
  const View seconds = view(text_of(Field::second), Field::second);
  const View minutes = view(text_of(Field::minute), Field::minute);
  const View hours = view(text_of(Field::hour), Field::hour);
  const View days = view(text_of(Field::day_of_month), Field::day_of_month);
  const CronFields& f = schedule.fields();
  const bool some_months = f.months != 0x1FFE;

  const TimePhrase time = time_phrase(seconds, minutes, hours);
  std::string text = time.text;
  const auto one_day = days.single();
  if (f.day_of_month_restricted && !f.day_of_week_restricted && one_day && f.day_of_month_rules.empty() &&
      std::popcount(f.months) == 1) {
    // "At 00:00 on February 29"
    const int month = std::countr_zero(f.months);
    return text + " on " + std::string(schedule_detail::month_name(month)) + " " +
           std::to_string(*one_day);
  }
  if (f.day_of_month_restricted) text += " on " + days_of_month_phrase(days);
  if (f.day_of_week_restricted)
    text += std::string(f.day_of_month_restricted ? " or" : "") + " on " +
            with_rules(f.days_of_week != 0 ? weekdays_phrase(f.days_of_week) : "", f.day_of_week_rules);
  if (time.is_clock && !f.day_of_month_restricted && !f.day_of_week_restricted)
    text += " every day";
  if (some_months) text += " in " + months_phrase(f.months);
  return text;
}

std::string describe_interval(const Schedule& schedule) {
  auto parsed = schedule_detail::parse_duration(schedule.expression());
  std::vector<schedule_detail::DurationPart> parts;
  bool as_written = parsed.has_value();
  if (parsed) {
    for (std::size_t i = 0; i < parsed->size(); ++i) {
      const auto& part = (*parsed)[i];
      if (i > 0 && schedule_detail::unit_seconds(part.unit) >=
                       schedule_detail::unit_seconds((*parsed)[i - 1].unit))
        as_written = false;
      if (part.value != 0) parts.push_back(part);
    }
  }
  if (!as_written) {  // "30m2h" or "1h1h": say it in the usual order
    parts.clear();
    std::int64_t rest = schedule.period().count();
    for (char unit : {'d', 'h', 'm', 's'}) {
      const std::int64_t size = schedule_detail::unit_seconds(unit);
      if (rest >= size) parts.push_back({rest / size, unit});
      rest %= size;
    }
  }
  auto noun = [](char unit) {
    switch (unit) {
      case 'd':
        return "day";
      case 'h':
        return "hour";
      case 'm':
        return "minute";
      default:
        return "second";
    }
  };
  if (parts.size() == 1 && parts[0].value == 1) return std::string("Every ") + noun(parts[0].unit);
  std::vector<std::string> words;
  for (const auto& part : parts)
    words.push_back(std::to_string(part.value) + " " + noun(part.unit) +
                    (part.value == 1 ? "" : "s"));
  return "Every " + join_list(words);
}

}  // namespace

std::string describe(const Schedule& schedule) {
  std::string text = schedule.is_interval() ? describe_interval(schedule) : describe_cron(schedule);
  if (!schedule.is_interval() && schedule.timezone() != "UTC")
    text += ", in " + schedule.timezone();
  return text;
}

}  // namespace task
