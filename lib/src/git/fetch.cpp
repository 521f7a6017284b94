// The network half of a fetch: callbacks for credentials, progress and cancellation,
// the branch check against the remote's advertisement, and libgit2's errors turned into
// ones that say what to do.
#include "git/fetch.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "git/credentials.hpp"
#include "task/text.hpp"

namespace task::git {

namespace {

struct CallbackState {
  const GitUrl* url = nullptr;
  const GitAccess* access = nullptr;
  const FetchObserver* observer = nullptr;
  enum class Auth { none, missing, rejected };
  Auth auth = Auth::none;
  std::string credential_source;
  int secret_offers = 0;
  bool cancelled = false;
  TransferProgress progress;
};

int on_credentials(git_credential** out, const char*, const char* user_from_url,
                   unsigned int allowed, void* payload) {
  auto& state = *static_cast<CallbackState*>(payload);
  if (state.observer->cancelled()) {
    state.cancelled = true;
    return GIT_EUSER;
  }
  auto plan = plan_credentials(*state.url, user_from_url, allowed, state.access->env);
  using Kind = CredentialPlan::Kind;
  if (plan.kind == Kind::username) return git_credential_username_new(out, plan.user.c_str());
  if (plan.kind == Kind::none) {
    state.auth = CallbackState::Auth::missing;
    git_error_set_str(GIT_ERROR_CALLBACK, "no credentials are set for this host");
    return GIT_EAUTH;
  }
  // A second request after a secret was offered means the host refused it.
  if (++state.secret_offers > 1) {
    state.auth = CallbackState::Auth::rejected;
    state.credential_source = plan.source;
    git_error_set_str(GIT_ERROR_CALLBACK, "the host refused the credentials");
    return GIT_EAUTH;
  }
  state.credential_source = plan.source;
  switch (plan.kind) {
    case Kind::token:
      return git_credential_userpass_plaintext_new(out, plan.user.c_str(), plan.secret.c_str());
    case Kind::ssh_key:
      return git_credential_ssh_key_new(out, plan.user.c_str(), nullptr, plan.key_file.c_str(),
                                        plan.secret.empty() ? nullptr : plan.secret.c_str());
    case Kind::ssh_agent:
      return git_credential_ssh_key_from_agent(out, plan.user.c_str());
    default:
      return GIT_PASSTHROUGH;
  }
}

int on_transfer(const git_indexer_progress* stats, void* payload) {
  auto& state = *static_cast<CallbackState*>(payload);
  state.progress.received_bytes = stats->received_bytes;
  state.progress.received_objects = stats->received_objects;
  state.progress.indexed_objects = stats->indexed_objects;
  state.progress.total_objects = stats->total_objects;
  state.progress.indexed_deltas = stats->indexed_deltas;
  state.progress.total_deltas = stats->total_deltas;
  state.observer->progress(state.progress);
  if (state.observer->cancelled()) {
    state.cancelled = true;
    return -1;  // libgit2 stops the transfer
  }
  return 0;
}

int on_sideband(const char*, int, void* payload) {
  auto& state = *static_cast<CallbackState*>(payload);
  if (state.observer->cancelled()) {
    state.cancelled = true;
    return -1;
  }
  return 0;
}

bool mentions(std::string_view text, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return text.find(n) != std::string_view::npos; });
}

FetchFailure failure(const GitUrl& url, const CallbackState& state, int rc) {
  const git_error* e = git_error_last();
  const std::string detail = redact_credentials(e && e->message ? e->message : "unknown error");
  const int klass = e ? e->klass : GIT_ERROR_NONE;
  const std::string& where = url.text;
  if (state.cancelled || state.observer->cancelled()) {
    return {Error{Errc::interrupted, fmt::format("interrupted while fetching {}", where),
                  "nothing was written; run the command again"}};
  }
  if (state.auth == CallbackState::Auth::missing) {
    return {Error{Errc::auth, fmt::format("{} asks for credentials, and none are set", where),
                  missing_credentials_hint(url)}};
  }
  if (state.auth == CallbackState::Auth::rejected) {
    const bool ssh = url.transport == GitUrl::Transport::ssh;
    return {Error{
        Errc::auth,
        fmt::format("{} refused the credentials from {}", where, state.credential_source),
        ssh ? fmt::format("check that the key from {} is authorized for the repository",
                          state.credential_source)
            : fmt::format(
                  "check that {} holds a valid token that may read the repository (TASK_GIT_USER "
                  "sets the user name sent with it, default x-access-token)",
                  state.credential_source)}};
  }
  if (rc == GIT_EAUTH ||
      mentions(detail, {"status code: 401", "authentication", "Permission denied (publickey"})) {
    return {Error{Errc::auth, fmt::format("{} refused access: {}", where, detail),
                  missing_credentials_hint(url)}};
  }
  if (mentions(detail, {"status code: 403"})) {
    return {
        Error{Errc::auth, fmt::format("{} refused access (HTTP 403)", where),
              "check that the token may read this repository; " + missing_credentials_hint(url)}};
  }
  if (mentions(detail,
               {"status code: 404", "not exported", "does not appear to be a git repository",
                "could not find repository", "failed to resolve path", "Repository not found",
                "repository not found"})) {
    return {Error{Errc::not_found, fmt::format("there is no Git repository at {}", where),
                  "check the URL (`git ls-remote URL` tries it)"}};
  }
  if (mentions(detail, {"failed to connect", "failed to resolve address", "Connection refused",
                        "timed out", "Network is unreachable", "No route to host"}) ||
      klass == GIT_ERROR_NET || klass == GIT_ERROR_SSL || klass == GIT_ERROR_HTTP ||
      klass == GIT_ERROR_SSH) {
    return {Error{Errc::git, fmt::format("cannot reach {}: {}", where, detail),
                  "check the URL, and that the host is up and reachable from here"}};
  }
  bool suspect = klass == GIT_ERROR_ODB || klass == GIT_ERROR_OBJECT ||
                 klass == GIT_ERROR_REFERENCE || klass == GIT_ERROR_INDEXER ||
                 klass == GIT_ERROR_REPOSITORY || klass == GIT_ERROR_ZLIB ||
                 klass == GIT_ERROR_FILESYSTEM;
  return {Error{Errc::git, fmt::format("cannot fetch {}: {}", where, detail),
                "check the URL and try again"},
          suspect};
}

