#pragma once
// What the man pages (docs.cpp) and the completions (docs_completion.cpp) share.
#include <map>
#include <string>
#include <vector>

#include "command.hpp"

namespace cli {

// "-t,--template" -> {"-t", "--template"}
std::vector<std::string> split_names(const std::string& names);
// The visible commands right under `parent` ({} for the top level).
std::vector<const Command*> children(const Commands& all, const std::vector<std::string>& parent);

// What every shell's completion looks up, as data: the subcommands at a command path, the
// flags at a path, and the global flags.
struct CompletionData {
  std::map<std::string, std::vector<const Command*>> subcommands;  // path -> children
  std::map<std::string, std::vector<const Flag*>> flags;           // path -> own flags
  std::vector<const Flag*> globals;
};
CompletionData completion_data(const Commands& commands, const std::vector<Flag>& globals);
// The names of commands, separated by spaces.
std::string words_of(const std::vector<const Command*>& cmds);

}  // namespace cli
