// Connecting to the engine, and its plain request/response calls.
#include <charconv>
#include <utility>

#include <nlohmann/json.hpp>

#include "docker/client_impl.hpp"

namespace task {
namespace {

using docker::HttpCall;
using Json = nlohmann::json;

// The newest API this client is written against, and the oldest it can work with
// (the legacy builder's aux image id and the platform parameter need 1.32).
constexpr std::pair<int, int> kNewestApi{1, 43};
constexpr std::pair<int, int> kOldestApi{1, 32};
constexpr long kRequestTimeoutMs = 120'000;
constexpr long kPingTimeoutMs = 10'000;

std::pair<int, int> parse_api_version(std::string_view text) {
  int major = 0, minor = 0;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return {0, 0};
  std::from_chars(text.data(), text.data() + dot, major);
  std::from_chars(text.data() + dot + 1, text.data() + text.size(), minor);
  return {major, minor};
}

std::string string_field(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

Result<Json> parse_object(const docker::HttpResponse& response, const std::string& what) {
  Json parsed = Json::parse(response.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return fail(Errc::platform, what + ": the engine's answer is not a JSON object");
  }
  return parsed;
}

}  // namespace

std::string DockerClient::Impl::versioned(std::string_view path) const {
  return "/v" + api_version + std::string(path);
}

Result<docker::HttpResponse> DockerClient::Impl::expect_success(const HttpCall& call,
                                                                const std::string& what,
                                                                const std::string& missing) {
  auto response = http.perform(call);
  if (!response) return response;
  if (response->status >= 200 && response->status < 300) return response;
  const std::string message = what + ": " + docker::engine_message(*response);
  switch (response->status) {
    case 404: return fail(Errc::not_found, missing.empty() ? message : missing);
    case 409: return fail(Errc::conflict, message);
    default: return fail(Errc::platform, message);
  }
}

DockerClient::DockerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DockerClient::DockerClient(DockerClient&&) noexcept = default;
DockerClient& DockerClient::operator=(DockerClient&&) noexcept = default;
DockerClient::~DockerClient() = default;

const DockerEndpoint& DockerClient::endpoint() const { return impl_->http.endpoint(); }
const std::string& DockerClient::api_version() const { return impl_->api_version; }

Result<DockerClient> DockerClient::connect(const DockerEndpoint& endpoint) {
  auto http = docker::HttpTransport::open(endpoint);
  if (!http) return std::unexpected(http.error());
  auto impl = std::make_unique<Impl>(Impl{std::move(*http), {}, {}, {}});

  HttpCall ping;
  ping.target = "/_ping";
  ping.timeout_ms = kPingTimeoutMs;
  auto pong = impl->http.perform(ping);
  if (!pong) return std::unexpected(pong.error());
  if (pong->status != 200) {
    const std::string message = docker::engine_message(*pong);
    const bool wants_tls = message.find("HTTPS") != std::string::npos;
    return fail(Errc::platform,
                "the Docker engine at " + endpoint.host + " does not answer /_ping: " + message,
                wants_tls ? "this engine speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH"
                          : "is it a Docker engine? try `task doctor`");
  }

  HttpCall version;
  version.target = "/version";
  version.timeout_ms = kPingTimeoutMs;
  auto answer = impl->http.perform(version);
  if (!answer) return std::unexpected(answer.error());
  if (answer->status != 200) {
    return fail(Errc::platform, "the Docker engine at " + endpoint.host +
                                  " did not tell its version: " + docker::engine_message(*answer));
  }
  auto json = parse_object(*answer, "cannot read the engine's version");
  if (!json) return std::unexpected(json.error());
  const std::string server_api = string_field(*json, "ApiVersion");
  const auto server = parse_api_version(server_api);
  if (server < kOldestApi) {
    return fail(Errc::platform,
                "the Docker engine at " + endpoint.host + " speaks API " +
                    (server_api.empty() ? std::string("(unknown)") : server_api) +
                    "; task needs 1.32 or newer",
                "upgrade the Docker engine (17.09 or later)");
  }
  const auto chosen = std::min(server, kNewestApi);
  impl->api = chosen;
  impl->api_version = std::to_string(chosen.first) + "." + std::to_string(chosen.second);
  impl->engine.version = string_field(*json, "Version");
  impl->engine.api_version = impl->api_version;
  impl->engine.os = string_field(*json, "Os");
  impl->engine.arch = string_field(*json, "Arch");
  return DockerClient(std::move(impl));
}

Result<EngineInfo> DockerClient::info() {
  HttpCall call;
  call.target = impl_->versioned("/info");
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot read the engine's information");
  if (!response) return std::unexpected(response.error());
  auto json = parse_object(*response, "cannot read the engine's information");
  if (!json) return std::unexpected(json.error());
  EngineInfo info = impl_->engine;
  info.storage_driver = string_field(*json, "Driver");
  if (auto version = string_field(*json, "ServerVersion"); !version.empty()) info.version = version;
  if (auto os = string_field(*json, "OSType"); !os.empty()) info.os = os;
  return info;
}

Result<ImageInfo> DockerClient::inspect_image(const std::string& ref) {
  auto path = docker::image_path(ref);
  if (!path) return std::unexpected(path.error());
  HttpCall call;
  call.target = impl_->versioned("/images/" + *path + "/json");
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot inspect image " + ref,
                                          "no image `" + ref + "` in the Docker engine");
  if (!response) return std::unexpected(response.error());
  auto json = parse_object(*response, "cannot inspect image " + ref);
  if (!json) return std::unexpected(json.error());
  ImageInfo image;
  image.id = string_field(*json, "Id");
  image.created = string_field(*json, "Created");
  if (auto size = json->find("Size"); size != json->end() && size->is_number()) {
    image.size = size->get<std::int64_t>();
  }
  auto strings = [&](const char* key, std::vector<std::string>& out) {
    if (auto list = json->find(key); list != json->end() && list->is_array()) {
      for (const Json& item : *list) {
        if (item.is_string()) out.push_back(item.get<std::string>());
      }
    }
  };
  strings("RepoTags", image.tags);
  strings("RepoDigests", image.digests);
  if (auto config = json->find("Config"); config != json->end() && config->is_object()) {
    if (auto labels = config->find("Labels"); labels != config->end() && labels->is_object()) {
      for (const auto& [key, value] : labels->items()) {
        if (value.is_string()) image.labels[key] = value.get<std::string>();
      }
    }
  }
  return image;
}

Result<void> DockerClient::tag_image(const std::string& source, const std::string& repo,
                                     const std::string& tag) {
  auto path = docker::image_path(source);
  if (!path) return std::unexpected(path.error());
  if (repo.empty()) return fail(Errc::invalid_input, "cannot tag " + source + ": no repository given");
  HttpCall call;
  call.method = "POST";
  call.target = impl_->versioned("/images/" + *path + "/tag?repo=" + docker::url_encode(repo));
  if (!tag.empty()) call.target += "&tag=" + docker::url_encode(tag);
  call.timeout_ms = kRequestTimeoutMs;
  const std::string target = tag.empty() ? repo : repo + ":" + tag;
  auto response = impl_->expect_success(call, "cannot tag " + source + " as " + target,
                                          "no image `" + source + "` in the Docker engine");
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<void> DockerClient::remove_image(const std::string& ref, bool force) {
  auto path = docker::image_path(ref);
  if (!path) return std::unexpected(path.error());
  HttpCall call;
  call.method = "DELETE";
  call.target = impl_->versioned("/images/" + *path + (force ? "?force=1" : ""));
  call.timeout_ms = kRequestTimeoutMs;
  auto response = impl_->expect_success(call, "cannot remove image " + ref,
                                          "no image `" + ref + "` in the Docker engine");
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<std::string> docker::image_path(const std::string& ref) {
  if (ref.empty()) return fail(Errc::invalid_input, "an image reference is empty");
  for (char c : ref) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return fail(Errc::invalid_input, "image reference `" + ref + "` contains a space or a control character");
    }
  }
  // "." and ".." segments would be resolved away in the URL and reach another endpoint.
  for (std::size_t start = 0; start <= ref.size();) {
    const auto end = std::min(ref.find('/', start), ref.size());
    const std::string_view segment = std::string_view(ref).substr(start, end - start);
    if (segment == "." || segment == ".." || segment.empty()) {
      return fail(Errc::invalid_input, "`" + ref + "` is not an image reference");
    }
    start = end + 1;
  }
  return url_encode(ref, "/:@");
}

}  // namespace task
