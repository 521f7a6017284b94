// The cache of connected repositories: <cache>/repos/<key> is a bare clone whose `origin`
// is the repository's credential-free URL; <key>.lock serialises fetches into it.
#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "git/fetch.hpp"

namespace task::git {
namespace fs = std::filesystem;

namespace {

// flock(2) on a file next to the clone; released when the process ends, however it ends.
class CacheLock {
 public:
  static Result<CacheLock> acquire(const fs::path& file, const FetchObserver& observer) {
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return fail(Errc::io, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)),
                  "set XDG_CACHE_HOME to a writable directory");
    }
    CacheLock lock(fd);
    // Another fetch of the same repository may take a while: wait for it, but give up
    // after ten minutes and stop at once on Ctrl-C.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        return fail(Errc::io,
                    fmt::format("cannot lock {}: {}", file.string(), std::strerror(errno)));
      }
      if (observer.cancelled())
        return fail(Errc::interrupted, "interrupted while waiting for another fetch");
      if (std::chrono::steady_clock::now() > deadline) {
        return fail(Errc::conflict,
                    fmt::format("another task process has held {} for ten minutes", file.string()),
                    "wait for it to finish, or end it");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return lock;
  }
  CacheLock(CacheLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  CacheLock& operator=(CacheLock&&) = delete;
  ~CacheLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit CacheLock(int fd) : fd_(fd) {}
  int fd_;
};

fs::path repos_dir(const GitAccess& access) { return access.cache / "repos"; }

// Temporary clones of `key` left by a process that was killed: safe to remove while the
// lock is held, since only the holder makes them.
void sweep_leftovers(const fs::path& repos, const std::string& key) {
  std::error_code ec;
  const std::string prefix = "." + key + ".tmp-";
  for (const auto& entry : fs::directory_iterator(repos, ec)) {
    if (entry.path().filename().string().starts_with(prefix)) fs::remove_all(entry.path(), ec);
  }
}

// The clone at `dir` when it opens and its origin is `url`; null otherwise.
Repository open_clone(const fs::path& dir, const GitUrl& url) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, dir.c_str()) != 0) return nullptr;
  Repository repo(raw);
  git_remote* raw_remote = nullptr;
  if (git_remote_lookup(&raw_remote, repo.get(), "origin") != 0) return nullptr;
  Remote remote(raw_remote);
  const char* stored = git_remote_url(remote.get());
  if (!stored || url.text != stored) return nullptr;
  return repo;
}

// Every branch head of the clone can be read. A clone whose objects were lost (a disk
// cleaner, a crash of another tool) fails here, before a fetch negotiates with them.
bool heads_readable(git_repository* repo) {
  git_reference_iterator* raw = nullptr;
  if (git_reference_iterator_glob_new(&raw, repo, "refs/heads/*") != 0) return false;
  std::unique_ptr<git_reference_iterator, Release<git_reference_iterator_free>> iterator(raw);
  git_reference* ref = nullptr;
  int rc = 0;
  while ((rc = git_reference_next(&ref, iterator.get())) == 0) {
    std::unique_ptr<git_reference, Release<git_reference_free>> owned(ref);
    const git_oid* id = git_reference_target(ref);
    git_commit* commit = nullptr;
    if (!id || git_commit_lookup(&commit, repo, id) != 0) return false;
    git_commit_free(commit);
  }
  return rc == GIT_ITEROVER;
}

Result<fs::path> make_temp(const fs::path& repos, const std::string& key) {
  std::string pattern = (repos / fmt::format(".{}.tmp-XXXXXX", key)).string();
  if (!mkdtemp(pattern.data())) {
    return fail(
        Errc::io,
        fmt::format("cannot create a directory in {}: {}", repos.string(), std::strerror(errno)),
        "set XDG_CACHE_HOME to a writable directory");
  }
  return fs::path(pattern);
}

