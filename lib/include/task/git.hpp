#pragma once
// The Git side of task, over libgit2. No libgit2 type crosses this header.
#include <filesystem>
#include <string>

#include "task/error.hpp"

namespace task {

struct CommitInfo {
  std::string id;       // full hex object id
  std::string summary;  // first line of the message
  std::string author;   // "Name <email>"
};

// `git init` in `dir`, stage every file under it and make the first commit.
// The author is the user's Git identity, or "task <task@localhost>" when none is set.
Result<CommitInfo> init_repository_with_commit(const std::filesystem::path& dir,
                                               const std::string& message);

}  // namespace task

namespace task {

// What a build is made from: a directory of files and the commit they are.
struct SourceRevision {
  std::filesystem::path tree;  // the files to build
  CommitInfo commit;
  bool dirty = false;          // modified or untracked files in a work tree
  bool exported = false;       // `tree` is a temporary checkout the caller removes
};

// For a local project: its work tree, HEAD and whether the tree is dirty (untracked
// and modified files count; ignored ones do not). With `commit` set (a full or abbreviated
// id, or any revision Git understands), a clean checkout of that commit into `scratch`.
Result<SourceRevision> resolve_local_source(const std::filesystem::path& project_dir, const std::string& commit,
                                            const std::filesystem::path& scratch);

}  // namespace task
