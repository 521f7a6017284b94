#include "platform/kubernetes/api.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "docker/encoding.hpp"
#include "http/transport.hpp"
#include "task/text.hpp"

extern char** environ;

namespace task::kube {

namespace fs = std::filesystem;

namespace {

std::string trim_copy(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<std::string> read_token_file(const ClusterAccess& access) {
  std::ifstream in(access.token_file);
  if (!in) {
    return fail(Errc::auth, fmt::format("cannot read the token file {} of context {}", access.token_file.string(), access.context));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return trim_copy(text.str());
}

// What a request was about, read back from its path, for messages:
// /apis/batch/v1beta1/namespaces/ns/cronjobs/name → cronjobs in namespace ns.
struct About {
  std::string resource, ns, name;
};
About about(std::string_view path) {
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  std::vector<std::string> parts;
  for (std::size_t at = 0; at < path.size();) {
    auto slash = path.find('/', at);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > at) parts.emplace_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  About a;
  std::size_t i = 0;
  if (i < parts.size() && parts[i] == "api") i += 2;        // api/v1
  else if (i < parts.size() && parts[i] == "apis") i += 3;  // apis/group/version
  if (i + 1 < parts.size() && parts[i] == "namespaces") {
    a.ns = parts[i + 1];
    i += 2;
  }
  if (i < parts.size()) a.resource = parts[i++];
  if (i < parts.size()) a.name = parts[i++];
  if (i < parts.size()) a.resource += "/" + parts[i];  // a subresource: pods/log
  return a;
}

std::string verb_of(const std::string& method, const About& a) {
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return a.name.empty() ? "list" : "get";
}

}  // namespace

StatusError parse_status(long code, std::string_view body) {
  StatusError e;
  e.code = code;
  auto j = Json::parse(body, nullptr, false);
  if (j.is_object()) {
    e.reason = j.value("reason", "");
    e.message = j.value("message", "");
    if (auto d = j.find("details"); d != j.end() && d->is_object()) {
      e.kind = d->value("kind", "");
      if (auto causes = d->find("causes"); causes != d->end() && causes->is_array() && !causes->empty()) {
        e.field = (*causes)[0].value("field", "");
      }
    }
  }
  if (e.message.empty()) e.message = std::string(body.substr(0, 200));
  return e;
}

Result<ExecCredential> run_exec_plugin(const ExecPlugin& plugin, const Environment& env) {
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) {
    if (k != "KUBERNETES_EXEC_INFO") env_strings.push_back(k + "=" + v);
  }
  for (const auto& [k, v] : plugin.env) env_strings.push_back(k + "=" + v);
  const std::string api_version = plugin.api_version.empty() ? "client.authentication.k8s.io/v1beta1" : plugin.api_version;
  Json info = {{"apiVersion", api_version}, {"kind", "ExecCredential"},
               {"spec", {{"interactive", isatty(STDIN_FILENO) == 1}}}};
  env_strings.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::string command = plugin.command;
  // A command with a slash but relative is relative to the kubeconfig's directory.
  if (command.find('/') != std::string::npos && fs::path(command).is_relative()) command = (plugin.dir / command).string();
  std::vector<std::string> argv_strings{command};
  argv_strings.insert(argv_strings.end(), plugin.args.begin(), plugin.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return fail(Errc::failure, "cannot make a pipe for the credential plugin");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    return fail(Errc::auth, fmt::format("cannot run the kubeconfig's credential plugin `{}`: {}", plugin.command, std::strerror(spawned)),
                "install it, or put it on PATH");
  }
  std::string output;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(out[0], buffer, sizeof buffer);
    if (n > 0) {
      if (output.size() < (1 << 20)) output.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(Errc::auth, fmt::format("the kubeconfig's credential plugin `{}` failed ({})", plugin.command,
                                        WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status)) : "killed"),
                "run it yourself to see why, or log in again with your cloud's tool");
  }
  auto j = Json::parse(output, nullptr, false);
  const Json* s = j.is_object() && j.contains("status") && j["status"].is_object() ? &j["status"] : nullptr;
  if (!s) {
    return fail(Errc::auth, fmt::format("the kubeconfig's credential plugin `{}` printed no ExecCredential", plugin.command));
  }
  ExecCredential c;
  c.token = s->value("token", "");
  c.cert_pem = s->value("clientCertificateData", "");
  c.key_pem = s->value("clientKeyData", "");
  if (c.token.empty() && (c.cert_pem.empty() || c.key_pem.empty())) {
    return fail(Errc::auth, fmt::format("the kubeconfig's credential plugin `{}` gave neither a token nor a certificate", plugin.command));
  }
  return c;
}

