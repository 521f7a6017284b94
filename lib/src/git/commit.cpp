#include "git/commit.hpp"

#include <fmt/format.h>

namespace task::git {
namespace fs = std::filesystem;

CommitInfo describe_commit(const git_commit* commit) {
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, git_commit_id(commit));
  const git_signature* author = git_commit_author(commit);
  const char* summary = git_commit_summary(const_cast<git_commit*>(commit));
  return CommitInfo{hex, summary ? summary : "",
                    fmt::format("{} <{}>", author->name, author->email)};
}

Result<Commit> find_commit(git_repository* repo, const std::string& spec) {
  git_object* raw_obj = nullptr;
  if (git_revparse_single(&raw_obj, repo, spec.c_str()) != 0) return fail(Errc::not_found, "");
  Object obj(raw_obj);
  git_object* raw_peeled = nullptr;
  if (git_object_peel(&raw_peeled, obj.get(), GIT_OBJECT_COMMIT) != 0) {
    return fail(Errc::invalid_input, fmt::format("`{}` does not name a commit", spec));
  }
  return Commit(reinterpret_cast<git_commit*>(raw_peeled));
}

Result<void> export_commit(git_repository* repo, const git_commit* commit, const fs::path& dir,
                           const std::string& subpath) {
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit) != 0)
    return std::unexpected(last_error("cannot read the commit's tree"));
  Tree tree(raw_tree);
  if (!subpath.empty()) {
    git_tree_entry* raw_entry = nullptr;
    if (git_tree_entry_bypath(&raw_entry, tree.get(), subpath.c_str()) != 0) {
      return fail(Errc::not_found, fmt::format("there is no `{}` at commit {:.12}", subpath,
                                               describe_commit(commit).id));
    }
    TreeEntry entry(raw_entry);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) {
      return fail(Errc::invalid_input, fmt::format("`{}` is a file, not a directory", subpath));
    }
  }
  std::error_code ec;
  // libgit2 creates sub-directories of the target only when it is given as an absolute path.
  const std::string target = fs::absolute(dir, ec).string();
  fs::create_directories(target, ec);
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy =
      GIT_CHECKOUT_FORCE | GIT_CHECKOUT_RECREATE_MISSING | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  opts.target_directory = target.c_str();
  // A pathspec of the sub-directory limits the copy to it (a connected monorepo's one task).
  std::string pathspec = subpath;
  char* paths[] = {pathspec.data()};
  if (!subpath.empty()) opts.paths = git_strarray{paths, 1};
  if (git_checkout_tree(repo, reinterpret_cast<const git_object*>(tree.get()), &opts) != 0) {
    return std::unexpected(
        last_error(fmt::format("cannot check out {:.12}", describe_commit(commit).id)));
  }
  return {};
}

}  // namespace task::git
