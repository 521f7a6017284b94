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
  std::map<std::string, const Positional*> args;                   // path -> its argument that completes
  std::vector<const Flag*> globals;
};
CompletionData completion_data(const Commands& commands, const std::vector<Flag>& globals);
// What a flag's value completes to: as declared, else by its value's name (every ENV is an
// environment, every REV a revision).
Complete completion_of(const Flag& flag);
// The name `task __complete` knows a dynamic kind by ("environments"); "" for the others.
std::string dynamic_name(Complete kind);
// "choices a b", "file", "directory", "dynamic runs" or "none": what the scripts switch on.
std::string value_kind(Complete kind, const std::vector<std::string>& choices);
// The lookups bash and zsh share: __task_subcommands, __task_flags, __task_value_kind
// and __task_arg_kind, as shell functions.
std::string sh_lookups(const CompletionData& data);
// The shell function NAME that prints the command path of the words before the cursor;
// `loop` is the shell's own `for` line over them, setting `word`.
std::string sh_path_function(const std::string& name, const std::string& loop);
// The names of commands, separated by spaces.
std::string words_of(const std::vector<const Command*>& cmds);

}  // namespace cli
