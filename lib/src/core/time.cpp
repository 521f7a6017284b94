#include "task/time.hpp"

#include <date/date.h>

namespace task {

std::string format_rfc3339_ms(Timestamp t) { return date::format("%FT%TZ", t); }

std::string format_rfc3339_ns(std::chrono::system_clock::time_point t) {
  return date::format("%FT%TZ", std::chrono::time_point_cast<std::chrono::nanoseconds>(t));
}

}  // namespace task
