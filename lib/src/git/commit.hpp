#pragma once
// Commits shared by local and connected sources: naming one, describing it, and copying
// its files out.
#include <filesystem>
#include <string>

#include "git/handles.hpp"
#include "task/git.hpp"

namespace task::git {

CommitInfo describe_commit(const git_commit* commit);

// The commit `spec` names in `repo` (an id, abbreviated or not, a branch, any revision).
// Errc::not_found with an empty message when it names nothing, so callers say where they
// looked; Errc::invalid_input when it names something that is not a commit.
Result<Commit> find_commit(git_repository* repo, const std::string& spec);

// A clean copy of the commit's files in `dir` (made if needed): only those under
// `subpath` ("a/b", "" for all), which must exist (Errc::not_found otherwise). Works on
// bare repositories too: nothing in the repository changes.
Result<void> export_commit(git_repository* repo, const git_commit* commit,
                           const std::filesystem::path& dir, const std::string& subpath);

}  // namespace task::git
