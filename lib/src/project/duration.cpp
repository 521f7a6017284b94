#include "task/duration.hpp"

#include <fmt/format.h>

namespace task {

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  auto bad = [&](std::string why) {
    return fail(Errc::invalid_input, fmt::format("invalid duration `{}`: {}", text, why),
                "write a number and a unit (d, h, m, s), e.g. `90s`, `5m`, `2h30m`");
  };
  if (text.empty()) return bad("it is empty");
  constexpr long long limit = 100LL * 366 * 24 * 3600;
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return bad(fmt::format("expected a digit at position {}", i + 1));
    long long number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > limit) return bad("it is too long (at most 100 years)");
      ++i;
    }
    if (i == text.size()) return bad("the last number has no unit");
    long long unit = 0;
    switch (text[i]) {
      case 'd': unit = 86400; break;
      case 'h': unit = 3600; break;
      case 'm': unit = 60; break;
      case 's': unit = 1; break;
      default: return bad(fmt::format("unknown unit '{}' at position {}", text[i], i + 1));
    }
    ++i;
    total += number * unit;
    if (total > limit) return bad("it is too long (at most 100 years)");
  }
  if (total == 0) return bad("it must be longer than zero");
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds value) {
  long long s = value.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out += '-';
    s = -s;
  }
  const std::pair<long long, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [size, name] : units) {
    if (s >= size) {
      out += fmt::format("{}{}", s / size, name);
      s %= size;
    }
  }
  return out;
}

}  // namespace task
