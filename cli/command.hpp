#pragma once
// One declaration per command: its words, summary, arguments, flags and examples.
// The parser, `--help`, the man pages and the shell completions are all made from it.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "output.hpp"
#include "task/error.hpp"
#include "task/paths.hpp"
#include "task/workspace.hpp"

namespace cli {

// What a shell should offer for a value. From `templates` on, the candidates come from
// `task __complete KIND WORDS...` at the moment of completion: what exists now.
enum class Complete { nothing, file, directory, choices, templates, tasks, environments, runs, builds, revisions, config_keys };

using Target = std::variant<bool*, int*, std::string*, std::vector<std::string>*>;

struct Flag {
  std::string names;       // CLI11 spelling: "-t,--template" or "--dry-run"
  std::string value_name;  // "NAME"; empty for a switch
  std::string help;
  Target target;
  std::vector<std::string> choices = {};
  Complete complete = Complete::nothing;
};

struct Positional {
  std::string name;  // "NAME"
  std::string help;
  Target target;
  bool required = true;
  Complete complete = Complete::nothing;
  std::vector<std::string> choices = {};
};

struct Example {
  std::string command;
  std::string explanation;
};

// Flags every command takes.
struct Globals {
  std::string dir;
  std::string task;  // --task: the task a deployment command is about, from anywhere
  std::string output = "table";
  bool quiet = false;
  bool verbose = false;
  bool no_color = false;
};

struct Context {
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Globals globals;
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
  task::Environment env;
  task::Paths paths;
  Printer out;
  std::function<bool()> interrupted = [] { return false; };  // Ctrl-C was pressed

  // Opened on first use, so commands that need none of it start fast.
  task::Workspace& workspace();
  // After a command that succeeded: 0, or its output could not all be written (exit 6;
  // 141 when the reader went away, as SIGPIPE would end it).
  int finish_output();
  // Asks on a terminal, `question` ending in "?"; without one, refuses and names the flag
  // that does it without asking (`--yes`).
  task::Result<void> confirm(const std::string& question, const std::string& without_asking);
  task::Timestamp now_ms() const { return std::chrono::time_point_cast<std::chrono::milliseconds>(now()); }

 private:
  std::optional<task::Workspace> workspace_;
};

struct Command {
  std::vector<std::string> words;  // {"schedule", "next"}
  std::string summary;             // one line, no final period
  std::string description = {};    // paragraphs for help and man page
  std::vector<Positional> args = {};
  std::vector<Flag> flags = {};
  std::vector<Example> examples = {};
  std::function<task::Result<void>(Context&)> run = {};  // empty for a group such as `schedule`
  bool hidden = false;

  std::string path() const;  // "schedule next"
};

using Commands = std::vector<Command>;

// Each command file adds its declarations; options live in shared state the run captures.
void add_version_commands(Commands&);
void add_init_commands(Commands&);
void add_connect_commands(Commands&);
void add_schedule_commands(Commands&);
void add_completion_commands(Commands&);
void add_complete_command(Commands&);  // the hidden `task __complete`
void add_build_commands(Commands&);
void add_doctor_commands(Commands&);
void add_deploy_commands(Commands&);
void add_runs_commands(Commands&);
void add_agent_commands(Commands&);
void add_promote_commands(Commands&);
void add_config_commands(Commands&);  // within add_promote_commands
void add_env_commands(Commands&);     // within add_deploy_commands
void add_logs_commands(Commands&);
void add_status_commands(Commands&);
void add_builds_commands(Commands&);
void add_stats_commands(Commands&);
void add_dashboard_commands(Commands&);

Commands all_commands();

// The global flags as declarations, for help, man pages and completions.
std::vector<Flag> global_flags(Globals&);

}  // namespace cli
