#pragma once
// How runs and their log lines are shown, by `task logs` and `task run --follow`.
#include <string>

#include "command.hpp"
#include "task/runs.hpp"

namespace cli {

// One line: for people the time and text (stderr in red, the platform's own words marked
// `task:`), with -o json one JSON object.
// Flushed at once unless `flush` is false (a whole log printed in one go).
void print_line(Context& ctx, const task::Run& run, const task::RunLogLine& line, bool flush = true);
std::string run_header(Context& ctx, const task::Run& run);
std::string run_footer(Context& ctx, const task::Run& run);
// Prints a followed run's header, lines and footer; stops on Ctrl-C.
task::LogObserver observer(Context& ctx);

}  // namespace cli
