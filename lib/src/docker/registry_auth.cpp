// Registry credentials as the docker CLI stores them in config.json. Only the "auths"
// section is read: credential helpers ("credsStore", "credHelpers") run external
// programs and are not consulted, so credentials kept by a helper are not found here.
#include <string_view>

#include "docker/config.hpp"
#include "docker/encoding.hpp"
#include "task/docker.hpp"

namespace task {
namespace {

constexpr std::string_view kDockerHubKey = "https://index.docker.io/v1/";

// "https://host:port/v1/" and "host:port" name the same registry.
std::string registry_host(std::string_view address) {
  if (const auto scheme = address.find("://"); scheme != std::string_view::npos) {
    address.remove_prefix(scheme + 3);
  }
  address = address.substr(0, address.find('/'));
  std::string host(address);
  for (char& c : host) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io") {
    return "index.docker.io";
  }
  return host;
}

std::string string_field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

Result<std::string> registry_auth_for(const std::string& registry, const Environment& env) {
  auto config = docker::read_docker_config(env);
  if (!config) return std::unexpected(config.error());
  const auto auths = config->find("auths");
  if (auths == config->end() || !auths->is_object()) return std::string{};

  const std::string wanted = registry_host(registry.empty() ? kDockerHubKey : registry);
  for (const auto& [key, entry] : auths->items()) {
    if (registry_host(key) != wanted || !entry.is_object()) continue;
    nlohmann::json auth_config = nlohmann::json::object();
    std::string username = string_field(entry, "username");
    std::string password = string_field(entry, "password");
    if (const std::string encoded = string_field(entry, "auth"); !encoded.empty()) {
      const auto decoded = docker::base64_decode(encoded);
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        return fail(Errc::invalid_input,
                    "config.json: auths[\"" + key + "\"].auth is not base64 of user:password",
                    "log in again with `docker login " + key + "`");
      }
      username = decoded->substr(0, colon);
      password = decoded->substr(colon + 1);
    }
    const std::string token = string_field(entry, "identitytoken");
    if (username.empty() && password.empty() && token.empty()) continue;
    if (!username.empty()) auth_config["username"] = username;
    if (!token.empty()) {
      auth_config["identitytoken"] = token;  // an OAuth refresh token replaces the password
    } else {
      auth_config["password"] = password;
    }
    auth_config["serveraddress"] = key;
    return docker::base64_encode(auth_config.dump(), true);
  }
  return std::string{};
}

}  // namespace task
