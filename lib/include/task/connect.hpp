#pragma once
// `task connect`: a task project whose source is an existing Git repository (any
// repository with a Dockerfile will do), and the fetches builds of such a project make.
// Clones live in a cache under Paths::cache; credentials come from the environment and
// are never written anywhere, printed, or kept in a stored URL.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "task/error.hpp"
#include "task/git.hpp"
#include "task/paths.hpp"
#include "task/project.hpp"

namespace task {

// A remote's address. `text` is what task stores, prints and fetches from.
struct GitUrl {
  enum class Transport { https, http, ssh, git, file };
  Transport transport = Transport::https;
  std::string user;  // ssh only ("git" in git@host:org/repo); http(s) user names are dropped
  std::string host;  // lower case; empty for file
  std::string port;  // empty: the transport's default
  std::string path;  // on the host: "/acme/ops.git"; for file, an absolute local path
  std::string text;  // normalized, with no credentials
};

// Parses https://, http://, ssh://, git://, file:// URLs, scp-like `user@host:org/repo`
// and local paths (made absolute against `cwd`). A URL carrying a password is rejected
// (Errc::invalid_input) with a hint to use TASK_GIT_TOKEN, and the password is never
// echoed; a user name in an http(s) URL is dropped, as it may be a token too.
Result<GitUrl> parse_git_url(std::string_view url, const std::filesystem::path& cwd);

// `text` with the user information of every URL in it (`user:secret@`) replaced by
// `***@`: for messages from elsewhere that may quote a URL.
std::string redact_credentials(std::string_view text);

// The cache's directory name for a repository: host and name for people, and a hash of
// the whole normalized URL, e.g. "github.com-ops-tasks-1f3a9c0b7d2e4f61".
std::string cache_key(const GitUrl& url);

// "a/b" for "./a/b/", "" for the repository's root; absolute paths and `..` are
// Errc::invalid_input errors naming `what` ("--path").
Result<std::string> normalize_repo_path(std::string_view path, std::string_view what);

// The default task name: the last component of `path`, or else the repository's name
// without ".git", made into a DNS-1123 label. "" when nothing usable is left.
std::string derive_task_name(const GitUrl& url, std::string_view path);

struct TransferProgress {
  std::uint64_t received_bytes = 0;
  std::size_t received_objects = 0;
  std::size_t indexed_objects = 0;
  std::size_t total_objects = 0;  // 0 until the server has said
  std::size_t indexed_deltas = 0;
  std::size_t total_deltas = 0;
};

struct FetchObserver {
  std::function<void(const TransferProgress&)> progress = [](const TransferProgress&) {};
  std::function<bool()> cancelled = [] { return false; };  // true stops the transfer
};

// Where clones are kept and where credentials are looked up: TASK_GIT_TOKEN (any HTTP(S)
// host; user name TASK_GIT_USER, default "x-access-token"), GITHUB_TOKEN (github.com
// only), TASK_GIT_SSH_KEY (+ TASK_GIT_SSH_PASSPHRASE) or the SSH agent for SSH.
struct GitAccess {
  std::filesystem::path cache;  // Paths::cache; clones live in <cache>/repos/<cache_key>
  Environment env;
};

struct ConnectRequest {
  std::string url;
  std::string branch;         // "": the remote's default branch
  std::string path;           // "": the repository's root
  std::string dockerfile;     // "": task.yaml's build.dockerfile, else "Dockerfile"
  std::string name;           // "": the repository's task.yaml's, else derived
  std::filesystem::path dir;  // "": ./<name>
};

struct ConnectResult {
  std::string name;
  std::filesystem::path dir;
  SourceSpec source;               // as written to task.yaml
  std::string dockerfile;          // the Dockerfile's path in the repository
  CommitInfo commit;               // the branch's head
  bool repository_config = false;  // the repository's own task.yaml was used
  bool cached = false;             // an existing clone in the cache was brought up to date
};

// Clones (or fetches) the repository into the cache, checks the branch, the path and the
// Dockerfile, and writes a project directory holding task.yaml: the target is either
// absent afterwards, or complete. Errors: Errc::invalid_input (URL, name, path),
// Errc::not_found (repository, branch, path, Dockerfile), Errc::auth, Errc::git,
// Errc::conflict (a directory in the way), Errc::interrupted.
Result<ConnectResult> connect_repository(const ConnectRequest& request, const GitAccess& access,
                                         const FetchObserver& observer);

// For a connected project's build: fetches `source`'s branch into the cache and checks
// out its head, or `commit` (any revision Git understands; an id already in the cache is
// used without fetching), into `scratch`. The tree is <scratch>/<source.path>.
Result<SourceRevision> resolve_remote_source(const SourceSpec& source, const std::string& commit,
                                             const GitAccess& access,
                                             const std::filesystem::path& scratch,
                                             const FetchObserver& observer);

// A connected project's branch head as the remote has it now: fetched into the cache.
Result<CommitInfo> remote_head(const SourceSpec& source, const GitAccess& access, const FetchObserver& observer);

}  // namespace task