std::unexpected<FetchFailure> refuse(Errc code, std::string message, std::string hint) {
  return std::unexpected(FetchFailure{Error{code, std::move(message), std::move(hint)}, false});
}

}  // namespace

std::expected<FetchedBranch, FetchFailure> fetch_into(git_repository* repo, const GitUrl& url,
                                                      const std::string& branch,
                                                      const GitAccess& access,
                                                      const FetchObserver& observer) {
  CallbackState state;
  state.url = &url;
  state.access = &access;
  state.observer = &observer;
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  callbacks.credentials = on_credentials;
  callbacks.transfer_progress = on_transfer;
  callbacks.sideband_progress = on_sideband;
  callbacks.payload = &state;
  git_proxy_options proxy = GIT_PROXY_OPTIONS_INIT;
  proxy.type = GIT_PROXY_AUTO;

  git_remote* raw_remote = nullptr;
  if (git_remote_lookup(&raw_remote, repo, "origin") != 0) {
    return std::unexpected(
        FetchFailure{last_error("the cached clone has no `origin` remote"), true});
  }
  Remote remote(raw_remote);
  if (int rc = git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, &proxy, nullptr);
      rc != 0) {
    return std::unexpected(failure(url, state, rc));
  }

  // The advertisement names every branch: check the one asked for before downloading.
  const git_remote_head** heads = nullptr;
  std::size_t count = 0;
  if (int rc = git_remote_ls(&heads, &count, remote.get()); rc != 0)
    return std::unexpected(failure(url, state, rc));
  std::vector<std::string> branches;
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view name = heads[i]->name;
    if (name.starts_with("refs/heads/")) branches.emplace_back(name.substr(11));
  }
  if (branches.empty()) {
    return refuse(Errc::not_found,
                  fmt::format("{} has no branches: the repository is empty", url.text),
                  "push a commit to it first");
  }
  FetchedBranch out;
  out.branch = branch;
  if (out.branch.empty()) {
    git_buf buf = GIT_BUF_INIT;
    if (git_remote_default_branch(&buf, remote.get()) == 0 &&
        std::string_view(buf.ptr).starts_with("refs/heads/")) {
      out.branch = std::string(buf.ptr + 11);
    }
    git_buf_dispose(&buf);
    if (out.branch.empty() && branches.size() == 1) out.branch = branches.front();
    if (out.branch.empty()) {
      return refuse(Errc::not_found, fmt::format("{} names no default branch", url.text),
                    fmt::format("choose one with --branch: {}", join(branches, ", ")));
    }
    out.default_branch = true;
  }
  if (std::find(branches.begin(), branches.end(), out.branch) == branches.end()) {
    std::sort(branches.begin(), branches.end());
    std::string hint = fmt::format("its branches: {}", join(branches, ", "));
    if (auto near = closest_match(out.branch, branches); !near.empty())
      hint = fmt::format("did you mean `{}`? ", near) + hint;
    return refuse(Errc::not_found, fmt::format("{} has no branch `{}`", url.text, out.branch),
                  hint);
  }

  std::string refspec = fmt::format("+refs/heads/{0}:refs/heads/{0}", out.branch);
  char* specs[] = {refspec.data()};
  git_strarray refspecs{specs, 1};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = callbacks;
  options.proxy_opts = proxy;
  options.prune = GIT_FETCH_NO_PRUNE;
  options.update_fetchhead = 0;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  if (int rc = git_remote_download(remote.get(), &refspecs, &options); rc != 0)
    return std::unexpected(failure(url, state, rc));
  if (observer.cancelled()) {
    state.cancelled = true;
    return std::unexpected(failure(url, state, GIT_EUSER));
  }
  if (int rc = git_remote_update_tips(remote.get(), &callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE,
                                      "task: fetch");
      rc != 0) {
    return std::unexpected(failure(url, state, rc));
  }
  const std::string ref = "refs/heads/" + out.branch;
  if (git_reference_name_to_id(&out.head, repo, ref.c_str()) != 0) {
    return std::unexpected(FetchFailure{
        last_error(fmt::format("the fetched branch `{}` is missing from the cache", out.branch)),
        true});
  }
  // A fetch that found nothing new trusts the clone's objects: make sure the head is there.
  git_commit* head = nullptr;
  if (git_commit_lookup(&head, repo, &out.head) != 0) {
    return std::unexpected(FetchFailure{
        last_error(fmt::format("the cached head of `{}` cannot be read", out.branch)), true});
  }
  git_commit_free(head);
  return out;
}

}  // namespace task::git