struct Api::Impl {
  ClusterAccess access;
  http::Transport transport;
  std::string authorization;  // the header line, never printed
  Environment env;            // for the credential plugin, run again when its token expires
  bool refreshed = false;
  std::string host_header;    // with tls-server-name: the server's own host

  // A token that expires (a token file rewritten by its owner, a plugin's short-lived
  // token) is fetched again once when the server answers 401, as client-go does.
  bool refresh() {
    if (refreshed || !access.token.empty() || (access.token_file.empty() && !access.exec)) return false;
    refreshed = true;
    std::string token;
    if (!access.token_file.empty()) {
      auto read = read_token_file(access);
      if (!read) return false;
      token = *read;
    } else {
      auto c = run_exec_plugin(*access.exec, env);
      if (!c || c->token.empty()) return false;
      token = c->token;
    }
    authorization = "Authorization: Bearer " + token;
    return true;
  }

  Error transfer_error(const http::Failure& f) const {
    const std::string where = fmt::format("the API server {} (context {})", access.server, access.context);
    switch (f.kind) {
      case http::Failure::connect:
        return {Errc::platform, fmt::format("cannot reach {}: {}", where, f.detail),
                "is the cluster running and the kubeconfig's server right? `task doctor` checks"};
      case http::Failure::tls:
        return {Errc::platform, fmt::format("TLS with {} failed: {}", where, f.detail),
                "check the cluster's certificate-authority in the kubeconfig"};
      case http::Failure::cancelled: return {Errc::interrupted, "interrupted", {}};
      default: return {Errc::platform, fmt::format("talking to {} failed: {}", where, f.detail), {}};
    }
  }

  Error status_error(const std::string& method, const std::string& path, const http::Response& r) const {
    const auto s = parse_status(r.status, r.body);
    const auto a = about(path);
    const std::string ns = a.ns.empty() ? std::string() : fmt::format(" in namespace {}", a.ns);
    if (r.status == 401) {
      return {Errc::auth, fmt::format("the API server {} refused the credentials of context {} (401 Unauthorized)", access.server, access.context),
              "log in again, or check the user of this context in the kubeconfig"};
    }
    if (r.status == 403) {
      // The server's message names the verb it refused ("cannot create resource …"): a
      // server-side apply is checked as patch, and as create for a new object.
      std::string verb = verb_of(method, a);
      if (auto at = s.message.find("cannot "); at != std::string::npos) {
        const auto end = s.message.find(' ', at + 7);
        if (end != std::string::npos && end > at + 7) verb = s.message.substr(at + 7, end - at - 7);
      }
      return {Errc::auth,
              fmt::format("the credentials of context {} may not {} {}{} (403 Forbidden: {})", access.context, verb,
                          a.resource, ns, s.message),
              fmt::format("ask the cluster's administrator for a Role that allows `{}` on {}; `task doctor` lists every right needed",
                          verb, a.resource)};
    }
    if (r.status == 404 && (s.kind == "namespaces" || s.message.starts_with("namespaces "))) {
      return {Errc::not_found, fmt::format("namespace {} does not exist on {}", a.ns, access.server),
              "create it with `task env set ENV --create-namespace`, or name another with --namespace"};
    }
    if (r.status == 404) {
      return {Errc::not_found, fmt::format("{} {} not found on {}{}", a.resource, a.name, access.server, ns), {}};
    }
    if (r.status == 409) return {Errc::conflict, fmt::format("the API server refused: {}", s.message), "try again"};
    if (r.status == 422 || r.status == 400) {
      return {Errc::invalid_input,
              s.field.empty() ? fmt::format("the API server refused {} {}: {}", a.resource, a.name, s.message)
                              : fmt::format("the API server refused field {} of {} {}: {}", s.field, a.resource, a.name, s.message),
              {}};
    }
    return {Errc::platform, fmt::format("the API server {} answered {} to {} {}: {}", access.server, r.status, method, a.resource, s.message), {}};
  }

