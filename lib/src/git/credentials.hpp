#pragma once
// Which credentials task offers a Git host that asks for them. Decided from the
// environment alone, so it is testable without a server; secrets stay in memory.
#include <string>

#include "task/connect.hpp"

namespace task::git {

struct CredentialPlan {
  enum class Kind { none, token, ssh_key, ssh_agent, username };
  Kind kind = Kind::none;
  std::string user;
  std::string secret;    // the token, or the key's passphrase; never printed
  std::string key_file;  // ssh_key: the private key
  std::string source;    // where it came from, for messages: "TASK_GIT_TOKEN", "the SSH agent"
};

// `allowed` is libgit2's GIT_CREDENTIAL_* mask; `user_from_url` may be null.
CredentialPlan plan_credentials(const GitUrl& url, const char* user_from_url, unsigned allowed,
                                const Environment& env);

// What to set when a host asks for credentials and none are there.
std::string missing_credentials_hint(const GitUrl& url);

}  // namespace task::git
