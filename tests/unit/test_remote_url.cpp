#include <doctest/doctest.h>
#include <git2.h>

#include "git/credentials.hpp"
#include "task/connect.hpp"

namespace {

task::GitUrl parse(std::string_view text) {
  auto url = task::parse_git_url(text, "/work/here");
  REQUIRE_MESSAGE(url.has_value(), url.error().message);
  return *url;
}

task::Error reject(std::string_view text) {
  auto url = task::parse_git_url(text, "/work/here");
  REQUIRE_FALSE(url.has_value());
  return url.error();
}

}  // namespace

TEST_CASE("URLs of every transport are parsed and normalized") {
  using T = task::GitUrl::Transport;
  auto https = parse("HTTPS://GitHub.com:443/Acme/Ops.git/");
  CHECK(https.transport == T::https);
  CHECK(https.host == "github.com");
  CHECK(https.port == "");
  CHECK(https.path == "/Acme/Ops.git");
  CHECK(https.text == "https://github.com/Acme/Ops.git");

  CHECK(parse("http://127.0.0.1:8080/repo.git").text == "http://127.0.0.1:8080/repo.git");
  CHECK(parse("git://127.0.0.1:9418/ops.git").text == "git://127.0.0.1/ops.git");
  CHECK(parse("ssh://git@example.org:2222/acme/ops.git").text ==
        "ssh://git@example.org:2222/acme/ops.git");
  CHECK(parse("git+ssh://example.org/ops").transport == T::ssh);
  CHECK(parse("http://[::1]:8080/ops.git").host == "[::1]");

  auto scp = parse("git@github.com:acme/ops.git");
  CHECK(scp.transport == T::ssh);
  CHECK(scp.user == "git");
  CHECK(scp.host == "github.com");
  CHECK(scp.path == "acme/ops.git");
  CHECK(scp.text == "git@github.com:acme/ops.git");

  CHECK(parse("file:///srv/git/ops.git").text == "file:///srv/git/ops.git");
  CHECK(parse("file://localhost/srv/ops").path == "/srv/ops");
  auto local = parse("../repos/ops/");
  CHECK(local.transport == T::file);
  CHECK(local.text == "/work/repos/ops");
  CHECK(parse("/abs/./x").text == "/abs/x");
}

TEST_CASE("credentials never survive parsing, and a password is refused without being echoed") {
  auto user_only = parse("https://ghp_secret123@github.com/acme/ops.git");
  CHECK(user_only.text == "https://github.com/acme/ops.git");
  CHECK(user_only.user.empty());

  auto err = reject("https://x-access-token:ghp_secret123@github.com/acme/ops.git");
  CHECK(err.code == task::Errc::invalid_input);
  CHECK(err.message.find("ghp_secret123") == std::string::npos);
  CHECK(err.message.find("https://***@github.com/acme/ops.git") != std::string::npos);
  CHECK(err.hint.find("TASK_GIT_TOKEN") != std::string::npos);

  auto ssh = reject("ssh://git:hunter2@example.org/ops.git");
  CHECK(ssh.message.find("hunter2") == std::string::npos);
  CHECK(ssh.hint.find("TASK_GIT_SSH_KEY") != std::string::npos);
  CHECK(reject("user:hunter2@example.org:ops.git").message.find("hunter2") == std::string::npos);

  auto query = reject("https://example.org/ops.git?private_token=abc");
  CHECK(query.code == task::Errc::invalid_input);
}

TEST_CASE("malformed URLs are invalid input that says why") {
  CHECK(reject("").message.find("empty") != std::string::npos);
  CHECK(reject("ftp://example.org/x.git").message.find("`ftp://`") != std::string::npos);
  CHECK(reject("https://example.org").message.find("names no repository") != std::string::npos);
  CHECK(reject("https:///ops.git").message.find("no host") != std::string::npos);
  CHECK(reject("https://example.org:99999/x.git").message.find("port") != std::string::npos);
  CHECK(reject("file://relative/x").message.find("absolute") != std::string::npos);
  CHECK(reject("https://exa mple.org/x").message.find("space") != std::string::npos);
}

