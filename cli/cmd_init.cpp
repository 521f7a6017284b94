#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "task/scaffold.hpp"

namespace cli {

namespace {

struct InitOptions {
  std::string name;
  std::string template_name = "shell";
  std::string dir;
  std::vector<std::string> vars;
};

task::Result<std::map<std::string, std::string>> parse_assignments(const std::vector<std::string>& items,
                                                                   std::string_view flag) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return task::fail(task::Errc::usage, fmt::format("{} `{}` is not KEY=VALUE", flag, item),
                        fmt::format("e.g. {} target_url=https://example.org/health", flag));
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

task::Result<void> run_init(Context& ctx, const InitOptions& o) {
  auto vars = parse_assignments(o.vars, "--var");
  if (!vars) return std::unexpected(vars.error());
  task::InitRequest request{o.name, o.template_name, o.dir, *vars};
  auto result = task::init_project(request, ctx.paths.templates);
  if (!result) return std::unexpected(result.error());

  nlohmann::json data{{"name", result->name},
                      {"template", result->template_name},
                      {"dir", result->dir.string()},
                      {"files", result->files},
                      {"commit", {{"id", result->commit.id}, {"summary", result->commit.summary},
                                  {"author", result->commit.author}}}};
  ctx.out.essential(result->dir.string()).emit(data, [&](std::string& out) {
    out += fmt::format("{} {} from the {} template in {} (commit {})\n", ctx.out.paint(Style::success, "Created"),
                       ctx.out.paint(Style::bold, result->name), result->template_name, result->dir.string(),
                       result->commit.id.substr(0, 7));
    for (const auto& file : result->files) out += "  " + file + "\n";
  });
  if (ctx.out.format() == Format::table) {
    ctx.out.note(fmt::format("\nNext:\n  cd {}\n  task build\n  task deploy --interval \"*/5 * * * *\"",
                             result->dir.string()));
  }
  return {};
}

task::Result<void> run_templates(Context& ctx) {
  auto templates = task::list_templates(ctx.paths.templates);
  if (!templates) return std::unexpected(templates.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : *templates) {
    nlohmann::json vars = nlohmann::json::array();
    for (const auto& v : t.variables) {
      vars.push_back({{"name", v.name}, {"description", v.description}, {"default", v.default_value}});
    }
    list.push_back({{"name", t.name}, {"summary", t.summary}, {"variables", vars}, {"files", t.files}});
  }
  std::string names;
  for (const auto& t : *templates) names += t.name + "\n";
  ctx.out.essential(names).emit({{"templates", list}}, [&](std::string& out) {
    Table table({"NAME", "SUMMARY"});
    for (const auto& t : *templates) table.add({ctx.out.paint(Style::bold, t.name), t.summary});
    table.render(out, ctx.out);
  });
  return {};
}

}  // namespace

void add_init_commands(Commands& commands) {
  auto init = std::make_shared<InitOptions>();
  commands.push_back({
      .words = {"init"},
      .summary = "Create a task project from a template",
      .description =
          "Renders the template into a new directory (./NAME unless --dir is given), makes it a Git "
          "repository and commits the files, so every later build names its commit. An existing "
          "directory must be empty: task init never overwrites a file.",
      .args = {{"NAME", "The task's name: a DNS-1123 label such as health-check", &init->name}},
      .flags = {{"-t,--template", "TEMPLATE", "Template to start from (see `task templates`)", &init->template_name,
                 {}, Complete::templates},
                {"--dir", "DIR", "Directory to create (default: ./NAME)", &init->dir, {}, Complete::directory},
                {"--var", "KEY=VALUE", "Set a template variable; repeatable", &init->vars}},
      .examples = {{"task init health-check --template http-health-check", "a task that checks a heartbeat URL"},
                   {"task init nightly-report --template python --dir ops/nightly-report", ""},
                   {"task init probe -t http-health-check --var target_url=https://example.org/health", ""}},
      .run = [init](Context& ctx) { return run_init(ctx, *init); },
  });
  commands.push_back({
      .words = {"templates"},
      .summary = "List the templates task init can start from",
      .examples = {{"task templates", ""}, {"task templates -o json | jq -r '.templates[].name'", ""}},
      .run = [](Context& ctx) { return run_templates(ctx); },
  });
}

}  // namespace cli
