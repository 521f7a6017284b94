#pragma once
// Fetching a connected repository into the cache: the network half (fetch.cpp) and the
// cache's layout, lock and recovery (cache.cpp).
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "git/handles.hpp"
#include "task/connect.hpp"

namespace task::git {

// A failed fetch, and whether the clone it went into may be what is broken (a corrupt
// object database rather than the network or the server), so a fresh clone may help.
struct FetchFailure {
  Error error;
  bool cache_suspect = false;
};

struct FetchedBranch {
  std::string branch;  // the branch fetched: the one asked for, or the remote's default
  bool default_branch = false;
  git_oid head{};
};

// Fetches `branch` ("" = the remote's default) of the repository's `origin` remote into
// refs/heads/<branch> of `repo`, after checking with the remote that the branch exists.
std::expected<FetchedBranch, FetchFailure> fetch_into(git_repository* repo, const GitUrl& url,
                                                      const std::string& branch,
                                                      const GitAccess& access,
                                                      const FetchObserver& observer);

struct CachedBranch {
  Repository repo;  // the cache's bare clone, open
  std::filesystem::path dir;
  FetchedBranch fetched;
  bool cached = false;  // an existing clone was brought up to date
};

// Brings the cache's clone of `url` up to date with `branch` and returns it open. One
// fetch per clone at a time (a lock file next to it); a new clone is made in a hidden
// temporary directory and renamed into place, so an interrupted one leaves no clone;
// a clone that does not open, or whose objects fail, is discarded and made again.
Result<CachedBranch> fetch_branch(const GitUrl& url, const std::string& branch,
                                  const GitAccess& access, const FetchObserver& observer);

// The cache's clone of `url` as it is, without any network; null when there is none.
Repository open_cached(const GitUrl& url, const GitAccess& access);

}  // namespace task::git
