// Shell completions, generated from the command declarations so that they cannot offer
// something the parser does not take. tests/docs checks the committed copies against this.
#include <fmt/format.h>

#include <map>
#include <set>

#include "app.hpp"
#include "docs.hpp"

namespace cli {

Complete completion_of(const Flag& flag) {
  if (flag.complete != Complete::nothing) return flag.complete;
  if (!flag.choices.empty()) return Complete::choices;
  if (flag.value_name == "ENV") return Complete::environments;
  if (flag.value_name == "REV") return Complete::revisions;
  return Complete::nothing;
}

std::string dynamic_name(Complete kind) {
  switch (kind) {
    case Complete::templates: return "templates";
    case Complete::tasks: return "tasks";
    case Complete::environments: return "environments";
    case Complete::runs: return "runs";
    case Complete::builds: return "builds";
    case Complete::revisions: return "revisions";
    case Complete::config_keys: return "config-keys";
    case Complete::nothing:
    case Complete::file:
    case Complete::directory:
    case Complete::choices: return "";
  }
  return "";
}

std::string value_kind(Complete kind, const std::vector<std::string>& choices) {
  if (auto name = dynamic_name(kind); !name.empty()) return "dynamic " + name;
  switch (kind) {
    case Complete::choices: {
      std::string out = "choices";
      for (const auto& c : choices) out += " " + c;
      return out;
    }
    case Complete::file: return "file";
    case Complete::directory: return "directory";
    default: return "none";
  }
}

CompletionData completion_data(const Commands& commands, const std::vector<Flag>& globals) {
  CompletionData data;
  data.subcommands[""] = children(commands, {});
  for (const auto& c : commands) {
    if (c.hidden) continue;
    data.subcommands[c.path()] = children(commands, c.words);
    auto& flags = data.flags[c.path()];
    for (const auto& f : c.flags) flags.push_back(&f);
    for (const auto& a : c.args) {
      if (a.complete == Complete::nothing) continue;
      data.args[c.path()] = &a;
      break;
    }
  }
  for (const auto& f : globals) data.globals.push_back(&f);
  return data;
}

std::string words_of(const std::vector<const Command*>& cmds) {
  std::string out;
  for (const auto* c : cmds) out += (out.empty() ? "" : " ") + c->words.back();
  return out;
}

// ---- completions ---------------------------------------------------------------
// Every shell gets the same three lookups, generated as data: the subcommands at a
// command path, the flags at a path, and what a flag's value completes to.

namespace {

std::string flag_words(const std::vector<const Flag*>& flags) {
  std::string out;
  for (const auto* f : flags) {
    for (const auto& n : split_names(f->names)) out += (out.empty() ? "" : " ") + n;
  }
  return out;
}

// A `case` body mapping "path:flag" to a value kind, shared by bash and zsh syntax.
std::string sh_value_cases(const CompletionData& data) {
  std::string out;
  for (const auto& [path, flags] : data.flags) {
    for (const auto* f : flags) {
      if (f->value_name.empty()) continue;
      std::string patterns;
      for (const auto& n : split_names(f->names)) patterns += (patterns.empty() ? "" : "|") + fmt::format("\"{}:{}\"", path, n);
      out += fmt::format("    {}) echo \"{}\" ;;\n", patterns, value_kind(completion_of(*f), f->choices));
    }
  }
  for (const auto* f : data.globals) {
    if (f->value_name.empty()) continue;
    std::string patterns;
    for (const auto& n : split_names(f->names)) patterns += (patterns.empty() ? "" : "|") + fmt::format("*:{}", n);
    out += fmt::format("    {}) echo \"{}\" ;;\n", patterns, value_kind(completion_of(*f), f->choices));
  }
  return out;
}

}  // namespace

std::string sh_lookups(const CompletionData& data) {
  std::string out = "__task_subcommands() {\n  case \"$1\" in\n";
  for (const auto& [path, subs] : data.subcommands) {
    if (!subs.empty()) out += fmt::format("    \"{}\") echo \"{}\" ;;\n", path, words_of(subs));
  }
  out += "  esac\n}\n\n__task_flags() {\n  case \"$1\" in\n";
  for (const auto& [path, flags] : data.flags) {
    if (!flags.empty()) out += fmt::format("    \"{}\") echo \"{}\" ;;\n", path, flag_words(flags));
  }
  out += fmt::format("  esac\n  echo \"{} --help\"\n}}\n\n", flag_words(data.globals));
  out += "__task_value_kind() {\n  case \"$1:$2\" in\n" + sh_value_cases(data) + "    *) return 1 ;;\n  esac\n}\n\n";
  out += "__task_arg_kind() {\n  case \"$1\" in\n";
  for (const auto& [path, arg] : data.args) {
    out += fmt::format("    \"{}\") echo \"{}\" ;;\n", path, value_kind(arg->complete, arg->choices));
  }
  out += "    *) return 1 ;;\n  esac\n}\n\n";
  return out;
}

std::string sh_path_function(const std::string& name, const std::string& loop) {
  // The command path is the chain of subcommand words before the cursor, skipping flags
  // and the values of flags that take one. `loop` sets `word` to each of them in turn.
  std::string out =
      name + "() {\n"
      "  local cpath=\"\" word prev=\"\" i subs\n" +
      loop +
      "    if [[ -n \"$prev\" ]] && __task_value_kind \"$cpath\" \"$prev\" >/dev/null; then prev=\"\"; continue; fi\n"
      "    prev=\"$word\"\n"
      "    [[ \"$word\" == -* ]] && continue\n"
      "    subs=\" $(__task_subcommands \"$cpath\") \"\n"
      "    [[ \"$subs\" == *\" $word \"* ]] && cpath=\"${cpath:+$cpath }$word\"\n"
      "  done\n"
      "  echo \"$cpath\"\n"
      "}\n\n";
  return out;
}

std::string bash_completion(const Commands& commands, const std::vector<Flag>& globals) {
  auto data = completion_data(commands, globals);
  std::string out = "# bash completion for task; generated by `task completion bash`\n\n" + sh_lookups(data) +
                    sh_path_function("__task_path", "  for ((i = 2; i < $#; i++)); do\n    word=\"${!i}\"\n");
  out +=
      "# __task_offer KIND CUR TASK WORDS...: the values of KIND that start with CUR; dynamic\n"
      "# ones from `task __complete`, which reads --task, --env and -C from the words.\n"
      "__task_offer() {\n"
      "  local kind=$1 cur=$2 bin=$3; shift 3\n"
      "  case \"$kind\" in\n"
      "    choices*) compgen -W \"${kind#choices }\" -- \"$cur\" ;;\n"
      "    file) compgen -f -- \"$cur\" ;;\n"
      "    directory) compgen -d -- \"$cur\" ;;\n"
      "    dynamic*) compgen -W \"$(\"$bin\" __complete \"${kind#dynamic }\" -- \"$@\" 2>/dev/null | cut -f1)\" -- \"$cur\" ;;\n"
      "  esac\n"
      "}\n\n"
      "_task() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local cpath kind subs\n"
      "  cpath=\"$(__task_path \"${COMP_WORDS[@]:0:COMP_CWORD+1}\")\"\n"
      "  COMPREPLY=()\n"
      "  if (( COMP_CWORD > 1 )) && kind=\"$(__task_value_kind \"$cpath\" \"$prev\")\"; then\n"
      "    mapfile -t COMPREPLY < <(__task_offer \"$kind\" \"$cur\" \"${COMP_WORDS[@]:0:COMP_CWORD}\")\n"
      "    return 0\n"
      "  fi\n"
      "  subs=\"$(__task_subcommands \"$cpath\")\"\n"
      "  if [[ \"$cur\" == -* ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$(__task_flags \"$cpath\")\" -- \"$cur\"))\n"
      "  elif [[ -z \"$subs\" ]] && kind=\"$(__task_arg_kind \"$cpath\")\"; then\n"
      "    mapfile -t COMPREPLY < <(__task_offer \"$kind\" \"$cur\" \"${COMP_WORDS[@]:0:COMP_CWORD}\")\n"
      "  else\n"
      "    COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
      "  fi\n"
      "}\n"
      "complete -o default -F _task task\n";
  return out;
}

}  // namespace cli
