#pragma once
// The project's instant: milliseconds since the Unix epoch, UTC.
#include <chrono>
#include <functional>
#include <string>

namespace task {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// Where the library reads the time: injected, so tests can drive it.
using Clock = std::function<Timestamp()>;
inline Timestamp system_now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

// RFC 3339 in UTC with milliseconds, "2026-11-28T12:00:00.123Z", and with nanoseconds,
// "2026-11-28T12:00:00.123456789Z" (how run logs stamp their lines).
std::string format_rfc3339_ms(Timestamp t);
std::string format_rfc3339_ns(std::chrono::system_clock::time_point t);

}  // namespace task
