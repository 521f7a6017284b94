#include "schedule/interval.hpp"

#include <algorithm>

namespace task::schedule_detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::int64_t unit_seconds(char unit) {
  switch (unit) {
    case 'd':
      return 86400;
    case 'h':
      return 3600;
    case 'm':
      return 60;
    default:
      return 1;
  }
}

std::int64_t total_seconds(const std::vector<DurationPart>& parts) {
  std::int64_t total = 0;
  for (const DurationPart& part : parts) total += part.value * unit_seconds(part.unit);
  return total;
}

std::expected<std::vector<DurationPart>, std::string> parse_duration(std::string_view text) {
  if (text.empty()) return std::unexpected("missing duration (for example 90s, 5m or 2h30m)");
  if (text.front() == '-')
    return std::unexpected("interval " + quoted(text) + " is negative; it must be positive");
  std::vector<DurationPart> parts;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t digits_start = i;
    std::int64_t value = 0;
    while (i < text.size() && is_digit(text[i])) {
      value = std::min<std::int64_t>(value * 10 + (text[i] - '0'), kMaxIntervalSeconds + 1);
      ++i;
    }
    if (i == digits_start)
      return std::unexpected("interval " + quoted(text) + ": expected a number at " +
                             quoted(text.substr(i)) + " (for example 90s, 5m or 2h30m)");
    if (i < text.size() && (text[i] == '.' || text[i] == ','))
      return std::unexpected("interval " + quoted(text) +
                             ": fractions are not supported; write whole units such as 1h30m");
    const std::size_t unit_start = i;
    while (i < text.size() && !is_digit(text[i]) && text[i] != '.') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty())
      return std::unexpected("interval " + quoted(text) + ": missing unit after " +
                             std::string(text.substr(digits_start, i - digits_start)) +
                             " (use d, h, m or s, as in 90s)");
    if (unit == "ms" || unit == "us" || unit == "ns" || unit == "\xC2\xB5s")
      return std::unexpected("interval " + quoted(text) + ": unit " + quoted(unit) +
                             " is too small; the smallest unit is s");
    if (unit.size() != 1 || !is_letter(unit[0]) ||
        (unit[0] != 'd' && unit[0] != 'h' && unit[0] != 'm' && unit[0] != 's'))
      return std::unexpected("interval " + quoted(text) + ": unknown unit " + quoted(unit) +
                             " (use d, h, m or s)");
    parts.push_back({value, unit[0]});
    total += value * unit_seconds(unit[0]);
    if (total > kMaxIntervalSeconds)
      return std::unexpected("interval " + quoted(text) + " is too long: at most 36500d");
  }
  if (total == 0)
    return std::unexpected("interval " + quoted(text) + " is zero; it must be at least 1s");
  return parts;
}

}  // namespace task::schedule_detail
