// Kubeconfig: every credential form, merging of several files, and errors with file, line
// and column.
#include <doctest/doctest.h>

#include <fstream>

#include "platform/kubernetes/api.hpp"
#include "platform/kubernetes/kubeconfig.hpp"
#include "../state_dir.hpp"

using task::kube::KubeconfigText;
using task::kube::resolve_context;

namespace {

const char* const two_users = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    tls-server-name: kubernetes
- name: prod-cluster
  cluster:
    server: https://127.0.0.1:7443/
    certificate-authority: certs/ca.pem
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: s3cr3t-token
- name: file-user
  user:
    tokenFile: token.txt
- name: cert-files
  user:
    client-certificate: pki/client.crt
    client-key: /abs/client.key
- name: cert-data
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--cluster, prod]
      env:
      - name: REGION
        value: eu
contexts:
- name: dev
  context: {cluster: dev-cluster, user: admin, namespace: tasks}
- name: prod
  context: {cluster: prod-cluster, user: file-user}
- name: prod-cert
  context: {cluster: prod-cluster, user: cert-files}
- name: prod-data
  context: {cluster: prod-cluster, user: cert-data}
- name: prod-exec
  context: {cluster: prod-cluster, user: plugin}
)";

std::vector<KubeconfigText> one(const std::string& text, const std::string& path = "/home/u/.kube/config") {
  return {KubeconfigText{path, text}};
}

}  // namespace

TEST_CASE("kubeconfig: a context resolves to its server, authority, namespace and credentials") {
  auto dev = resolve_context(one(two_users), "");
  REQUIRE(dev.has_value());
  CHECK(dev->context == "dev");
  CHECK(dev->server == "https://127.0.0.1:6443");
  CHECK(dev->ca_pem == "-----BEGIN CERTIFICATE-----\n");
  CHECK(dev->tls_server_name == "kubernetes");
  CHECK(dev->namespace_ == "tasks");
  CHECK(dev->token == "s3cr3t-token");
  CHECK_FALSE(dev->insecure);

  auto prod = resolve_context(one(two_users), "prod");
  REQUIRE(prod.has_value());
  CHECK(prod->ca_file == "/home/u/.kube/certs/ca.pem");  // relative to the file
  CHECK(prod->insecure);
  CHECK(prod->token_file == "/home/u/.kube/token.txt");
  CHECK(prod->namespace_.empty());

  auto files = resolve_context(one(two_users), "prod-cert");
  REQUIRE(files.has_value());
  CHECK(files->cert_file == "/home/u/.kube/pki/client.crt");
  CHECK(files->key_file == "/abs/client.key");

  auto data = resolve_context(one(two_users), "prod-data");
  REQUIRE(data.has_value());
  CHECK(data->cert_pem == "CERT");
  CHECK(data->key_pem == "KEY");

  auto exec = resolve_context(one(two_users), "prod-exec");
  REQUIRE(exec.has_value());
  REQUIRE(exec->exec.has_value());
  CHECK(exec->exec->command == "./bin/get-token");
  CHECK(exec->exec->args == std::vector<std::string>{"--cluster", "prod"});
  CHECK(exec->exec->env == std::vector<std::pair<std::string, std::string>>{{"REGION", "eu"}});
  CHECK(exec->exec->api_version == "client.authentication.k8s.io/v1");
  CHECK(exec->exec->dir == "/home/u/.kube");
}

TEST_CASE("kubeconfig: several files merge as kubectl merges them") {
  const std::string first = R"(current-context: mine
users:
- name: admin
  user: {token: first-token}
contexts:
- name: mine
  context: {cluster: shared, user: admin}
)";
  const std::string second = R"(current-context: theirs
clusters:
- name: shared
  cluster: {server: "https://second:6443"}
users:
- name: admin
  user: {token: second-token}
contexts:
- name: theirs
  context: {cluster: shared, user: admin}
)";
  auto merged = resolve_context({{"/a/config", first}, {"/b/config", second}}, "");
  REQUIRE(merged.has_value());
  CHECK(merged->context == "mine");          // the first current-context wins
  CHECK(merged->token == "first-token");     // and the first definition of a name
  CHECK(merged->server == "https://second:6443");
  CHECK(merged->origin == "/a/config");

  task::Environment env{{"KUBECONFIG", "/a/config:/b/config::/a/config"}, {"HOME", "/home/u"}};
  CHECK(task::kube::kubeconfig_files("", env) == std::vector<std::filesystem::path>{"/a/config", "/b/config"});
  CHECK(task::kube::kubeconfig_files("/x/kc", env) == std::vector<std::filesystem::path>{"/x/kc"});
  CHECK(task::kube::kubeconfig_files("", {{"HOME", "/home/u"}}) == std::vector<std::filesystem::path>{"/home/u/.kube/config"});
}

