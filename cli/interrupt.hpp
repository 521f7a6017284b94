#pragma once
#include <functional>

namespace cli {

// The first Ctrl-C (SIGINT) or SIGTERM is noted so long work can stop cleanly and record
// what it was doing; a second one ends the process at once. Returns the check.
std::function<bool()> watch_interrupts();

}  // namespace cli

namespace cli {

// For a long-running process (the agent): SIGTERM and SIGINT are noted, every time, in a
// flag and on a pipe whose read end `fd` a poll can wait on; SIGPIPE is ignored.
struct StopSignals {
  std::function<bool()> stopped;
  int fd = -1;
};
StopSignals watch_stop_signals();

}  // namespace cli
