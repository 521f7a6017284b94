#include <fmt/format.h>

#include "git/handles.hpp"
#include "task/git.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

using Object = std::unique_ptr<git_object, git::Release<git_object_free>>;
using Commit = std::unique_ptr<git_commit, git::Release<git_commit_free>>;
using StatusList = std::unique_ptr<git_status_list, git::Release<git_status_list_free>>;

CommitInfo describe_commit(const git_commit* commit) {
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, git_commit_id(commit));
  const git_signature* author = git_commit_author(commit);
  const char* summary = git_commit_summary(const_cast<git_commit*>(commit));
  return CommitInfo{hex, summary ? summary : "", fmt::format("{} <{}>", author->name, author->email)};
}

Result<bool> work_tree_dirty(git_repository* repo) {
  git_status_options opts = GIT_STATUS_OPTIONS_INIT;
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  git_status_list* raw = nullptr;
  if (git_status_list_new(&raw, repo, &opts) != 0) return std::unexpected(git::last_error("cannot read the work tree's status"));
  StatusList list(raw);
  return git_status_list_entrycount(list.get()) > 0;
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
  git_object* raw_obj = nullptr;
  if (git_revparse_single(&raw_obj, repo.get(), spec.c_str()) != 0) {
    if (commit.empty()) {
      return fail(Errc::git, "the repository has no commit yet", "commit the project's files first: `git add -A && git commit`");
    }
    return fail(Errc::not_found, fmt::format("no commit `{}` in {}", commit, project_dir.string()),
                "`git log --oneline` lists the commits");
  }
  Object obj(raw_obj);
  git_object* raw_peeled = nullptr;
  if (git_object_peel(&raw_peeled, obj.get(), GIT_OBJECT_COMMIT) != 0) {
    return fail(Errc::invalid_input, fmt::format("`{}` does not name a commit", spec));
  }
  Commit target(reinterpret_cast<git_commit*>(raw_peeled));

  SourceRevision out;
  out.commit = describe_commit(target.get());
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

  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  std::string target_dir = scratch.string();
  opts.target_directory = target_dir.c_str();
  std::error_code ec;
  fs::create_directories(scratch, ec);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, target.get()) != 0 ||
      git_checkout_tree(repo.get(), reinterpret_cast<git_object*>(raw_tree), &opts) != 0) {
    if (raw_tree) git_tree_free(raw_tree);
    return std::unexpected(git::last_error(fmt::format("cannot check out {}", spec)));
  }
  git_tree_free(raw_tree);
  out.tree = relative.empty() || relative == "." ? scratch : scratch / relative;
  out.exported = true;
  return out;
}

}  // namespace task