  Result<http::Response> call(const std::string& method, const std::string& path, std::string body,
                              const std::string& content_type) {
    http::Call c;
    c.method = method;
    c.target = path;
    c.body = std::move(body);
    c.headers.push_back("Accept: application/json");
    if (!host_header.empty()) c.headers.push_back(host_header);
    if (!content_type.empty()) c.headers.push_back("Content-Type: " + content_type);
    if (!authorization.empty()) c.headers.push_back(authorization);
    c.timeout_ms = 60000;
    auto r = transport.perform(c);
    if (!r) return std::unexpected(transfer_error(r.error()));
    if (r->status == 401 && refresh()) {
      std::erase_if(c.headers, [](const std::string& h) { return h.starts_with("Authorization:"); });
      c.headers.push_back(authorization);
      r = transport.perform(c);
      if (!r) return std::unexpected(transfer_error(r.error()));
    }
    refreshed = r->status == 401 && refreshed;  // a fresh token that works may expire again later
    return std::move(*r);
  }

  Result<Json> json_call(const std::string& method, const std::string& path, std::string body, const std::string& type) {
    auto r = call(method, path, std::move(body), type);
    if (!r) return std::unexpected(r.error());
    if (r->status < 200 || r->status >= 300) return std::unexpected(status_error(method, path, *r));
    auto j = Json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return fail(Errc::platform, fmt::format("the API server {} answered {} {} with no JSON", access.server, method, path));
    return j;
  }
};

