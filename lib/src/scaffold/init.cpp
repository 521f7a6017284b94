#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/staging.hpp"
#include "task/name.hpp"
#include "task/project.hpp"
#include "task/scaffold.hpp"
#include "task/text.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::io, fmt::format("cannot read {}", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

Result<InitResult> init_project(const InitRequest& request, const fs::path& templates_dir) {
  if (auto valid = validate_name(request.name); !valid) return std::unexpected(valid.error());
  auto tmpl = find_template(templates_dir, request.template_name);
  if (!tmpl) return std::unexpected(tmpl.error());

  std::map<std::string, std::string> variables{{"name", request.name}};
  for (const auto& v : tmpl->variables) variables[v.name] = v.default_value;
  for (const auto& [key, value] : request.variables) {
    if (!variables.contains(key) || key == "name") {
      std::vector<std::string> known;
      for (const auto& v : tmpl->variables) known.push_back(v.name);
      return fail(Errc::invalid_input, fmt::format("template `{}` has no variable `{}`", tmpl->name, key),
                  known.empty() ? "this template takes no variables"
                                : fmt::format("its variables: {}", join(known, ", ")));
    }
    variables[key] = value;
  }

  fs::path target = fs::absolute(request.dir.empty() ? fs::path(request.name) : request.dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  auto staging = StagedDirectory::begin(target, "task init", "init");
  if (!staging) return std::unexpected(staging.error());

  InitResult result{request.name, tmpl->name, target, {}, {}};
  for (const auto& rel : tmpl->files) {
    auto source = tmpl->dir / rel;
    auto text = read_file(source);
    if (!text) return std::unexpected(text.error());
    std::error_code ec;
    auto perms = fs::status(source, ec).permissions() | fs::perms::owner_read | fs::perms::owner_write;
    const auto extension = fs::path(rel).extension();
    const auto rendered = extension == ".yaml" || extension == ".yml" ? render_yaml_template_text(*text, variables)
                                                                      : render_template_text(*text, variables);
    if (auto written = write_text_file(staging->path() / rel, rendered, perms); !written) {
      return std::unexpected(written.error());
    }
    result.files.push_back(rel);
  }
  // A scaffolded task.yaml that does not load is a broken template: say so now, not at build.
  if (auto config = load_project(staging->path()); !config) {
    return fail(Errc::invalid_input, fmt::format("template `{}` made an invalid task.yaml: {}", tmpl->name, config.error().message));
  }

  auto commit = init_repository_with_commit(
      staging->path(), fmt::format("Scaffold {} from the {} template\n", request.name, tmpl->name));
  if (!commit) return std::unexpected(commit.error());
  result.commit = *commit;

  if (auto moved = staging->commit(); !moved) return std::unexpected(moved.error());
  return result;
}

}  // namespace task
