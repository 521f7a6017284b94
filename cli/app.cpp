#include "app.hpp"
#include "interrupt.hpp"
#include "usage.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <filesystem>
#include <map>

#include "platform.hpp"
#include "task/name.hpp"
#include "task/text.hpp"
#include "task/version.hpp"

namespace cli {

std::string Command::path() const {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

std::vector<Flag> global_flags(Globals& g) {
  return {
      {"-C", "DIR", "Run as if task was started in DIR", &g.dir, {}, Complete::directory},
      {"--task", "NAME", "The task a command about deployments is about (default: the project in this directory)",
       &g.task, {}, Complete::tasks},
      {"-o,--output", "FORMAT", "Output format: table for people, json or yaml for programs", &g.output,
       {"table", "json", "yaml"}, Complete::choices},
      {"-q,--quiet", "", "Print only what a script needs: the id or revision a command made, the ids it lists, or nothing; errors still", &g.quiet},
      {"-v,--verbose", "", "Print more detail on what task is doing", &g.verbose},
      {"--no-color", "", "Never colour the output (also: NO_COLOR, TERM=dumb)", &g.no_color},
  };
}

namespace {

void bind(CLI::App& app, const Flag& flag) {
  std::visit(
      [&](auto* target) {
        using T = std::remove_pointer_t<decltype(target)>;
        CLI::Option* opt = nullptr;
        if constexpr (std::is_same_v<T, bool>) {
          opt = app.add_flag(flag.names, *target, flag.help);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          opt = app.add_option(flag.names, *target, flag.help)->allow_extra_args(false);
        } else {
          opt = app.add_option(flag.names, *target, flag.help);
        }
        if (!flag.value_name.empty()) opt->type_name(flag.value_name);
        if (!flag.choices.empty()) opt->check(CLI::IsMember(flag.choices));
      },
      flag.target);
}

void bind(CLI::App& app, const Positional& arg) {
  std::visit(
      [&](auto* target) {
        using T = std::remove_pointer_t<decltype(target)>;
        if constexpr (std::is_same_v<T, bool>) {
          app.add_flag(arg.name, *target, arg.help);
        } else {
          auto* opt = app.add_option(arg.name, *target, arg.help)->type_name("");
          if (arg.required) opt->required();
        }
      },
      arg.target);
}

bool color_allowed(const Globals& g, const task::Environment& env, int fd) {
  if (g.no_color || env.contains("NO_COLOR")) return false;
  auto term = env.find("TERM");
  if (term != env.end() && term->second == "dumb") return false;
  return isatty(fd) == 1;
}

Format parse_format(const std::string& name) {
  return name == "json" ? Format::json : name == "yaml" ? Format::yaml : Format::table;
}

}  // namespace

int run_app(int argc, char** argv, char** envp) {
  Commands commands = all_commands();
  Context ctx;
  ctx.env = task::capture_environment(envp);

  CLI::App app{"task: build, schedule, run and observe scheduled tasks", "task"};
  app.fallthrough();
  app.require_subcommand(1);
  app.footer("Run `task COMMAND --help` for a command's flags and examples; `man task` for exit codes.");
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version and exit");
  for (const auto& flag : global_flags(ctx.globals)) bind(app, flag);

  Globals shown;  // the global flags as help shows them
  const auto globals = global_flags(shown);
  std::map<std::string, CLI::App*> by_path{{"", &app}};
  std::map<CLI::App*, const Command*> command_of;
  for (const auto& command : commands) {
    std::string parent_path;
    for (std::size_t i = 0; i + 1 < command.words.size(); ++i) {
      parent_path += (parent_path.empty() ? "" : " ") + command.words[i];
    }
    CLI::App* parent = by_path.at(parent_path);
    CLI::App* sub = parent->add_subcommand(command.words.back(), command.summary);
    sub->footer(command_footer(command, globals));
    if (command.hidden) sub->group("");
    if (!command.run) sub->require_subcommand(1);
    for (const auto& arg : command.args) bind(*sub, arg);
    for (const auto& flag : command.flags) bind(*sub, flag);
    by_path[command.path()] = sub;
    command_of[sub] = &command;
  }

  try {
    if (argc == 1) {
      std::fputs(app.help().c_str(), stdout);
      return 0;
    }
    if (argc == 2 && std::string_view(argv[1]) == "--version") {
      std::printf("task %s\n", task::version_info().version.c_str());
      return 0;
    }
    auto words = joined_schedules(argc, argv);
    std::vector<char*> joined;
    for (auto& word : words) joined.push_back(word.data());
    app.parse(static_cast<int>(joined.size()), joined.data());
  } catch (const CLI::CallForHelp& e) {
    // `task dashboard --help` is an unknown command, not the main help.
    if (auto unknown = unknown_word(app)) return report_usage(*unknown, color_allowed(ctx.globals, ctx.env, 2));
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_usage(usage_error(app, e.what()), color_allowed(ctx.globals, ctx.env, 2));
  }

  const Command* chosen = nullptr;
  for (CLI::App* sub = &app;;) {
    auto subs = sub->get_subcommands();
    if (subs.empty()) break;
    sub = subs.front();
    chosen = command_of.at(sub);
  }

  bool color_out = color_allowed(ctx.globals, ctx.env, 1);
  bool color_err = color_allowed(ctx.globals, ctx.env, 2);
  ctx.out = Printer(parse_format(ctx.globals.output), color_out, color_err, ctx.globals.quiet, stdout, stderr);

  if (!ctx.globals.dir.empty()) {
    std::error_code ec;
    std::filesystem::current_path(ctx.globals.dir, ec);
    if (ec) {
      ctx.out.error({task::Errc::not_found, fmt::format("cannot use -C {}: {}", ctx.globals.dir, ec.message()),
                     "give an existing directory"});
      return static_cast<int>(task::Errc::not_found);
    }
  }
  if (!ctx.globals.task.empty()) {
    if (auto valid = task::validate_name(ctx.globals.task); !valid) {
      ctx.out.error({task::Errc::usage, "--task: " + valid.error().message, valid.error().hint});
      return static_cast<int>(task::Errc::usage);
    }
    set_named_task(ctx.globals.task);
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  ctx.paths = task::resolve_paths(ctx.env, exe);
  ctx.interrupted = watch_interrupts();

  auto result = chosen->run(ctx);
  if (!result) {
    ctx.out.error(result.error());
    return static_cast<int>(result.error().code);
  }
  return ctx.finish_output();
}

}  // namespace cli
