// Which engine to talk to, decided the way the docker CLI decides it.
#include <fstream>
#include <sstream>
#include <system_error>

#include "docker/config.hpp"
#include "docker/encoding.hpp"
#include "task/docker.hpp"

namespace task {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDefaultHost = "unix:///var/run/docker.sock";

std::string lookup(const Environment& env, std::string_view key) {
  auto it = env.find(key);
  return it == env.end() ? std::string{} : it->second;
}

// Checks and completes a host URL: unix://PATH, or tcp://HOST[:PORT] (a bare
// "host:port" is TCP, as in the CLI). `origin` says where the value came from.
Result<std::string> normalise_host(std::string host, bool tls, const std::string& origin) {
  if (host.find("://") == std::string::npos) host = "tcp://" + host;
  if (host.starts_with("unix://")) {
    if (host.size() == 7) return std::string(kDefaultHost);
    if (host[7] != '/') {
      return fail(Errc::invalid_input, origin + ": the socket path in `" + host + "` is not absolute",
                  "write it as unix:///path/to/docker.sock");
    }
    return host;
  }
  if (host.starts_with("tcp://")) {
    std::string address = host.substr(6);
    while (address.ends_with('/')) address.pop_back();
    if (address.empty()) {
      return fail(Errc::invalid_input, origin + ": `" + host + "` names no host",
                  "write it as tcp://HOST:PORT");
    }
    // "host[:port][/base/path]": the port is added unless given; an IPv6 address is
    // bracketed, so its colons come before the ']'.
    const auto slash = address.find('/');
    std::string authority = address.substr(0, slash);
    const std::string base_path = slash == std::string::npos ? "" : address.substr(slash);
    const auto colon = authority.rfind(':');
    const auto bracket = authority.rfind(']');
    if (colon == std::string::npos || (bracket != std::string::npos && bracket > colon)) {
      authority += tls ? ":2376" : ":2375";
    }
    return "tcp://" + authority + base_path;
  }
  const std::string scheme = host.substr(0, host.find("://"));
  return fail(Errc::invalid_input,
              origin + ": " + scheme + ":// engine addresses are not supported (`" + host + "`)",
              "use unix:///path/to/docker.sock or tcp://HOST:PORT; for an engine reached over "
              "ssh, forward its socket (ssh -L /tmp/docker.sock:/var/run/docker.sock HOST)");
}

Result<DockerEndpoint> from_environment(const Environment& env, const std::string& host) {
  DockerEndpoint endpoint;
  const bool verify = !lookup(env, "DOCKER_TLS_VERIFY").empty();
  endpoint.tls = verify || !lookup(env, "DOCKER_TLS").empty();
  endpoint.tls_verify = verify;
  auto normal = normalise_host(host, endpoint.tls, "DOCKER_HOST");
  if (!normal) return std::unexpected(normal.error());
  endpoint.host = *normal;
  if (endpoint.host.starts_with("unix://")) {
    endpoint.tls = false;
  } else if (endpoint.tls) {
    endpoint.cert_path = lookup(env, "DOCKER_CERT_PATH");
    if (endpoint.cert_path.empty()) endpoint.cert_path = docker::docker_config_dir(env).string();
  }
  return endpoint;
}

Result<DockerEndpoint> from_context(const Environment& env, const std::string& name) {
  const fs::path config_dir = docker::docker_config_dir(env);
  const std::string digest = docker::sha256_hex(name);
  const fs::path meta_file = config_dir / "contexts" / "meta" / digest / "meta.json";
  std::error_code ec;
  if (config_dir.empty() || !fs::exists(meta_file, ec)) {
    return fail(Errc::not_found, "docker context `" + name + "` does not exist (no " +
                                     meta_file.string() + ")",
                "`docker context ls` lists the contexts; `docker context use default` resets");
  }
  auto meta = docker::read_json_file(meta_file);
  if (!meta) return std::unexpected(meta.error());
  const nlohmann::json docker = meta->value("Endpoints", nlohmann::json::object())
                                    .value("docker", nlohmann::json::object());
  const auto host_field = docker.find("Host");
  if (host_field == docker.end() || !host_field->is_string() || host_field->get<std::string>().empty()) {
    return fail(Errc::invalid_input, meta_file.string() + ": docker context `" + name +
                                         "` has no Endpoints.docker.Host");
  }
  DockerEndpoint endpoint;
  const fs::path tls_dir = config_dir / "contexts" / "tls" / digest / "docker";
  endpoint.tls = fs::is_directory(tls_dir, ec);
  auto normal = normalise_host(host_field->get<std::string>(), endpoint.tls,
                               "docker context `" + name + "`");
  if (!normal) return std::unexpected(normal.error());
  endpoint.host = *normal;
  const auto skip = docker.find("SkipTLSVerify");
  endpoint.tls_verify = !(skip != docker.end() && skip->is_boolean() && skip->get<bool>());
  if (endpoint.host.starts_with("unix://")) {
    endpoint.tls = false;
  } else if (endpoint.tls) {
    endpoint.cert_path = tls_dir.string();
  }
  return endpoint;
}

}  // namespace

Result<DockerEndpoint> resolve_docker_endpoint(const Environment& env) {
  if (auto host = lookup(env, "DOCKER_HOST"); !host.empty()) return from_environment(env, host);
  std::string context = lookup(env, "DOCKER_CONTEXT");
  if (context.empty()) {
    auto config = docker::read_docker_config(env);
    if (!config) return std::unexpected(config.error());
    if (auto it = config->find("currentContext"); it != config->end() && it->is_string()) {
      context = it->get<std::string>();
    }
  }
  if (!context.empty() && context != "default") return from_context(env, context);
  return DockerEndpoint{std::string(kDefaultHost), false, true, {}};
}

}  // namespace task

namespace task::docker {

fs::path docker_config_dir(const Environment& env) {
  if (auto dir = lookup(env, "DOCKER_CONFIG"); !dir.empty()) return dir;
  if (auto home = lookup(env, "HOME"); !home.empty()) return fs::path(home) / ".docker";
  return {};
}

Result<nlohmann::json> read_json_file(const fs::path& file) {
  std::error_code ec;
  if (file.empty() || !fs::exists(file, ec)) return nlohmann::json::object();
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return fail(Errc::io, "cannot read " + file.string(), "check the file's permissions");
  if (text.str().find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  nlohmann::json parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return fail(Errc::invalid_input, file.string() + " is not a JSON object",
                "fix or remove the file; the docker CLI writes it");
  }
  return parsed;
}

Result<nlohmann::json> read_docker_config(const Environment& env) {
  const fs::path dir = docker_config_dir(env);
  if (dir.empty()) return nlohmann::json::object();
  return read_json_file(dir / "config.json");
}

}  // namespace task::docker
