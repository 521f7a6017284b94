// libFuzzer target for the run-log line parser (parse_run_log_line in
// lib/src/platform/local/agent/control.cpp), which reads back every line the agent wrote
// ("TIMESTAMP STREAM TEXT"). Any input: no crash. And the round trip: a line made of the
// parsed fields, where they hold no space or newline, parses back to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "task/local_platform.hpp"
#include "require.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto parsed = task::parse_run_log_line(line);
  require(parsed.timestamp.size() + parsed.stream.size() + parsed.text.size() <= line.size());
  if (!parsed.timestamp.empty() && !parsed.stream.empty() && parsed.timestamp.find(' ') == std::string::npos &&
      parsed.stream.find(' ') == std::string::npos) {
    const std::string again = parsed.timestamp + " " + parsed.stream + " " + parsed.text;
    const auto twice = task::parse_run_log_line(again);
    require(twice.timestamp == parsed.timestamp && twice.stream == parsed.stream && twice.text == parsed.text);
  }
  return 0;
}
