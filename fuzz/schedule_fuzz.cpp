// libFuzzer target for the schedule engine. Input: the schedule on the first line, an optional
// time zone on the second, and anything after that seeds the instants searched from (and is
// also fed to parse_rfc3339). Besides crashes, hangs and sanitizer reports, it traps when a
// promise of task/schedule.hpp is broken:
//   - every rejection has a message;
//   - fire times are strictly after the instant asked about, increasing, inside the
//     supported range, and agree between next_fire_times and fire_times_between;
//   - RFC 3339 output parses back to the same instant;
//   - a parsed schedule's own text parses to the same expression, and describe() says
//     something.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "task/schedule.hpp"
#include "require.hpp"

namespace {

// 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, where the engine promises results.
constexpr std::int64_t kMin = -62135596800;
constexpr std::int64_t kMax = 253402300799;
constexpr std::int64_t kYearZero = -62167219200;  // 0000-01-01T00:00:00Z

task::Instant instant_from(std::string_view bytes, std::size_t salt) {
  std::uint64_t h = 1469598103934665603ull ^ salt;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  // Mostly near the present, where schedules are used; sometimes anywhere, or the edges.
  std::int64_t seconds = 0;
  switch (h % 8) {
    case 0:
      seconds =
          kMin + static_cast<std::int64_t>((h >> 8) % static_cast<std::uint64_t>(kMax - kMin));
      break;
    case 1:
      seconds = kMax - static_cast<std::int64_t>((h >> 8) % 100000000);
      break;
    case 2:
      seconds = kMin + static_cast<std::int64_t>((h >> 8) % 100000000);
      break;
    default:
      seconds = 1700000000 + static_cast<std::int64_t>((h >> 8) % 2000000000);
      break;
  }
  return task::Instant{std::chrono::seconds{seconds}};
}

void check_rfc3339_round_trip(task::Instant t, const task::Schedule& schedule) {
  const std::string text = task::format_rfc3339(t, schedule);
  const auto back = task::parse_rfc3339(text);
  require(back.has_value() && *back == t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t first_break = input.find('\n');
  const std::string_view text = input.substr(0, first_break);
  std::string_view zone;
  std::string_view rest;
  if (first_break != std::string_view::npos) {
    const std::string_view tail = input.substr(first_break + 1);
    const std::size_t second_break = tail.find('\n');
    zone = tail.substr(0, second_break);
    if (second_break != std::string_view::npos) rest = tail.substr(second_break + 1);
  }

  // The RFC 3339 parser gets every line it might choke on.
  for (std::string_view candidate : {text, rest}) {
    const auto parsed = task::parse_rfc3339(candidate);
    if (parsed) {
      const auto seconds = parsed->time_since_epoch().count();
      // RFC 3339 years run from 0000, a year before fire times do; offsets add a day.
      require(seconds >= kYearZero - 86400 && seconds <= kMax + 86400);
      const auto back = task::parse_rfc3339(task::format_rfc3339(*parsed));
      require(back.has_value() && *back == *parsed);
    } else {
      require(!parsed.error().message.empty());
    }
  }

  const auto schedule = task::parse_schedule(text, zone);
  if (!schedule) {
    require(!schedule.error().message.empty());
    require(schedule.error().code == task::Errc::invalid_input);
    return 0;
  }
  require(!task::describe(*schedule).empty());
  const auto again = task::parse_schedule(schedule->text(), zone);
  require(again.has_value() && again->expression() == schedule->expression() &&
          again->timezone() == schedule->timezone());

  const task::Instant after = instant_from(rest, 1);
  const task::Instant anchor = instant_from(rest, 2);
  const auto times = task::next_fire_times(*schedule, after, 6, anchor);
  task::Instant previous = after;
  for (task::Instant t : times) {
    require(t > previous);
    require(t.time_since_epoch().count() <= kMax);
    check_rfc3339_round_trip(t, *schedule);
    previous = t;
  }
  // Only the end of the supported range may cut the list short.
  if (times.size() < 6) require(!task::next_fire_after(*schedule, previous, anchor).has_value());
  if (!times.empty()) {
    const auto between = task::fire_times_between(
        *schedule, times.front(), times.back() + std::chrono::seconds{1}, 100, anchor);
    require(between == times);
  }
  check_rfc3339_round_trip(after, *schedule);
  return 0;
}
