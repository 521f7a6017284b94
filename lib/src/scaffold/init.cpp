#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "task/name.hpp"
#include "task/project.hpp"
#include "task/scaffold.hpp"
#include "task/text.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

// Removes a half-made project directory unless the work reached the end.
class TemporaryDir {
 public:
  explicit TemporaryDir(fs::path path) : path_(std::move(path)) {}
  ~TemporaryDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TemporaryDir(const TemporaryDir&) = delete;
  TemporaryDir& operator=(const TemporaryDir&) = delete;
  const fs::path& path() const { return path_; }
  void keep() { path_.clear(); }

 private:
  fs::path path_;
};

Result<void> check_target(const fs::path& target) {
  std::error_code ec;
  auto status = fs::status(target, ec);
  if (!fs::exists(status)) return {};
  if (!fs::is_directory(status)) {
    return fail(Errc::conflict, fmt::format("{} exists and is not a directory", target.string()),
                "choose another place with --dir");
  }
  std::vector<std::string> in_the_way;
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    in_the_way.push_back(entry.path().filename().string());
  }
  if (ec) return fail(Errc::io, fmt::format("cannot read {}: {}", target.string(), ec.message()));
  if (in_the_way.empty()) return {};
  std::sort(in_the_way.begin(), in_the_way.end());
  std::size_t shown = std::min<std::size_t>(in_the_way.size(), 8);
  std::vector<std::string> listed(in_the_way.begin(), in_the_way.begin() + static_cast<long>(shown));
  if (shown < in_the_way.size()) listed.push_back(fmt::format("and {} more", in_the_way.size() - shown));
  return fail(Errc::conflict,
              fmt::format("{} is not empty: {} in the way", target.string(), join(listed, ", ")),
              "task init never overwrites files; choose an empty or new directory with --dir");
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::io, fmt::format("cannot read {}", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<void> write_file(const fs::path& path, const std::string& content, fs::perms perms) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (ec || !out) return fail(Errc::io, fmt::format("cannot write {}", path.string()), "is the disk full?");
  fs::permissions(path, perms, ec);
  return {};
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
  if (auto clear = check_target(target); !clear) return std::unexpected(clear.error());

  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  auto pattern = (target.parent_path() / fmt::format(".{}.init-XXXXXX", target.filename().string())).string();
  if (!mkdtemp(pattern.data())) {
    return fail(Errc::io, fmt::format("cannot create {}: {}", target.string(), std::strerror(errno)),
                fmt::format("check that {} exists and is writable", target.parent_path().string()));
  }
  TemporaryDir staging(pattern);

  InitResult result{request.name, tmpl->name, target, {}, {}};
  for (const auto& rel : tmpl->files) {
    auto source = tmpl->dir / rel;
    auto text = read_file(source);
    if (!text) return std::unexpected(text.error());
    auto perms = fs::status(source, ec).permissions() | fs::perms::owner_read | fs::perms::owner_write;
    if (auto written = write_file(staging.path() / rel, render_template_text(*text, variables), perms); !written) {
      return std::unexpected(written.error());
    }
    result.files.push_back(rel);
  }
  // A scaffolded task.yaml that does not load is a broken template: say so now, not at build.
  if (auto config = load_project(staging.path()); !config) {
    return fail(Errc::invalid_input, fmt::format("template `{}` made an invalid task.yaml: {}", tmpl->name, config.error().message));
  }
  fs::permissions(staging.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec, ec);

  auto commit = init_repository_with_commit(
      staging.path(), fmt::format("Scaffold {} from the {} template\n", request.name, tmpl->name));
  if (!commit) return std::unexpected(commit.error());
  result.commit = *commit;

  // rename(2) replaces an empty directory atomically and refuses a non-empty one, so a
  // directory filled meanwhile is never overwritten.
  fs::rename(staging.path(), target, ec);
  if (ec) {
    return fail(Errc::conflict, fmt::format("cannot move the new project to {}: {}", target.string(), ec.message()),
                "is the directory in use or no longer empty?");
  }
  staging.keep();
  return result;
}

}  // namespace task
