#include "usage.hpp"

#include <fmt/format.h>

#include "output.hpp"
#include "task/duration.hpp"
#include "task/text.hpp"

namespace cli {

namespace {

// The deepest command given, and how it is written.
CLI::App* deepest(CLI::App& app, std::string& where) {
  where = "task";
  CLI::App* at = &app;
  for (;;) {
    auto chosen = at->get_subcommands();
    if (chosen.empty()) return at;
    at = chosen.front();
    where += " " + at->get_name();
  }
}

}  // namespace

std::optional<task::Error> unknown_word(CLI::App& app) {
  std::string where;
  CLI::App* at = deepest(app, where);
  auto left = at->remaining();
  if (left.empty() || at->get_subcommands({}).empty() || left.front().rfind('-', 0) == 0) return std::nullopt;
  std::vector<std::string> names;
  for (const auto* sub : at->get_subcommands({})) {
    if (!sub->get_group().empty()) names.push_back(sub->get_name());
  }
  std::string hint = fmt::format("run `{} --help`", where);
  if (auto near = task::closest_match(left.front(), names); !near.empty()) hint = fmt::format("did you mean `{} {}`? ", where, near) + hint;
  return task::Error{task::Errc::usage, fmt::format("unknown command `{}` for `{}`", left.front(), where), hint};
}

task::Error usage_error(CLI::App& app, const std::string& what) {
  if (auto unknown = unknown_word(app)) return *unknown;
  std::string where;
  CLI::App* at = deepest(app, where);
  std::string hint = fmt::format("run `{} --help`", where);
  // A flag it does not take: the nearest one it does.
  if (what.starts_with("The following argument") && what.find(": ") != std::string::npos) {
    std::string word;
    for (std::size_t at_word = what.find(": ") + 2; at_word < what.size();) {
      auto end = what.find(' ', at_word);
      if (end == std::string::npos) end = what.size();
      if (what[at_word] == '-') {
        word = what.substr(at_word, std::min(end, what.find('=', at_word)) - at_word);
        break;
      }
      at_word = end + 1;
    }
    std::vector<std::string> flags;
    for (CLI::App* scope = at; scope != nullptr && !word.empty(); scope = scope->get_parent()) {
      for (const auto* option : scope->get_options()) {
        for (const auto& name : option->get_lnames()) flags.push_back("--" + name);
      }
    }
    if (auto near = word.empty() ? std::string() : task::closest_match(word, flags); !near.empty()) {
      hint = fmt::format("did you mean {}? ", near) + hint;
    }
  }
  return task::Error{task::Errc::usage, what, hint};
}

int report_usage(const task::Error& error, bool color) {
  Printer printer(Format::table, false, color, false, stdout, stderr);
  printer.error(error);
  return static_cast<int>(task::Errc::usage);
}

std::vector<std::string> joined_schedules(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string word = argv[i];
    const bool every = word == "@every" || word == "--interval=@every" ||
                       (word == "every" && !out.empty() && out.back() == "--interval");
    if (every && i + 1 < argc && task::parse_duration(argv[i + 1])) word += std::string(" ") + argv[++i];
    out.push_back(std::move(word));
  }
  if (out.size() >= 2 && out[1] == "help") {
    out.erase(out.begin() + 1);
    out.push_back("--help");
  }
  return out;
}

std::string command_footer(const Command& command, const std::vector<Flag>& globals) {
  std::string out = command.description.empty() ? "" : command.description + "\n\n";
  out += "Global flags:\n";
  for (const auto& f : globals) {
    out += fmt::format("  {:<28}{}\n", f.names + (f.value_name.empty() ? "" : " " + f.value_name), f.help);
  }
  if (command.examples.empty()) return out;
  out += "\nExamples:\n";
  for (const auto& ex : command.examples) {
    out += "  $ " + ex.command + "\n";
    if (!ex.explanation.empty()) out += "    " + ex.explanation + "\n";
  }
  return out;
}

}  // namespace cli
