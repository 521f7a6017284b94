// Man pages and shell completions, generated from the command declarations so that
// they cannot say something the parser does not do. tests/docs checks the committed
// copies against this output.
#include <fmt/format.h>

#include <map>
#include <set>

#include "app.hpp"
#include "task/version.hpp"

namespace cli {

namespace {

std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

// "-t,--template" -> {"-t", "--template"}
std::vector<std::string> split_names(const std::string& names) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= names.size()) {
    auto comma = names.find(',', start);
    out.push_back(names.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string flag_synopsis(const Flag& f) {
  std::string out;
  auto names = split_names(f.names);
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i ? ", " : "") + fmt::format("\\fB{}\\fR", roff(names[i]));
  }
  if (!f.value_name.empty()) out += fmt::format(" \\fI{}\\fR", roff(f.value_name));
  return out;
}

void option_list(std::string& out, const std::vector<Flag>& flags) {
  for (const auto& f : flags) {
    out += ".TP\n" + flag_synopsis(f) + "\n" + roff(f.help);
    if (!f.choices.empty()) {
      std::string list;
      for (const auto& c : f.choices) list += (list.empty() ? "" : ", ") + c;
      out += roff(fmt::format(" (one of: {})", list));
    }
    out += "\n";
  }
}

std::string usage_line(const Command& c) {
  std::string out = "task " + c.path();
  for (const auto& a : c.args) out += a.required ? " " + a.name : " [" + a.name + "]";
  if (!c.flags.empty()) out += " [flags]";
  return out;
}

std::vector<const Command*> children(const Commands& all, const std::vector<std::string>& parent) {
  std::vector<const Command*> out;
  for (const auto& c : all) {
    if (c.hidden || c.words.size() != parent.size() + 1) continue;
    if (std::equal(parent.begin(), parent.end(), c.words.begin())) out.push_back(&c);
  }
  return out;
}

const char* exit_status_section =
    ".SH EXIT STATUS\n"
    ".TP\n0\nSuccess.\n"
    ".TP\n1\nAn operation failed for a reason not listed below.\n"
    ".TP\n2\nUsage error: unknown command, bad flag or argument.\n"
    ".TP\n3\nInvalid input: a malformed name, task.yaml, schedule or value.\n"
    ".TP\n4\nNot found: a template, project, build, deployment, repository, branch or file does not exist.\n"
    ".TP\n5\nConflict: something is in the way, such as a non\\-empty directory or a lock.\n"
    ".TP\n6\nThe file system refused: permissions, disk full.\n"
    ".TP\n7\nA Git operation failed: clone, fetch, an unreachable remote.\n"
    ".TP\n8\nThe Docker engine is unreachable or refused a request.\n"
    ".TP\n9\nCredentials are missing or were refused: set TASK_GIT_TOKEN, or TASK_GIT_SSH_KEY, or load the SSH agent.\n"
    ".TP\n130\nInterrupted by Ctrl\\-C.\n";

}  // namespace

std::string man_file_name(const Command* command) {
  if (!command) return "task.1";
  std::string out = "task";
  for (const auto& w : command->words) out += "-" + w;
  return out + ".1";
}

