#pragma once
// What a command line that does not parse gets told: the command whose help explains it,
// and the nearest command or flag to a word that is none.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "task/error.hpp"

namespace cli {

// The error for CLI11's `what` about the parsed `app`.
task::Error usage_error(CLI::App& app, const std::string& what);
// A word where a command was expected (even next to --help), as an error; none when the
// line names commands only.
std::optional<task::Error> unknown_word(CLI::App& app);
// Prints it on stderr and returns the usage exit status.
int report_usage(const task::Error& error, bool color);
// The command line with `@every 7s` as one word where it was typed unquoted (`--interval
// @every 7s`, `task schedule next @every 90s`): "@every" and the duration after it are one
// schedule, as are "every" and a duration right after --interval.
// Also `task help COMMAND...` as `task COMMAND... --help`.
std::vector<std::string> joined_schedules(int argc, char** argv);
// A command's help below its flags: its description, the flags every command takes, and
// its examples.
std::string command_footer(const Command& command, const std::vector<Flag>& globals);

}  // namespace cli
