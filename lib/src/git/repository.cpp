#include <fmt/format.h>

#include "git/handles.hpp"
#include "task/git.hpp"

namespace task {

Result<CommitInfo> init_repository_with_commit(const std::filesystem::path& dir,
                                               const std::string& message) {
  git::Library library;
  git_repository* raw_repo = nullptr;
  if (git_repository_init(&raw_repo, dir.c_str(), 0) != 0) {
    return std::unexpected(git::last_error(fmt::format("cannot create a Git repository in {}", dir.string())));
  }
  git::Repository repo(raw_repo);

  git_index* raw_index = nullptr;
  if (git_repository_index(&raw_index, repo.get()) != 0) return std::unexpected(git::last_error("cannot open the index"));
  git::Index index(raw_index);
  if (git_index_add_all(index.get(), nullptr, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr) != 0 ||
      git_index_write(index.get()) != 0) {
    return std::unexpected(git::last_error("cannot stage the project's files"));
  }
  git_oid tree_id;
  if (git_index_write_tree(&tree_id, index.get()) != 0) return std::unexpected(git::last_error("cannot write the tree"));
  git_tree* raw_tree = nullptr;
  if (git_tree_lookup(&raw_tree, repo.get(), &tree_id) != 0) return std::unexpected(git::last_error("cannot read the tree"));
  git::Tree tree(raw_tree);

  git_signature* raw_sig = nullptr;
  if (git_signature_default(&raw_sig, repo.get()) != 0) {
    if (git_signature_now(&raw_sig, "task", "task@localhost") != 0) {
      return std::unexpected(git::last_error("cannot make a commit signature"));
    }
  }
  git::Signature signature(raw_sig);

  git_oid commit_id;
  if (git_commit_create(&commit_id, repo.get(), "HEAD", signature.get(), signature.get(), nullptr,
                        message.c_str(), tree.get(), 0, nullptr) != 0) {
    return std::unexpected(git::last_error("cannot make the first commit"));
  }
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, &commit_id);
  auto newline = message.find('\n');
  return CommitInfo{hex, message.substr(0, newline),
                    fmt::format("{} <{}>", signature->name, signature->email)};
}

}  // namespace task