std::string man_page(const Commands& commands, const Command* command, const std::vector<Flag>& globals) {
  const auto version = task::version_info().version;
  std::string title = man_file_name(command);
  title = title.substr(0, title.size() - 2);
  std::string upper;
  for (char c : title) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string out = fmt::format(".TH {} 1 \"\" \"task {}\" \"Task Manual\"\n", upper, version);
  out += ".SH NAME\n" + roff(title) + " \\- ";
  if (!command) {
    out += "build, schedule, run and observe scheduled tasks\n";
    out += ".SH SYNOPSIS\n.B task\n\\fICOMMAND\\fR [\\fIflags\\fR]\n";
    out += ".SH DESCRIPTION\n" +
           roff("task takes a scheduled task from nothing to production: it scaffolds a project, builds its "
                "Docker image, deploys it with a schedule to an environment, runs it there, promotes the same "
                "image to production and reports how its runs went. Every command prints a table for people, "
                "or JSON or YAML for programs with -o json or -o yaml; data goes to standard output, progress "
                "and errors to standard error.") +
           "\n";
    out += ".SH COMMANDS\n";
    for (const auto& c : commands) {
      if (c.hidden || !c.run) continue;
      out += fmt::format(".TP\n\\fBtask {}\\fR\n{} (see \\fB{}\\fR(1))\n", roff(c.path()), roff(c.summary),
                         roff(man_file_name(&c).substr(0, man_file_name(&c).size() - 2)));
    }
    out += ".SH GLOBAL OPTIONS\n";
    option_list(out, globals);
    out += ".SH ENVIRONMENT\n"
           ".TP\n\\fBTASK_HOME\\fR\nState of the local platform (default: $XDG_STATE_HOME/task, or "
           "~/.local/state/task).\n"
           ".TP\n\\fBTASK_TEMPLATES\\fR\nDirectory of the templates for \\fBtask init\\fR.\n"
           ".TP\n\\fBTASK_BUILDER\\fR\nThe engine's builder for \\fBtask build\\fR when \\fB--builder\\fR is not "
           "given: auto (the default: BuildKit where the engine has it), buildkit or classic.\n"
           ".TP\n\\fBNO_COLOR\\fR\nWhen set, output is never coloured; so too with \\fBTERM=dumb\\fR.\n";
    out += exit_status_section;
    out += ".SH SEE ALSO\n";
    std::string refs;
    for (const auto& c : commands) {
      if (c.hidden || !c.run) continue;
      auto name = man_file_name(&c);
      refs += (refs.empty() ? "" : ",\n") + fmt::format("\\fB{}\\fR(1)", roff(name.substr(0, name.size() - 2)));
    }
    return out + refs + "\n";
  }

  out += roff(command->summary) + "\n";
  out += ".SH SYNOPSIS\n";
  if (command->run) {
    out += roff(usage_line(*command)) + "\n";
  } else {
    for (const auto* child : children(commands, command->words)) out += roff(usage_line(*child)) + "\n.br\n";
  }
  out += ".SH DESCRIPTION\n" + roff(command->summary) + ".\n";
  if (!command->description.empty()) out += ".PP\n" + roff(command->description) + "\n";
  if (!command->run) {
    out += ".SH COMMANDS\n";
    for (const auto* child : children(commands, command->words)) {
      out += fmt::format(".TP\n\\fBtask {}\\fR\n{}\n", roff(child->path()), roff(child->summary));
    }
  }
  if (!command->args.empty()) {
    out += ".SH ARGUMENTS\n";
    for (const auto& a : command->args) out += fmt::format(".TP\n\\fI{}\\fR\n{}\n", roff(a.name), roff(a.help));
  }
  if (!command->flags.empty()) {
    out += ".SH OPTIONS\n";
    option_list(out, command->flags);
  }
  out += ".SH GLOBAL OPTIONS\n";
  option_list(out, globals);
  if (!command->examples.empty()) {
    out += ".SH EXAMPLES\n";
    for (const auto& ex : command->examples) {
      out += ".PP\n.nf\n$ " + roff(ex.command) + "\n.fi\n";
      if (!ex.explanation.empty()) out += roff(ex.explanation) + "\n";
    }
  }
  out += exit_status_section;
  out += ".SH SEE ALSO\n\\fBtask\\fR(1)\n";
  return out;
}

// ---- completions ---------------------------------------------------------------
// Every shell gets the same three lookups, generated as data: the subcommands at a
// command path, the flags at a path, and what a flag's value completes to.

