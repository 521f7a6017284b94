#include "schedule/field.hpp"

#include <array>
#include <cctype>
#include <optional>

namespace task::schedule_detail {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

bool contains_letter(std::string_view s, char letter) {
  for (char c : s)
    if (upper(c) == letter) return true;
  return false;
}

// Digits to int, saturating: a huge value must still come out as "out of range".
int to_int(std::string_view digits) {
  int value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
    if (value > 1000000) return 1000000;
  }
  return value;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// The three-letter abbreviation's value: JAN -> 1, SUN -> 0; nullopt when not a name.
std::optional<int> name_value(std::string_view token, Field field) {
  if (token.size() != 3) return std::nullopt;
  const std::string up{upper(token[0]), upper(token[1]), upper(token[2])};
  if (field == Field::month) {
    for (std::size_t i = 0; i < kMonthNames.size(); ++i) {
      const std::string_view n = kMonthNames[i];
      if (upper(n[0]) == up[0] && upper(n[1]) == up[1] && upper(n[2]) == up[2])
        return static_cast<int>(i) + 1;
    }
  } else if (field == Field::day_of_week) {
    for (std::size_t i = 0; i < kWeekdayNames.size(); ++i) {
      const std::string_view n = kWeekdayNames[i];
      if (upper(n[0]) == up[0] && upper(n[1]) == up[1] && upper(n[2]) == up[2])
        return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

// Quartz's extensions where they cannot stand (in a range, with a step): named, with the
// forms that work.
std::optional<std::string> unsupported_extension(std::string_view token, Field field) {
  if (field == Field::day_of_month) {
    if (contains_letter(token, 'L') || contains_letter(token, 'W'))
      return "`L` and `W` stand alone as items: L, L-3, 15W or LW (not in a range or with a step)";
  }
  if (field == Field::day_of_week && (contains_letter(token, 'L') || token.find('#') != std::string_view::npos))
    return "`L` and `#` follow one weekday as items: 5L (the last Friday) or 5#3 (the third Friday)";
  return std::nullopt;
}

struct Value {
  int number;
  bool named;
};

// A weekday as the day-of-week field writes it: 0-7 or SUN-SAT, 7 folded to 0.
std::optional<int> weekday_value(std::string_view token) {
  if (all_digits(token)) {
    const int v = to_int(token);
    return v <= 7 ? std::optional<int>(v % 7) : std::nullopt;
  }
  return name_value(token, Field::day_of_week);
}

// An item of a day field that is one of Quartz's extensions: none when it is not one.
std::optional<std::expected<DayRule, FieldError>> parse_day_rule(std::string_view item, Field field) {
  std::string up(item);
  for (char& c : up) c = upper(c);
  using Kind = DayRule::Kind;
  auto rule = [&](Kind kind, int day, int n) -> std::optional<std::expected<DayRule, FieldError>> {
    return DayRule{kind, day, n, std::string(item)};
  };
  auto error = [](std::string problem, std::string hint) -> std::optional<std::expected<DayRule, FieldError>> {
    return std::unexpected(FieldError{std::move(problem), std::move(hint)});
  };
  if (field == Field::day_of_month) {
    if (up == "L") return rule(Kind::last_day, 0, 0);
    if (up == "LW" || up == "WL") return rule(Kind::last_weekday, 0, 0);
    if (up.starts_with("L-")) {
      const std::string_view n = std::string_view(up).substr(2);
      if (!all_digits(n) || to_int(n) > 30)
        return error(quoted(item) + ": the days before the last one are 0 to 30", "e.g. L-3, three days before the last");
      return rule(Kind::last_day, 0, to_int(n));
    }
    if (up.size() > 1 && up.back() == 'W') {
      const std::string_view day = std::string_view(up).substr(0, up.size() - 1);
      if (!all_digits(day) || to_int(day) < 1 || to_int(day) > 31)
        return error(quoted(item) + ": `W` follows one day of the month, 1 to 31", "e.g. 15W, the weekday nearest the 15th");
      return rule(Kind::nearest_weekday, to_int(day), 0);
    }
    return std::nullopt;
  }
  if (field != Field::day_of_week) return std::nullopt;
  if (const auto hash = up.find('#'); hash != std::string::npos) {
    const auto weekday = weekday_value(std::string_view(up).substr(0, hash));
    const std::string_view n = std::string_view(up).substr(hash + 1);
    if (!weekday) return error(quoted(item) + ": `#` follows one weekday, 0-7 or SUN-SAT", "e.g. 5#3, the third Friday");
    if (!all_digits(n) || to_int(n) < 1 || to_int(n) > 5)
      return error(quoted(item) + ": a month has a first to a fifth of a weekday (#1 to #5)", "e.g. 5#3, the third Friday");
    return rule(Kind::nth_of, *weekday, to_int(n));
  }
  if (up.size() > 1 && up.back() == 'L') {
    if (const auto weekday = weekday_value(std::string_view(up).substr(0, up.size() - 1)))
      return rule(Kind::last_of, *weekday, 0);
  }
  if (up == "L") return error("`L` alone is no weekday", "in the day-of-week field L follows one: 5L is the last Friday");
  return std::nullopt;
}

std::expected<Value, FieldError> parse_value(std::string_view token, Field field, bool range_end) {
  const FieldRange range = field_range(field);
  const int max = field == Field::day_of_week ? 7 : range.max;
  if (all_digits(token)) {
    const int v = to_int(token);
    if (v < range.min || v > max)
      return std::unexpected(FieldError{"value " + std::string(token) + " out of range " +
                                            std::to_string(range.min) + "-" + std::to_string(max),
                                        {}});
    return Value{v, false};
  }
  if (auto v = name_value(token, field)) {
    // `MON-SUN` means Monday through Sunday, so SUN closing a range is 7.
    if (field == Field::day_of_week && range_end && *v == 0) return Value{7, true};
    return Value{*v, true};
  }
  if (auto message = unsupported_extension(token, field))
    return std::unexpected(FieldError{*message, {}});
  if (token.find('?') != std::string_view::npos)
    return std::unexpected(FieldError{"`?` must stand alone, meaning any day", {}});
  if (token.empty()) return std::unexpected(FieldError{"missing value", {}});
  if (field == Field::month)
    return std::unexpected(
        FieldError{"unknown month " + quoted(token) + ": expected 1-12 or JAN-DEC", {}});
  if (field == Field::day_of_week)
    return std::unexpected(
        FieldError{"unknown day of the week " + quoted(token) + ": expected 0-7 or SUN-SAT", {}});
  return std::unexpected(FieldError{quoted(token) + " is not a number (expected " +
                                        std::to_string(range.min) + "-" + std::to_string(max) + ")",
                                    {}});
}

// JAN, SUN: how a name is written in a cron field.
std::string abbreviation(int v, Field field) {
  const std::string_view name = field == Field::month
                                    ? kMonthNames[static_cast<std::size_t>(v - 1)]
                                    : kWeekdayNames[static_cast<std::size_t>(v % 7)];
  return {upper(name[0]), upper(name[1]), upper(name[2])};
}

// "22-2" -> "22-23,0-2"; day of week "5-1" -> "5-7,1" (7 is Sunday, so 0 is not repeated).
std::string unwrapped(Value first, Value last, Field field) {
  const FieldRange range = field_range(field);
  const bool names = first.named || last.named;
  auto text = [&](int v) { return names ? abbreviation(v, field) : std::to_string(v); };
  const int top = field == Field::day_of_week ? 7 : range.max;
  const int bottom = field == Field::day_of_week ? 1 : range.min;
  std::string out = text(first.number) + "-" + text(top);
  if (field == Field::day_of_week && last.number == 0) return out;
  out += "," + text(bottom);
  if (last.number != bottom) out += "-" + text(last.number);
  return out;
}

std::string_view unit_letter(Field field) {
  switch (field) {
    case Field::second:
      return "s";
    case Field::minute:
      return "m";
    case Field::hour:
      return "h";
    default:
      return "";
  }
}

std::expected<int, FieldError> parse_step(std::string_view text, Field field) {
  const FieldRange range = field_range(field);
  const int max_step = range.max - range.min;
  if (text.empty()) return std::unexpected(FieldError{"missing step after `/`", {}});
  if (!all_digits(text))
    return std::unexpected(FieldError{"step " + quoted(text) + " is not a number", {}});
  const int step = to_int(text);
  if (step >= 1 && step <= max_step) return step;
  FieldError error{"step " + std::string(text) + " out of range 1-" + std::to_string(max_step), {}};
  if (step > max_step && !unit_letter(field).empty())
    error.hint =
        "a step counts within the next larger unit and would match only the first "
        "value; for a fixed period use an interval such as @every " +
        std::string(text) + std::string(unit_letter(field));
  return std::unexpected(std::move(error));
}

std::expected<FieldItem, FieldError> parse_item(std::string_view item, Field field) {
  const FieldRange range = field_range(field);
  const bool day_field = field == Field::day_of_month || field == Field::day_of_week;
  const std::size_t slash = item.find('/');
  const std::string_view base = item.substr(0, slash);
  std::optional<int> step;
  if (slash != std::string_view::npos) {
    const std::string_view step_text = item.substr(slash + 1);
    if (step_text.find('/') != std::string_view::npos)
      return std::unexpected(FieldError{"more than one `/` in " + quoted(item), {}});
    auto parsed = parse_step(step_text, field);
    if (!parsed) return std::unexpected(std::move(parsed.error()));
    step = *parsed;
  }
  if (base == "*" || base == "?") {
    if (base == "?" && !day_field)
      return std::unexpected(
          FieldError{"`?` is only allowed in the day-of-month and day-of-week fields", {}});
    if (base == "?" && step)
      return std::unexpected(FieldError{"`?` must stand alone, meaning any day", {}});
    return FieldItem{range.min, range.max, step.value_or(1), true};
  }
  if (base.empty())
    return std::unexpected(FieldError{"missing value before `/` in " + quoted(item), {}});

  const std::size_t dash = base.find('-');
  if (dash == std::string_view::npos) {
    auto value = parse_value(base, field, false);
    if (!value) return std::unexpected(std::move(value.error()));
    // `a/n` runs from a to the top of the field's range.
    const int last = step ? range.max : value->number;
    if (step && value->number > range.max)  // `7/2` in day of week
      return FieldItem{value->number, value->number, *step, false};
    return FieldItem{value->number, last, step.value_or(1), false};
  }
  const std::string_view start_text = base.substr(0, dash);
  const std::string_view end_text = base.substr(dash + 1);
  if (start_text.empty()) {
    if (auto message = unsupported_extension(end_text, field))
      return std::unexpected(FieldError{*message, {}});
    return std::unexpected(FieldError{
        "missing start of range in " + quoted(item) + " (values cannot be negative)", {}});
  }
  if (end_text.empty())
    return std::unexpected(FieldError{"missing end of range in " + quoted(item), {}});
  if (end_text.find('-') != std::string_view::npos)
    return std::unexpected(FieldError{quoted(base) + " has more than one `-`", {}});
  auto first = parse_value(start_text, field, false);
  if (!first) return std::unexpected(std::move(first.error()));
  auto last = parse_value(end_text, field, true);
  if (!last) return std::unexpected(std::move(last.error()));
  if (first->number > last->number)
    return std::unexpected(
        FieldError{"range " + std::string(base) + " wraps around; ranges must go upwards",
                   "write " + unwrapped(*first, *last, field)});
  return FieldItem{first->number, last->number, step.value_or(1), false};
}

}  // namespace

std::string_view field_name(Field field) {
  switch (field) {
    case Field::second:
      return "second";
    case Field::minute:
      return "minute";
    case Field::hour:
      return "hour";
    case Field::day_of_month:
      return "day-of-month";
    case Field::month:
      return "month";
    case Field::day_of_week:
      return "day-of-week";
  }
  return "";
}

FieldRange field_range(Field field) {
  switch (field) {
    case Field::second:
    case Field::minute:
      return {0, 59};
    case Field::hour:
      return {0, 23};
    case Field::day_of_month:
      return {1, 31};
    case Field::month:
      return {1, 12};
    case Field::day_of_week:
      return {0, 6};
  }
  return {0, 0};
}

std::expected<ParsedField, FieldError> parse_field(std::string_view text, Field field) {
  if (text.empty()) return std::unexpected(FieldError{"empty field", {}});
  ParsedField parsed;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    const std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (item.empty())
      return std::unexpected(FieldError{"empty item in the list", "remove the extra `,`"});
    if (auto rule = parse_day_rule(item, field)) {
      if (!*rule) return std::unexpected(std::move(rule->error()));
      parsed.rules.push_back(std::move(**rule));
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
      continue;
    }
    auto parsed_item = parse_item(item, field);
    if (!parsed_item) return std::unexpected(std::move(parsed_item.error()));
    for (int v = parsed_item->first; v <= parsed_item->last; v += parsed_item->step)
      parsed.bits |= std::uint64_t{1} << (field == Field::day_of_week ? v % 7 : v);
    parsed.items.push_back(*parsed_item);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return parsed;
}

std::string_view month_name(int month) {
  return month >= 1 && month <= 12 ? kMonthNames[static_cast<std::size_t>(month - 1)] : "";
}

std::string_view weekday_name(int weekday) {
  return kWeekdayNames[static_cast<std::size_t>(((weekday % 7) + 7) % 7)];
}

}  // namespace task::schedule_detail
