#pragma once
// The project's instant: milliseconds since the Unix epoch, UTC.
#include <chrono>
#include <functional>

namespace task {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// Where the library reads the time: injected, so tests can drive it.
using Clock = std::function<Timestamp()>;
inline Timestamp system_now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

}  // namespace task
