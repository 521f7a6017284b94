#pragma once
// One cron field: its grammar, its range, and its items as written, which the description
// needs (`*/2` and `0,2,4,...,22` allow the same hours but read differently).
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "task/schedule.hpp"

namespace task::schedule_detail {

enum class Field { second, minute, hour, day_of_month, month, day_of_week };

struct FieldRange {
  int min;
  int max;
};

// "minute", "day-of-month", ...
std::string_view field_name(Field field);
// The values a field takes. Day of week is 0-6 here: 7 is read as Sunday (0).
FieldRange field_range(Field field);

// One comma-separated item: `5`, `1-5`, `*`, `*/15`, `10-40/5`, `10/5`.
struct FieldItem {
  int first = 0;
  int last = 0;
  int step = 1;
  bool whole = false;  // `*` or `?`, possibly stepped: first/last are the field's range
};

struct ParsedField {
  std::uint64_t bits = 0;  // bit v set when value v is allowed (day of week: 7 folded to 0)
  std::vector<FieldItem> items;
  std::vector<DayRule> rules;  // the day fields' L, W and # items
};

// Parses the text of one field. On failure, says what is wrong without naming the field
// ("value 61 out of range 0-59"); the caller puts the field in front. A second string is
// an optional hint.
struct FieldError {
  std::string problem;
  std::string hint;
};
std::expected<ParsedField, FieldError> parse_field(std::string_view text, Field field);

// English names, for descriptions: month 1 -> "January", weekday 0 -> "Sunday".
std::string_view month_name(int month);
std::string_view weekday_name(int weekday);

}  // namespace task::schedule_detail