TEST_CASE("kubeconfig: bad files are refused with file, line and column; no credential is quoted") {
  auto bad_yaml = resolve_context(one("clusters: [\n  {name: a\n", "/k/config"), "");
  REQUIRE_FALSE(bad_yaml.has_value());
  CHECK(bad_yaml.error().code == task::Errc::invalid_input);
  CHECK(bad_yaml.error().message.starts_with("/k/config:"));

  auto not_list = resolve_context(one("current-context: a\nclusters:\n  name: x\n", "/k/config"), "");
  REQUIRE_FALSE(not_list.has_value());
  CHECK(not_list.error().message == "/k/config:3:3: `clusters` must be a list");

  auto missing = resolve_context(one(two_users), "staging");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == task::Errc::not_found);
  CHECK(missing.error().message == "the kubeconfig has no context `staging`");
  CHECK(missing.error().hint == "there are: dev, prod, prod-cert, prod-data, prod-exec; choose one with --context");

  const std::string half_cert = R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k"}}]
users:
- name: u
  user:
    client-certificate-data: Q0VSVA==
contexts: [{name: c, context: {cluster: k, user: u}}]
)";
  auto half = resolve_context(one(half_cert, "/k/config"), "");
  REQUIRE_FALSE(half.has_value());
  CHECK(half.error().message == "/k/config:6:5: a client certificate needs its key, and a key its certificate");

  const std::string provider = R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k"}}]
users:
- name: u
  user:
    auth-provider: {name: gcp}
contexts: [{name: c, context: {cluster: k, user: u}}]
)";
  auto legacy = resolve_context(one(provider, "/k/config"), "");
  REQUIRE_FALSE(legacy.has_value());
  CHECK(legacy.error().message == "/k/config:6:5: `auth-provider` plugins are not supported");

  const std::string bad_data = R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k", certificate-authority-data: "not base64!"}}]
users: [{name: u, user: {token: hunter22}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)";
  auto b64 = resolve_context(one(bad_data, "/k/config"), "");
  REQUIRE_FALSE(b64.has_value());
  CHECK(b64.error().message == "/k/config:2:81: `certificate-authority-data` is not base64");

  const std::string no_cluster = R"(current-context: c
users: [{name: u, user: {token: hunter22}}]
contexts: [{name: c, context: {cluster: gone, user: u}}]
)";
  auto dangling = resolve_context(one(no_cluster, "/k/config"), "");
  REQUIRE_FALSE(dangling.has_value());
  CHECK(dangling.error().message == "/k/config:3:31: context `c` names cluster `gone`, which no kubeconfig file defines");
  CHECK(dangling.error().message.find("hunter22") == std::string::npos);

  auto bodiless = resolve_context(one("current-context: c\nclusters:\n- name: k\ncontexts: [{name: c, context: {cluster: k}}]\n", "/k/config"), "");
  REQUIRE_FALSE(bodiless.has_value());
  CHECK(bodiless.error().message == "/k/config:3:3: the cluster has no `cluster` mapping");

  auto proxy = resolve_context(one("current-context: c\nclusters: [{name: k, cluster: {server: \"https://k\", proxy-url: \"http://p\"}}]\n"
                                   "contexts: [{name: c, context: {cluster: k}}]\n", "/k/config"), "");
  REQUIRE_FALSE(proxy.has_value());
  CHECK(proxy.error().message.find("`proxy-url` is not supported") != std::string::npos);
}

TEST_CASE("kubeconfig: an exec plugin is run with its arguments and environment, and its token read") {
  StateDir state("task-kube");
  const auto dir = state.path.parent_path();
  const auto script = dir / "get-token";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\n"
           "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 5 ;; esac\n"
           "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
           "\"status\":{\"token\":\"tok-%s-%s\"}}' \"$2\" \"$REGION\"\n";
  }
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  task::kube::ExecPlugin plugin{"./get-token", {"--cluster", "prod"}, {{"REGION", "eu"}}, "", dir};
  auto c = task::kube::run_exec_plugin(plugin, {{"PATH", "/usr/bin:/bin"}});
  REQUIRE(c.has_value());
  CHECK(c->token == "tok-prod-eu");

  const auto failing = dir / "fails";
  {
    std::ofstream out(failing);
    out << "#!/bin/sh\necho 'login first' >&2\nexit 3\n";
  }
  std::filesystem::permissions(failing, std::filesystem::perms::owner_all);
  auto refused = task::kube::run_exec_plugin({failing.string(), {}, {}, "", dir}, {});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == task::Errc::auth);
  CHECK(refused.error().message.find("exit status 3") != std::string::npos);

  auto absent = task::kube::run_exec_plugin({"no-such-plugin-anywhere", {}, {}, "", dir}, {});
  REQUIRE_FALSE(absent.has_value());
  CHECK(absent.error().code == task::Errc::auth);
}

TEST_CASE("API status bodies name the field the server refused") {
  auto s = task::kube::parse_status(422, R"({"kind":"Status","status":"Failure","message":"CronJob.batch \"x\" is invalid: spec.schedule: Invalid value: \"bad\"","reason":"Invalid","details":{"name":"x","group":"batch","kind":"CronJob","causes":[{"reason":"FieldValueInvalid","message":"Invalid value","field":"spec.schedule"}]},"code":422})");
  CHECK(s.reason == "Invalid");
  CHECK(s.kind == "CronJob");
  CHECK(s.field == "spec.schedule");
  auto ns = task::kube::parse_status(404, R"({"kind":"Status","message":"namespaces \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"namespaces"},"code":404})");
  CHECK(ns.kind == "namespaces");
}
