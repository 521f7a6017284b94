#include "git/credentials.hpp"

#include <git2.h>

namespace task::git {

namespace {

std::string lookup(const Environment& env, std::string_view key) {
  auto it = env.find(key);
  return it == env.end() ? std::string{} : it->second;
}

bool is_ssh(const GitUrl& url) { return url.transport == GitUrl::Transport::ssh; }

}  // namespace

CredentialPlan plan_credentials(const GitUrl& url, const char* user_from_url, unsigned allowed,
                                const Environment& env) {
  CredentialPlan plan;
  if (is_ssh(url)) {
    plan.user =
        user_from_url && *user_from_url ? user_from_url : (url.user.empty() ? "git" : url.user);
    if (allowed & GIT_CREDENTIAL_SSH_KEY) {
      if (auto key = lookup(env, "TASK_GIT_SSH_KEY"); !key.empty()) {
        plan.kind = CredentialPlan::Kind::ssh_key;
        plan.key_file = key;
        plan.secret = lookup(env, "TASK_GIT_SSH_PASSPHRASE");
        plan.source = "TASK_GIT_SSH_KEY";
      } else if (!lookup(env, "SSH_AUTH_SOCK").empty()) {
        plan.kind = CredentialPlan::Kind::ssh_agent;
        plan.source = "the SSH agent";
      }
      return plan;
    }
    if (allowed & GIT_CREDENTIAL_USERNAME) plan.kind = CredentialPlan::Kind::username;
    return plan;
  }
  if (url.transport != GitUrl::Transport::https && url.transport != GitUrl::Transport::http)
    return plan;
  if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) return plan;
  if (auto token = lookup(env, "TASK_GIT_TOKEN"); !token.empty()) {
    plan.source = "TASK_GIT_TOKEN";
    plan.secret = token;
  } else if (auto github = lookup(env, "GITHUB_TOKEN");
             !github.empty() && url.host == "github.com") {
    plan.source = "GITHUB_TOKEN";
    plan.secret = github;
  } else {
    return plan;
  }
  plan.kind = CredentialPlan::Kind::token;
  auto user = lookup(env, "TASK_GIT_USER");
  plan.user = user.empty() ? "x-access-token" : user;
  return plan;
}

std::string missing_credentials_hint(const GitUrl& url) {
  if (is_ssh(url)) {
    return "load a key that the host accepts into the SSH agent (`ssh-add`), or set "
           "TASK_GIT_SSH_KEY to its "
           "private key file (and TASK_GIT_SSH_PASSPHRASE if it has one)";
  }
  std::string hint = "set TASK_GIT_TOKEN to a token that can read the repository";
  if (url.host == "github.com") hint += " (or GITHUB_TOKEN)";
  return hint + "; TASK_GIT_USER sets the user name sent with it (default x-access-token)";
}

}  // namespace task::git
