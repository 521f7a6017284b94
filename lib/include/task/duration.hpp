#pragma once
// Durations as people write them in task.yaml and flags: "90s", "5m", "2h30m", "7d".
#include <chrono>
#include <string>
#include <string_view>

#include "task/error.hpp"

namespace task {

// A sequence of <integer><unit> with units d, h, m, s, in any combination; the total
// must be positive and below 100 years.
Result<std::chrono::seconds> parse_duration(std::string_view text);

// The shortest form that parse_duration reads back to the same value: "1h30m", "45s".
std::string format_duration(std::chrono::seconds value);

}  // namespace task
