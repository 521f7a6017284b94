#pragma once
// The duration of an interval schedule, Go style: "90s", "5m", "2h30m", "1d".
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace task::schedule_detail {

struct DurationPart {
  std::int64_t value;
  char unit;  // 'd', 'h', 'm' or 's'
};

inline constexpr std::int64_t kMaxIntervalSeconds = std::int64_t{36500} * 86400;  // 100 years

std::int64_t unit_seconds(char unit);
// The parts as written; fails with a message that quotes the duration. Whole numbers only:
// an interval is a count of seconds, and "1.5h" reads better as "1h30m" anyway.
std::expected<std::vector<DurationPart>, std::string> parse_duration(std::string_view text);
std::int64_t total_seconds(const std::vector<DurationPart>& parts);

}  // namespace task::schedule_detail
