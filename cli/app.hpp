#pragma once
#include <string>
#include <vector>

#include "command.hpp"

namespace cli {

// Parses argv against the declarations, runs the chosen command, and returns the
// process exit status. The one place where errors become text and exit codes.
int run_app(int argc, char** argv, char** envp);

// Generated documents, all from the declarations (see docs.cpp).
std::string man_page(const Commands& commands, const Command* command, const std::vector<Flag>& globals);
std::string bash_completion(const Commands& commands, const std::vector<Flag>& globals);
std::string zsh_completion(const Commands& commands, const std::vector<Flag>& globals);
std::string fish_completion(const Commands& commands, const std::vector<Flag>& globals);
std::string man_file_name(const Command* command);  // "task.1", "task-schedule-next.1"

}  // namespace cli
