#pragma once
#include <functional>

namespace cli {

// The first Ctrl-C (SIGINT) or SIGTERM is noted so long work can stop cleanly and record
// what it was doing; a second one ends the process at once. Returns the check.
std::function<bool()> watch_interrupts();

}  // namespace cli