TEST_CASE("redaction hides the user information of every URL in a text") {
  CHECK(task::redact_credentials("fetching https://u:p@host/x.git failed") ==
        "fetching https://***@host/x.git failed");
  CHECK(task::redact_credentials("a http://tok@h:1/x and git://h/y") ==
        "a http://***@h:1/x and git://h/y");
  CHECK(task::redact_credentials("no url here") == "no url here");
  CHECK(task::redact_credentials("'https://a:b@c'") == "'https://***@c'");
}

TEST_CASE("paths inside a repository are normalized, and may not leave it") {
  CHECK(*task::normalize_repo_path("./a//b/", "--path") == "a/b");
  CHECK(*task::normalize_repo_path("", "--path") == "");
  CHECK(*task::normalize_repo_path(".", "--path") == "");
  auto up = task::normalize_repo_path("a/../../b", "--path");
  REQUIRE_FALSE(up.has_value());
  CHECK(up.error().message == "--path `a/../../b` leaves the repository");
  CHECK_FALSE(task::normalize_repo_path("/etc", "--path").has_value());
}

TEST_CASE("task names come from the path or the repository, as DNS-1123 labels") {
  CHECK(task::derive_task_name(parse("https://github.com/acme/Ops_Tasks.git"), "") == "ops-tasks");
  CHECK(task::derive_task_name(parse("https://github.com/acme/ops.git"), "services/Health Check") ==
        "health-check");
  CHECK(task::derive_task_name(parse("/srv/my.repo/.git"), "") == "my-repo");
  CHECK(task::derive_task_name(parse("git@h:x/___.git"), "") == "");
}

TEST_CASE("cache keys are readable, stable and tell URLs apart") {
  auto a = task::cache_key(parse("https://github.com/acme/ops.git"));
  CHECK(a.starts_with("github.com-ops-"));
  CHECK(a.size() == std::string("github.com-ops-").size() + 16);
  CHECK(a == task::cache_key(parse("https://GITHUB.com/acme/ops.git/")));
  CHECK(a != task::cache_key(parse("https://github.com/other/ops.git")));
  CHECK(task::cache_key(parse("/srv/ops")).starts_with("local-ops-"));
}

TEST_CASE("credentials offered to a host come from the environment, by transport") {
  using Kind = task::git::CredentialPlan::Kind;
  task::Environment env{{"TASK_GIT_TOKEN", "t0k"}, {"GITHUB_TOKEN", "gh"}};
  auto https = parse("https://git.example.org/x.git");
  auto plan = task::git::plan_credentials(https, nullptr, GIT_CREDENTIAL_USERPASS_PLAINTEXT, env);
  CHECK(plan.kind == Kind::token);
  CHECK(plan.user == "x-access-token");
  CHECK(plan.secret == "t0k");
  CHECK(plan.source == "TASK_GIT_TOKEN");

  task::Environment github_only{{"GITHUB_TOKEN", "gh"}, {"TASK_GIT_USER", "me"}};
  auto gh = task::git::plan_credentials(parse("https://github.com/a/b.git"), nullptr,
                                        GIT_CREDENTIAL_USERPASS_PLAINTEXT, github_only);
  CHECK(gh.kind == Kind::token);
  CHECK(gh.source == "GITHUB_TOKEN");
  CHECK(gh.user == "me");
  // GITHUB_TOKEN is never sent to another host.
  CHECK(task::git::plan_credentials(https, nullptr, GIT_CREDENTIAL_USERPASS_PLAINTEXT, github_only)
            .kind == Kind::none);

  auto ssh = parse("git@example.org:a/b.git");
  CHECK(
      task::git::plan_credentials(ssh, "git", GIT_CREDENTIAL_SSH_KEY, {{"TASK_GIT_SSH_KEY", "/k"}})
          .kind == Kind::ssh_key);
  CHECK(task::git::plan_credentials(ssh, "git", GIT_CREDENTIAL_SSH_KEY, {{"SSH_AUTH_SOCK", "/s"}})
            .kind == Kind::ssh_agent);
  CHECK(task::git::plan_credentials(ssh, "git", GIT_CREDENTIAL_SSH_KEY, {}).kind == Kind::none);
  CHECK(task::git::plan_credentials(ssh, nullptr, GIT_CREDENTIAL_USERNAME, {}).user == "git");
  // Tokens are for HTTP(S) only.
  CHECK(task::git::plan_credentials(parse("git://h/x"), nullptr, GIT_CREDENTIAL_USERPASS_PLAINTEXT,
                                    env)
            .kind == Kind::none);
}
