#pragma once
// RAII over libgit2 handles, and its error text turned into task::Error.
#include <git2.h>

#include <memory>
#include <string>

#include "task/error.hpp"
#include "core/release.hpp"

namespace task::git {

using Repository = std::unique_ptr<git_repository, Release<git_repository_free>>;
using Index = std::unique_ptr<git_index, Release<git_index_free>>;
using Tree = std::unique_ptr<git_tree, Release<git_tree_free>>;
using Signature = std::unique_ptr<git_signature, Release<git_signature_free>>;
using Object = std::unique_ptr<git_object, Release<git_object_free>>;
using Commit = std::unique_ptr<git_commit, Release<git_commit_free>>;
using Blob = std::unique_ptr<git_blob, Release<git_blob_free>>;
using TreeEntry = std::unique_ptr<git_tree_entry, Release<git_tree_entry_free>>;
using Remote = std::unique_ptr<git_remote, Release<git_remote_free>>;

// libgit2 counts its initialisations; holding one keeps the library up for a scope.
class Library {
 public:
  Library() { git_libgit2_init(); }
  ~Library() { git_libgit2_shutdown(); }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
};

inline Error last_error(std::string what, std::string hint = {}) {
  const git_error* e = git_error_last();
  std::string detail = e && e->message ? e->message : "unknown error";
  return Error{Errc::git, what + ": " + detail, std::move(hint)};
}

}  // namespace task::git