namespace {

struct CompletionData {
  std::map<std::string, std::vector<const Command*>> subcommands;  // path -> children
  std::map<std::string, std::vector<const Flag*>> flags;           // path -> own flags
  std::vector<const Flag*> globals;
};

CompletionData completion_data(const Commands& commands, const std::vector<Flag>& globals) {
  CompletionData data;
  data.subcommands[""] = children(commands, {});
  for (const auto& c : commands) {
    if (c.hidden) continue;
    data.subcommands[c.path()] = children(commands, c.words);
    auto& flags = data.flags[c.path()];
    for (const auto& f : c.flags) flags.push_back(&f);
  }
  for (const auto& f : globals) data.globals.push_back(&f);
  return data;
}

std::string words_of(const std::vector<const Command*>& cmds) {
  std::string out;
  for (const auto* c : cmds) out += (out.empty() ? "" : " ") + c->words.back();
  return out;
}

std::string flag_words(const std::vector<const Flag*>& flags) {
  std::string out;
  for (const auto* f : flags) {
    for (const auto& n : split_names(f->names)) out += (out.empty() ? "" : " ") + n;
  }
  return out;
}

// "kind value" for a flag's value: "choices a b c", "file", "directory", "templates".
std::string value_kind(const Flag& f) {
  switch (f.complete) {
    case Complete::choices: {
      std::string out = "choices";
      for (const auto& c : f.choices) out += " " + c;
      return out;
    }
    case Complete::file: return "file";
    case Complete::directory: return "directory";
    case Complete::templates: return "templates";
    case Complete::nothing: return "none";
  }
  return "none";
}

// A `case` body mapping "path:flag" to a value kind, shared by bash and zsh syntax.
std::string sh_value_cases(const CompletionData& data) {
  std::string out;
  for (const auto& [path, flags] : data.flags) {
    for (const auto* f : flags) {
      if (f->value_name.empty()) continue;
      std::string patterns;
      for (const auto& n : split_names(f->names)) patterns += (patterns.empty() ? "" : "|") + fmt::format("\"{}:{}\"", path, n);
      out += fmt::format("    {}) echo \"{}\" ;;\n", patterns, value_kind(*f));
    }
  }
  for (const auto* f : data.globals) {
    if (f->value_name.empty()) continue;
    std::string patterns;
    for (const auto& n : split_names(f->names)) patterns += (patterns.empty() ? "" : "|") + fmt::format("*:{}", n);
    out += fmt::format("    {}) echo \"{}\" ;;\n", patterns, value_kind(*f));
  }
  return out;
}

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
  return out;
}

}  // namespace

std::string bash_path_function() {
  // The command path is the chain of subcommand words before the cursor, skipping flags
  // and the values of flags that take one.
  std::string out =
      "__task_path() {\n"
      "  local cpath=\"\" word prev=\"\" i subs\n"
      "  for ((i = 2; i < $#; i++)); do\n"
      "    word=\"${!i}\"\n"
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
                    bash_path_function();
  out +=
      "_task() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local cpath kind\n"
      "  cpath=\"$(__task_path \"${COMP_WORDS[@]:0:COMP_CWORD+1}\")\"\n"
      "  COMPREPLY=()\n"
      "  if (( COMP_CWORD > 1 )) && kind=\"$(__task_value_kind \"$cpath\" \"$prev\")\"; then\n"
      "    case \"$kind\" in\n"
      "      choices*) COMPREPLY=($(compgen -W \"${kind#choices }\" -- \"$cur\")) ;;\n"
      "      file) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
      "      directory) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
      "      templates) COMPREPLY=($(compgen -W \"$(\"${COMP_WORDS[0]}\" __complete templates 2>/dev/null)\" -- \"$cur\")) ;;\n"
      "    esac\n"
      "    return 0\n"
      "  fi\n"
      "  if [[ \"$cur\" == -* ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$(__task_flags \"$cpath\")\" -- \"$cur\"))\n"
      "  else\n"
      "    COMPREPLY=($(compgen -W \"$(__task_subcommands \"$cpath\")\" -- \"$cur\"))\n"
      "  fi\n"
      "}\n"
      "complete -o default -F _task task\n";
  return out;
}

std::string zsh_completion(const Commands& commands, const std::vector<Flag>& globals) {
  auto data = completion_data(commands, globals);
  std::string out = "#compdef task\n# zsh completion for task; generated by `task completion zsh`\n\n";
  out += sh_lookups(data);
  // zsh's own path walk: no ${!i} there, and `path` is zsh's PATH array.
  out +=
      "__task_zpath() {\n"
      "  local cpath=\"\" word prev=\"\" subs\n"
      "  for word in \"${@[2,-2]}\"; do\n"
      "    if [[ -n \"$prev\" ]] && __task_value_kind \"$cpath\" \"$prev\" >/dev/null; then prev=\"\"; continue; fi\n"
      "    prev=\"$word\"\n"
      "    [[ \"$word\" == -* ]] && continue\n"
      "    subs=\" $(__task_subcommands \"$cpath\") \"\n"
      "    [[ \"$subs\" == *\" $word \"* ]] && cpath=\"${cpath:+$cpath }$word\"\n"
      "  done\n"
      "  echo \"$cpath\"\n"
      "}\n\n"
      "_task() {\n"
      "  local cur=\"${words[CURRENT]}\" prev=\"${words[CURRENT-1]}\" cpath kind\n"
      "  cpath=\"$(__task_zpath \"${(@)words[1,CURRENT]}\")\"\n"
      "  if (( CURRENT > 2 )) && kind=\"$(__task_value_kind \"$cpath\" \"$prev\")\"; then\n"
      "    case \"$kind\" in\n"
      "      choices*) compadd -- ${=kind#choices } ;;\n"
      "      file) _files ;;\n"
      "      directory) _files -/ ;;\n"
      "      templates) compadd -- $(\"${words[1]}\" __complete templates 2>/dev/null) ;;\n"
      "    esac\n"
      "    return\n"
      "  fi\n"
      "  if [[ \"$cur\" == -* ]]; then\n"
      "    compadd -- $(__task_flags \"$cpath\")\n"
      "  else\n"
      "    compadd -- $(__task_subcommands \"$cpath\")\n"
      "  fi\n"
      "}\n\n"
      "if [[ \"$funcstack[1]\" == _task ]]; then _task \"$@\"; else compdef _task task; fi\n";
  return out;
}

