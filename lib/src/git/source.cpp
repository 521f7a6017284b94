#include <fmt/format.h>

#include "git/commit.hpp"
#include "git/fetch.hpp"
#include "task/connect.hpp"
#include "task/git.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

using StatusList = std::unique_ptr<git_status_list, Release<git_status_list_free>>;

Result<bool> work_tree_dirty(git_repository* repo) {
  git_status_options opts = GIT_STATUS_OPTIONS_INIT;
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  git_status_list* raw = nullptr;
  if (git_status_list_new(&raw, repo, &opts) != 0) return std::unexpected(git::last_error("cannot read the work tree's status"));
  StatusList list(raw);
  return git_status_list_entrycount(list.get()) > 0;
}

// A full or abbreviated object id: something a fetch cannot change the meaning of.
bool is_object_id(const std::string& spec) {
  return spec.size() >= 7 && spec.size() <= GIT_OID_HEXSZ &&
         spec.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

}  // namespace

Result<SourceRevision> resolve_local_source(const fs::path& project_dir, const std::string& commit,
                                            const fs::path& scratch) {
  git::Library library;
  git_repository* raw_repo = nullptr;
  if (git_repository_open_ext(&raw_repo, project_dir.c_str(), 0, nullptr) != 0) {
    return fail(Errc::git, fmt::format("{} is not in a Git repository", project_dir.string()),
                "builds name the commit they come from: run `git init && git add -A && git commit -m init`, "
                "or create the project with `task init`");
  }
  git::Repository repo(raw_repo);
  if (git_repository_is_bare(repo.get())) return fail(Errc::git, "the repository is bare: there is no work tree to build");

  const std::string spec = commit.empty() ? "HEAD" : commit;
  auto target = git::find_commit(repo.get(), spec);
  if (!target) {
    if (target.error().code != Errc::not_found) return std::unexpected(target.error());
    if (commit.empty()) {
      return fail(Errc::git, "the repository has no commit yet", "commit the project's files first: `git add -A && git commit`");
    }
    return fail(Errc::not_found, fmt::format("no commit `{}` in {}", commit, project_dir.string()),
                "`git log --oneline` lists the commits");
  }

  SourceRevision out;
  out.commit = git::describe_commit(target->get());
  // The project may sit in a sub-directory of its repository.
  fs::path workdir = git_repository_workdir(repo.get());
  auto relative = fs::relative(fs::weakly_canonical(project_dir), fs::weakly_canonical(workdir));

  if (commit.empty()) {
    auto dirty = work_tree_dirty(repo.get());
    if (!dirty) return std::unexpected(dirty.error());
    out.dirty = *dirty;
    out.tree = project_dir;
    return out;
  }

  auto subpath = relative.empty() || relative == "." ? std::string{} : relative.generic_string();
  if (auto copied = git::export_commit(repo.get(), target->get(), scratch, subpath); !copied) {
    return std::unexpected(copied.error());
  }
  out.tree = relative.empty() || relative == "." ? scratch : scratch / relative;
  out.exported = true;
  return out;
}

Result<CommitInfo> remote_head(const SourceSpec& source, const GitAccess& access, const FetchObserver& observer) {
  auto url = parse_git_url(source.git, fs::current_path());
  if (!url) return std::unexpected(url.error());
  git::Library library;
  auto cached = git::fetch_branch(*url, source.branch, access, observer);
  if (!cached) return std::unexpected(cached.error());
  auto head = git::find_commit(cached->repo.get(), "refs/heads/" + cached->fetched.branch);
  if (!head) return std::unexpected(head.error());
  return git::describe_commit(head->get());
}

Result<SourceRevision> resolve_remote_source(const SourceSpec& source, const std::string& commit,
                                             const GitAccess& access, const fs::path& scratch,
                                             const FetchObserver& observer) {
  auto url = parse_git_url(source.git, fs::current_path());
  if (!url) return std::unexpected(url.error());
  auto path = normalize_repo_path(source.path, "source.path");
  if (!path) return std::unexpected(path.error());
  git::Library library;

  // A commit id already in the cache needs no network: a build of an old revision works
  // offline and cannot be changed by a force-push.
  git::Repository repo;
  git::Commit target;
  std::string branch = source.branch;
  if (is_object_id(commit)) {
    if ((repo = git::open_cached(*url, access))) {
      if (auto found = git::find_commit(repo.get(), commit)) target = std::move(*found);
    }
  }
  if (!target) {
    auto cached = git::fetch_branch(*url, source.branch, access, observer);
    if (!cached) return std::unexpected(cached.error());
    branch = cached->fetched.branch;
    repo = std::move(cached->repo);
    auto found = commit.empty() ? git::find_commit(repo.get(), "refs/heads/" + branch)
                                : git::find_commit(repo.get(), commit);
    if (!found) {
      if (found.error().code != Errc::not_found) return std::unexpected(found.error());
      return fail(Errc::not_found, fmt::format("no commit `{}` on branch {} of {}", commit, branch, url->text),
                  "--commit takes a commit of the connected branch; without it, the build takes the branch's head");
    }
    target = std::move(*found);
  }

  SourceRevision out;
  out.commit = git::describe_commit(target.get());
  if (auto copied = git::export_commit(repo.get(), target.get(), scratch, *path); !copied) {
    auto err = copied.error();
    if (err.code == Errc::not_found || err.code == Errc::invalid_input) {
      err.message = fmt::format("{} of {}: {}", branch.empty() ? "the cached clone" : "branch " + branch, url->text, err.message);
      err.hint = "fix `source.path` in task.yaml";
    }
    return std::unexpected(err);
  }
  out.tree = path->empty() ? scratch : scratch / *path;
  out.exported = true;
  return out;
}

}  // namespace task