// Moves a broken clone out of the way (under the lock) and removes it.
void discard(const fs::path& dir, const fs::path& repos, const std::string& key) {
  std::error_code ec;
  auto aside = make_temp(repos, key);
  if (aside) {
    fs::remove(*aside, ec);
    fs::rename(dir, *aside, ec);
    fs::remove_all(*aside, ec);
  }
  fs::remove_all(dir, ec);
}

Result<CachedBranch> clone_fresh(const GitUrl& url, const std::string& branch,
                                 const GitAccess& access, const FetchObserver& observer,
                                 const fs::path& dir, const std::string& key) {
  auto temp = make_temp(repos_dir(access), key);
  if (!temp) return std::unexpected(temp.error());
  struct RemoveUnlessMoved {
    fs::path path;
    ~RemoveUnlessMoved() {
      std::error_code ec;
      if (!path.empty()) fs::remove_all(path, ec);
    }
  } guard{*temp};

  git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  init.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_NO_REINIT;
  git_repository* raw = nullptr;
  if (git_repository_init_ext(&raw, temp->c_str(), &init) != 0) {
    return std::unexpected(
        last_error(fmt::format("cannot create a clone in {}", repos_dir(access).string())));
  }
  Repository repo(raw);
  git_remote* raw_remote = nullptr;
  if (git_remote_create_with_fetchspec(&raw_remote, repo.get(), "origin", url.text.c_str(),
                                       "+refs/heads/*:refs/heads/*") != 0) {
    return std::unexpected(last_error("cannot record the repository's URL in the cache"));
  }
  git_remote_free(raw_remote);
  auto fetched = fetch_into(repo.get(), url, branch, access, observer);
  if (!fetched) return std::unexpected(fetched.error().error);
  if (fetched->default_branch) {
    git_repository_set_head(repo.get(), ("refs/heads/" + fetched->branch).c_str());
  }
  repo.reset();
  std::error_code ec;
  fs::rename(*temp, dir, ec);
  if (ec)
    return fail(Errc::io,
                fmt::format("cannot move the new clone to {}: {}", dir.string(), ec.message()));
  guard.path.clear();
  Repository opened = open_clone(dir, url);
  if (!opened)
    return std::unexpected(
        last_error(fmt::format("cannot open the new clone in {}", dir.string())));
  return CachedBranch{std::move(opened), dir, *fetched, false};
}

}  // namespace

Result<CachedBranch> fetch_branch(const GitUrl& url, const std::string& branch,
                                  const GitAccess& access, const FetchObserver& observer) {
  const fs::path repos = repos_dir(access);
  std::error_code ec;
  // libgit2 takes a path that does not exist for an unknown protocol: say what is wrong.
  if (url.transport == GitUrl::Transport::file && !fs::exists(url.path, ec)) {
    return fail(Errc::not_found,
                fmt::format("there is no Git repository at {}: the path does not exist", url.text),
                "check the path");
  }
  fs::create_directories(repos, ec);
  if (ec) {
    return fail(Errc::io,
                fmt::format("cannot create the cache {}: {}", repos.string(), ec.message()),
                "set XDG_CACHE_HOME to a writable directory");
  }
  const std::string key = cache_key(url);
  const fs::path dir = repos / key;
  auto lock = CacheLock::acquire(repos / (key + ".lock"), observer);
  if (!lock) return std::unexpected(lock.error());
  sweep_leftovers(repos, key);

  if (fs::exists(dir, ec)) {
    if (Repository repo = open_clone(dir, url); repo && heads_readable(repo.get())) {
      auto fetched = fetch_into(repo.get(), url, branch, access, observer);
      if (fetched) return CachedBranch{std::move(repo), dir, *fetched, true};
      if (!fetched.error().cache_suspect) return std::unexpected(fetched.error().error);
    }
    // A clone that does not open, names another URL or whose objects fail: start again.
    discard(dir, repos, key);
  }
  return clone_fresh(url, branch, access, observer, dir, key);
}

Repository open_cached(const GitUrl& url, const GitAccess& access) {
  return open_clone(repos_dir(access) / cache_key(url), url);
}

}  // namespace task::git
