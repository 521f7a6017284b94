#include "task/doctor.hpp"

#include <fmt/format.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include "task/docker.hpp"
#include "task/scaffold.hpp"
#include "state/database.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

Check docker_check(const Environment& env) {
  Check c{"docker", false, "", ""};
  auto endpoint = resolve_docker_endpoint(env);
  if (!endpoint) return {c.name, false, endpoint.error().message, endpoint.error().hint};
  auto client = DockerClient::connect(*endpoint);
  if (!client) {
    auto fix = client.error().hint;
    if (fix.find("task doctor") != std::string::npos) {
      fix = "start the engine (`systemctl start docker`, or `dockerd` by hand), or point DOCKER_HOST at a running one";
    }
    return {c.name, false, client.error().message, fix};
  }
  auto info = client->info();
  if (!info) return {c.name, false, info.error().message, info.error().hint};
  c.ok = true;
  c.detail = fmt::format("engine {} at {} (API {}, {}/{}, storage driver {})", info->version, endpoint->host,
                         info->api_version, info->os, info->arch, info->storage_driver);
  return c;
}

Check git_check() {
  int major = 0, minor = 0, rev = 0;
  git_libgit2_version(&major, &minor, &rev);
  int features = git_libgit2_features();
  std::string transports = "file, git";
  if (features & GIT_FEATURE_HTTPS) transports += ", https";
  if (features & GIT_FEATURE_SSH) transports += ", ssh";
  bool ok = (features & GIT_FEATURE_HTTPS) != 0;
  return {"git", ok, fmt::format("libgit2 {}.{}.{} (transports: {})", major, minor, rev, transports),
          ok ? "" : "this libgit2 has no HTTPS: install Debian's libgit2 with HTTPS support"};
}

Check state_check(const Paths& paths) {
  Check c{"state", false, "", ""};
  auto database = state::open_database(paths.state);
  if (!database) return {c.name, false, database.error().message, database.error().hint};
  struct stat st{};
  if (::stat(paths.state.c_str(), &st) != 0) return {c.name, false, "cannot stat " + paths.state.string(), ""};
  if ((st.st_mode & 077) != 0) {
    return {c.name, false, fmt::format("{} is readable by others (mode {:o})", paths.state.string(), st.st_mode & 0777),
            fmt::format("chmod 700 {}", paths.state.string())};
  }
  if (st.st_uid != ::geteuid()) {
    return {c.name, false, fmt::format("{} belongs to another user", paths.state.string()),
            "set TASK_HOME to a directory of your own"};
  }
  c.ok = true;
  c.detail = fmt::format("{} (schema {}, mode 700)", paths.state.string(), database->version);
  return c;
}

Check templates_check(const Paths& paths) {
  auto list = list_templates(paths.templates);
  if (!list) return {"templates", false, list.error().message, list.error().hint};
  if (list->empty()) {
    return {"templates", false, "no templates in " + paths.templates.string(), "set TASK_TEMPLATES or reinstall task"};
  }
  return {"templates", true, fmt::format("{} templates in {}", list->size(), paths.templates.string()), ""};
}

}  // namespace

std::vector<Check> run_checks(const Paths& paths, const Environment& env) {
  return {docker_check(env), git_check(), state_check(paths), templates_check(paths)};
}

}  // namespace task
