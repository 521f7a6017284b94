#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "progress.hpp"
#include "task/connect.hpp"

namespace cli {

namespace {

struct ConnectOptions {
  std::string url;
  std::string branch;
  std::string path;
  std::string dockerfile;
  std::string name;
  std::string dir;
};

task::Result<void> run_connect(Context& ctx, const ConnectOptions& o) {
  task::ConnectRequest request{o.url, o.branch, o.path, o.dockerfile, o.name, o.dir};
  TransferMeter meter(ctx.out.live_err());
  task::FetchObserver observer{[&](const task::TransferProgress& p) { meter.update(p); },
                               ctx.interrupted};
  auto result =
      task::connect_repository(request, task::GitAccess{ctx.paths.cache, ctx.env}, observer);
  meter.finish();
  if (!result) return std::unexpected(result.error());

  nlohmann::json data{{"name", result->name},
                      {"dir", result->dir.string()},
                      {"source",
                       {{"git", result->source.git},
                        {"branch", result->source.branch},
                        {"path", result->source.path}}},
                      {"dockerfile", result->dockerfile},
                      {"commit",
                       {{"id", result->commit.id},
                        {"summary", result->commit.summary},
                        {"author", result->commit.author}}},
                      {"repository_config", result->repository_config},
                      {"cached", result->cached}};
  ctx.out.essential(result->dir.string()).emit(data, [&](std::string& out) {
    out += fmt::format("{} {} to {}, branch {}{}\n", ctx.out.paint(Style::success, "Connected"),
                       ctx.out.paint(Style::bold, result->name), result->source.git,
                       result->source.branch,
                       result->source.path.empty() ? "" : ", directory " + result->source.path);
    out +=
        fmt::format("  head       {} {}\n", result->commit.id.substr(0, 7), result->commit.summary);
    out += fmt::format("  dockerfile {}\n", result->dockerfile);
    out +=
        fmt::format("  project    {}/task.yaml{}\n", result->dir.string(),
                    result->repository_config ? " (settings from the repository's task.yaml)" : "");
  });
  if (ctx.out.format() == Format::table) {
    ctx.out.note(fmt::format("\nNext:\n  cd {}\n  task build", result->dir.string()));
  }
  return {};
}

}  // namespace

void add_connect_commands(Commands& commands) {
  auto o = std::make_shared<ConnectOptions>();
  commands.push_back({
      .words = {"connect"},
      .summary = "Make a task project from an existing Git repository and its Dockerfile",
      .description = "Clones the repository into the cache (XDG_CACHE_HOME/task, or "
                     "~/.cache/task), or fetches when it is "
                     "there already, checks that the branch, the directory and the Dockerfile "
                     "exist, and writes a project "
                     "directory (./NAME unless --dir is given) holding task.yaml, whose source "
                     "names the repository, branch "
                     "and directory. When the repository has a task.yaml in that directory, its "
                     "settings are used. Every "
                     "`task build` of the project fetches the branch and builds its head, or the "
                     "commit given with --commit."
                     "\n\n"
                     "URLs: https://, http://, ssh://, git://, file://, git@HOST:ORG/REPO and "
                     "local paths. Private "
                     "repositories over HTTPS take a token from TASK_GIT_TOKEN (for github.com "
                     "also GITHUB_TOKEN; the user "
                     "name sent is TASK_GIT_USER, default x-access-token); over SSH, the SSH agent "
                     "or the key file named by "
                     "TASK_GIT_SSH_KEY. A URL with a password in it is refused: credentials are "
                     "never written to task.yaml, "
                     "the cache or any output.",
      .args =
          {{"URL",
            "The repository: an https://, ssh:// or git:// URL, git@HOST:ORG/REPO, or a local path",
            &o->url}},
      .flags = {{"--branch", "BRANCH", "Branch to build (default: the repository's default branch)",
                 &o->branch},
                {"--path", "PATH",
                 "Directory of the repository that holds the task (default: its root)", &o->path},
                {"--dockerfile", "FILE", "Dockerfile, relative to --path (default: Dockerfile)",
                 &o->dockerfile},
                {"--name", "NAME",
                 "Task name, a DNS-1123 label (default: from the repository's task.yaml, else the "
                 "last component of "
                 "--path or of the URL)",
                 &o->name},
                {"--dir",
                 "DIR",
                 "Directory to create (default: ./NAME)",
                 &o->dir,
                 {},
                 Complete::directory}},
      .examples =
          {{"task connect https://github.com/acme/ops-tasks.git --path health-check",
            "one task of a monorepo"},
           {"task connect git@github.com:acme/backup.git --branch release --name nightly-backup",
            ""},
           {"TASK_GIT_TOKEN=$(cat ~/.token) task connect https://git.example.com/acme/private.git",
            "a private repository"},
           {"task connect ../report --dockerfile docker/Dockerfile.prod", "a local repository"}},
      .run = [o](Context& ctx) { return run_connect(ctx, *o); },
  });
}

}  // namespace cli