Api::Api(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Api::Api(Api&&) noexcept = default;
Api& Api::operator=(Api&&) noexcept = default;
Api::~Api() = default;

const ClusterAccess& Api::access() const { return impl_->access; }

Result<Api> Api::open(ClusterAccess access, const Environment& env) {
  http::Endpoint e;
  e.use_proxy = false;
  e.protocols = "https,http";
  e.base_url = access.server;
  while (!e.base_url.empty() && e.base_url.back() == '/') e.base_url.pop_back();
  e.ca_file = access.ca_file.string();
  e.ca_pem = access.ca_pem;
  e.verify = !access.insecure;
  e.cert_file = access.cert_file.string();
  e.key_file = access.key_file.string();
  e.cert_pem = access.cert_pem;
  e.key_pem = access.key_pem;
  std::string authorization, host_header;
  if (!access.tls_server_name.empty()) {
    // Connect to the server's host, but ask for and check the other name.
    auto scheme = e.base_url.find("://");
    const auto host_start = scheme == std::string::npos ? 0 : scheme + 3;
    auto host_end = e.base_url.find('/', host_start);
    std::string hostport = e.base_url.substr(host_start, host_end == std::string::npos ? std::string::npos : host_end - host_start);
    std::string host = hostport, port = e.base_url.starts_with("http://") ? "80" : "443";
    if (auto colon = hostport.rfind(':'); colon != std::string::npos && hostport.find(']', colon) == std::string::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
    }
    e.connect_to = fmt::format("{}:{}:{}:{}", access.tls_server_name, port, host, port);
    host_header = "Host: " + hostport;  // the server's own name, as kubectl sends it
    e.base_url = e.base_url.substr(0, host_start) + access.tls_server_name + ":" + port +
                 (host_end == std::string::npos ? std::string() : e.base_url.substr(host_end));
  }
  std::string token = access.token;
  if (token.empty() && !access.token_file.empty()) {
    auto read = read_token_file(access);
    if (!read) return std::unexpected(read.error());
    token = *read;
  }
  if (token.empty() && e.cert_pem.empty() && e.cert_file.empty() && access.exec) {
    auto c = run_exec_plugin(*access.exec, env);
    if (!c) return std::unexpected(c.error());
    token = c->token;
    e.cert_pem = c->cert_pem;
    e.key_pem = c->key_pem;
  }
  if (!token.empty()) {
    authorization = "Authorization: Bearer " + token;
  } else if (!access.username.empty()) {
    authorization = "Authorization: Basic " + docker::base64_encode(access.username + ":" + access.password);
  }
  auto t = http::Transport::open(std::move(e));
  if (!t) return std::unexpected(t.error());
  auto impl = std::make_unique<Impl>(Impl{std::move(access), std::move(*t), std::move(authorization), env, false, std::move(host_header)});
  return Api(std::move(impl));
}

Result<Json> Api::get(const std::string& path) { return impl_->json_call("GET", path, {}, {}); }

Result<std::optional<Json>> Api::find(const std::string& path) {
  auto r = impl_->call("GET", path, {}, {});
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) {
    const auto s = parse_status(r->status, r->body);
    if (s.kind == "namespaces") return std::unexpected(impl_->status_error("GET", path, *r));
    return std::optional<Json>{};
  }
  if (r->status < 200 || r->status >= 300) return std::unexpected(impl_->status_error("GET", path, *r));
  auto j = Json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return fail(Errc::platform, fmt::format("the API server answered GET {} with no JSON", path));
  return std::optional<Json>{std::move(j)};
}

Result<Json> Api::create(const std::string& collection, const Json& object) {
  return impl_->json_call("POST", collection, object.dump(), "application/json");
}

Result<Json> Api::replace(const std::string& path, const Json& object) {
  return impl_->json_call("PUT", path, object.dump(), "application/json");
}

Result<Json> Api::apply(const std::string& path, const Json& object) {
  const char* sep = path.find('?') == std::string::npos ? "?" : "&";
  // JSON is YAML: the apply patch is the object itself.
  return impl_->json_call("PATCH", path + sep + "fieldManager=task&force=true", object.dump(), "application/apply-patch+yaml");
}

Result<Json> Api::merge_patch(const std::string& path, const Json& patch) {
  return impl_->json_call("PATCH", path, patch.dump(), "application/merge-patch+json");
}

Result<void> Api::remove(const std::string& path) {
  Json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  auto r = impl_->call("DELETE", path, options.dump(), "application/json");
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return {};
  if (r->status < 200 || r->status >= 300) return std::unexpected(impl_->status_error("DELETE", path, *r));
  return {};
}

Result<void> Api::stream(const std::string& path, const std::function<bool(std::string_view)>& on_data,
                         const std::function<bool()>& cancelled) {
  http::Call c;
  c.method = "GET";
  c.target = path;
  if (!impl_->host_header.empty()) c.headers.push_back(impl_->host_header);
  if (!impl_->authorization.empty()) c.headers.push_back(impl_->authorization);
  c.on_data = on_data;
  c.cancelled = cancelled;
  auto r = impl_->transport.perform(c);
  if (r && r->status == 401 && impl_->refresh()) {
    std::erase_if(c.headers, [](const std::string& h) { return h.starts_with("Authorization:"); });
    c.headers.push_back(impl_->authorization);
    r = impl_->transport.perform(c);
  }
  if (!r) return std::unexpected(impl_->transfer_error(r.error()));
  if (r->stopped) return {};
  if (r->status < 200 || r->status >= 300) return std::unexpected(impl_->status_error("GET", path, *r));
  return {};
}

}  // namespace task::kube
