// Man pages, generated from the command declarations so that
// they cannot say something the parser does not do. tests/docs checks the committed
// copies against this output.
#include <fmt/format.h>

#include <map>
#include <set>

#include "app.hpp"
#include "docs.hpp"
#include "task/error.hpp"
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


std::string exit_status_section() {
  std::string out = ".SH EXIT STATUS\n";
  for (const auto& e : task::exit_statuses) out += fmt::format(".TP\n{}\n{}\n", e.status, roff(e.meaning));
  return out;
}

}  // namespace

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

std::vector<const Command*> children(const Commands& all, const std::vector<std::string>& parent) {
  std::vector<const Command*> out;
  for (const auto& c : all) {
    if (c.hidden || c.words.size() != parent.size() + 1) continue;
    if (std::equal(parent.begin(), parent.end(), c.words.begin())) out.push_back(&c);
  }
  return out;
}

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
    out += exit_status_section();
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
  out += exit_status_section();
  out += ".SH SEE ALSO\n\\fBtask\\fR(1)\n";
  return out;
}

}  // namespace cli
