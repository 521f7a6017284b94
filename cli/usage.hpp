#pragma once
// What a command line that does not parse gets told: the command whose help explains it,
// and the nearest command or flag to a word that is none.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

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

}  // namespace cli