std::string fish_completion(const Commands& commands, const std::vector<Flag>& globals) {
  auto data = completion_data(commands, globals);
  auto quote = [](std::string_view s) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  std::string out = "# fish completion for task; generated by `task completion fish`\n\n";
  out += "function __task_value_flag --argument-names path flag\n    switch \"$path:$flag\"\n";
  for (const auto& [path, flags] : data.flags) {
    for (const auto* f : flags) {
      if (f->value_name.empty()) continue;
      for (const auto& n : split_names(f->names)) out += fmt::format("        case {}\n            return 0\n", quote(path + ":" + n));
    }
  }
  for (const auto* f : data.globals) {
    if (f->value_name.empty()) continue;
    for (const auto& n : split_names(f->names)) out += fmt::format("        case {}\n            return 0\n", quote("*:" + n));
  }
  out += "    end\n    return 1\nend\n\n";
  out += "function __task_subcommands --argument-names path\n    switch \"$path\"\n";
  for (const auto& [path, subs] : data.subcommands) {
    if (subs.empty()) continue;
    out += fmt::format("        case {}\n            echo {}\n", quote(path), words_of(subs));
  }
  out += "    end\nend\n\n";
  out +=
      "function __task_path\n"
      "    set -l path ''\n"
      "    set -l prev ''\n"
      "    for word in (commandline -opc)[2..-1]\n"
      "        if test -n \"$prev\"; and __task_value_flag \"$path\" \"$prev\"\n"
      "            set prev ''\n"
      "            continue\n"
      "        end\n"
      "        set prev $word\n"
      "        string match -q -- '-*' $word; and continue\n"
      "        if contains -- $word (string split ' ' -- (__task_subcommands \"$path\"))\n"
      "            test -n \"$path\"; and set path \"$path $word\"; or set path $word\n"
      "        end\n"
      "    end\n"
      "    echo $path\n"
      "end\n\n"
      "function __task_at --argument-names want\n"
      "    test (__task_path) = \"$want\"\n"
      "end\n\n"
      "complete -c task -f\n";
  for (const auto& [path, subs] : data.subcommands) {
    for (const auto* c : subs) {
      out += fmt::format("complete -c task -n {} -a {} -d {}\n", quote("__task_at " + quote(path)),
                         quote(c->words.back()), quote(c->summary));
    }
  }
  auto flag_line = [&](const Flag& f, const std::string& condition) {
    std::string line = "complete -c task";
    if (!condition.empty()) line += " -n " + quote(condition);
    for (const auto& n : split_names(f.names)) {
      line += n.rfind("--", 0) == 0 ? " -l " + n.substr(2) : " -s " + n.substr(1);
    }
    if (!f.value_name.empty()) {
      line += " -r";
      switch (f.complete) {
        case Complete::choices: {
          std::string list;
          for (const auto& c : f.choices) list += (list.empty() ? "" : " ") + c;
          line += " -f -a " + quote(list);
          break;
        }
        case Complete::file: line += " -F"; break;
        case Complete::directory: line += " -f -a '(__fish_complete_directories)'"; break;
        case Complete::templates: line += " -f -a '(task __complete templates 2>/dev/null)'"; break;
        case Complete::nothing: line += " -f"; break;
      }
    }
    return line + " -d " + quote(f.help) + "\n";
  };
  for (const auto* f : data.globals) out += flag_line(*f, "");
  for (const auto& [path, flags] : data.flags) {
    for (const auto* f : flags) out += flag_line(*f, "__task_at " + quote(path));
  }
  return out;
}

}  // namespace cli
