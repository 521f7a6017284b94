#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "app.hpp"
#include "command.hpp"

namespace cli {

namespace {

struct CompletionOptions {
  std::string shell;
  std::string dir;
  std::vector<std::string> help;
};

std::string completion_script(const std::string& shell) {
  Globals globals;
  auto commands = all_commands();
  auto flags = global_flags(globals);
  if (shell == "bash") return bash_completion(commands, flags);
  if (shell == "zsh") return zsh_completion(commands, flags);
  return fish_completion(commands, flags);
}

task::Result<void> write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return task::fail(task::Errc::io, fmt::format("cannot write {}", file.string()));
  return {};
}

// Writes man/*.1 and completions/* under DIR: the committed copies are this output.
task::Result<void> write_docs(const std::filesystem::path& dir) {
  Globals globals;
  auto commands = all_commands();
  auto flags = global_flags(globals);
  std::error_code ec;
  std::filesystem::create_directories(dir / "man", ec);
  std::filesystem::create_directories(dir / "completions", ec);
  if (auto ok = write_text(dir / "man" / "task.1", man_page(commands, nullptr, flags)); !ok) return ok;
  for (const auto& c : commands) {
    if (c.hidden) continue;
    if (auto ok = write_text(dir / "man" / man_file_name(&c), man_page(commands, &c, flags)); !ok) return ok;
  }
  if (auto ok = write_text(dir / "completions" / "task.bash", bash_completion(commands, flags)); !ok) return ok;
  if (auto ok = write_text(dir / "completions" / "_task", zsh_completion(commands, flags)); !ok) return ok;
  return write_text(dir / "completions" / "task.fish", fish_completion(commands, flags));
}

}  // namespace

void add_completion_commands(Commands& commands) {
  auto o = std::make_shared<CompletionOptions>();
  commands.push_back({
      .words = {"completion"},
      .summary = "Print the shell completion script for bash, zsh or fish",
      .description = "Load it in the current shell, or install it where your shell looks for completions.",
      .args = {{"SHELL", "bash, zsh or fish", &o->shell, true, Complete::choices, {"bash", "zsh", "fish"}}},
      .examples = {{"source <(task completion bash)", "bash, this shell only"},
                   {"task completion zsh > \"${fpath[1]}/_task\"", "zsh, for every new shell"},
                   {"task completion fish > ~/.config/fish/completions/task.fish", "fish"}},
      .run = [o](Context&) -> task::Result<void> {
        if (o->shell != "bash" && o->shell != "zsh" && o->shell != "fish") {
          return task::fail(task::Errc::usage, fmt::format("unknown shell `{}`", o->shell),
                            "task completes bash, zsh and fish");
        }
        std::fputs(completion_script(o->shell).c_str(), stdout);
        return {};
      },
  });
  commands.push_back({
      .words = {"help"},
      .summary = "Show the help of a command",
      .description = "The same as COMMAND --help.",
      .args = {{"COMMAND", "a command, such as deploy or env add", &o->help, false}},
      .examples = {{"task help deploy", ""}, {"task help env add", ""}},
      .run = [](Context&) -> task::Result<void> { return {}; },  // `task help X` is `task X --help`
  });
  commands.push_back({
      .words = {"__docs"},
      .summary = "Write the man pages and completion scripts under DIR",
      .args = {{"DIR", "Where man/ and completions/ are written", &o->dir}},
      .run = [o](Context&) { return write_docs(o->dir); },
      .hidden = true,
  });
}

Commands all_commands() {
  Commands commands;
  add_init_commands(commands);
  add_connect_commands(commands);
  add_build_commands(commands);
  add_deploy_commands(commands);
  add_runs_commands(commands);
  add_schedule_commands(commands);
  add_stats_commands(commands);
  add_dashboard_commands(commands);
  add_promote_commands(commands);  // after `schedule` and `env`: it adds `schedule set`, `env add`
  add_agent_commands(commands);
  add_doctor_commands(commands);
  add_version_commands(commands);
  add_completion_commands(commands);
  add_complete_command(commands);
  for (auto& c : commands) {  // `task help <Tab>` offers the commands
    if (c.path() != "help") continue;
    c.args[0].complete = Complete::choices;
    for (const auto& other : commands) {
      if (other.words.size() == 1 && !other.hidden && other.path() != "help") c.args[0].choices.push_back(other.path());
    }
  }
  return commands;
}

}  // namespace cli
