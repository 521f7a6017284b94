#include "docker/http.hpp"

#include <cerrno>
#include <system_error>

#include <nlohmann/json.hpp>

namespace task::docker {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kEngineDownHint = "is the Docker engine running? try `task doctor`";

Error connection_error(const http::Failure& failure, const DockerEndpoint& endpoint) {
  const std::string where = endpoint.host;
  const bool unix_socket = endpoint.host.starts_with("unix://");
  const std::string& text = failure.detail;
  const long os_errno = failure.os_errno;
  if (failure.kind == http::Failure::connect && unix_socket) {
    const std::string socket = endpoint.host.substr(7);
    std::error_code ec;
    if (os_errno == ENOENT || (os_errno == 0 && !fs::exists(socket, ec))) {
      return {Errc::platform, "cannot connect to the Docker engine: " + socket + " does not exist",
              std::string(kEngineDownHint)};
    }
    if (os_errno == EACCES || os_errno == EPERM) {
      return {Errc::platform, "permission denied while connecting to the Docker engine at " + socket,
              "add yourself to the docker group (sudo usermod -aG docker $USER, then log in "
              "again), or set DOCKER_HOST to an engine you may use"};
    }
    if (os_errno == ECONNREFUSED) {
      return {Errc::platform, "the Docker engine socket " + socket + " refused the connection",
              std::string(kEngineDownHint)};
    }
  }
  switch (failure.kind) {
    case http::Failure::connect:
      return {Errc::platform, "cannot connect to the Docker engine at " + where + ": " + text,
              "check DOCKER_HOST or the docker context; " + std::string(kEngineDownHint)};
    case http::Failure::tls:
      return {Errc::platform, "TLS with the Docker engine at " + where + " failed: " + text,
              "check ca.pem, cert.pem and key.pem in " +
                  (endpoint.cert_path.empty() ? std::string("DOCKER_CERT_PATH") : endpoint.cert_path)};
    case http::Failure::closed:
      return {Errc::platform, "the Docker engine at " + where + " closed the connection: " + text,
              "is it a Docker engine? try `task doctor`"};
    default:
      return {Errc::platform, "talking to the Docker engine at " + where + " failed: " + text, {}};
  }
}

}  // namespace

struct HttpTransport::Impl {
  DockerEndpoint endpoint;
  http::Transport transport;
};

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTransport::HttpTransport(HttpTransport&&) noexcept = default;
HttpTransport& HttpTransport::operator=(HttpTransport&&) noexcept = default;
HttpTransport::~HttpTransport() = default;

const DockerEndpoint& HttpTransport::endpoint() const { return impl_->endpoint; }

Result<HttpTransport> HttpTransport::open(const DockerEndpoint& endpoint) {
  http::Endpoint to;
  if (endpoint.host.starts_with("unix://") && endpoint.host.size() > 7) {
    to.base_url = "http://localhost";
    to.unix_socket = endpoint.host.substr(7);
  } else if (endpoint.host.starts_with("tcp://") && endpoint.host.size() > 6) {
    to.base_url = (endpoint.tls ? "https://" : "http://") + endpoint.host.substr(6);
  } else {
    return fail(Errc::invalid_input, "unsupported Docker engine address `" + endpoint.host + "`",
                "use unix:///path/to/docker.sock or tcp://HOST:PORT");
  }
  if (endpoint.tls) {
    const fs::path certs = endpoint.cert_path;
    std::error_code ec;
    if (!certs.empty() && fs::exists(certs / "ca.pem", ec)) to.ca_file = (certs / "ca.pem").string();
    if (!certs.empty() && fs::exists(certs / "cert.pem", ec) && fs::exists(certs / "key.pem", ec)) {
      to.cert_file = (certs / "cert.pem").string();
      to.key_file = (certs / "key.pem").string();
    }
    to.verify = endpoint.tls_verify;
  }
  auto transport = http::Transport::open(std::move(to));
  if (!transport) return std::unexpected(transport.error());
  return HttpTransport(std::make_unique<Impl>(Impl{endpoint, std::move(*transport)}));
}

Result<HttpResponse> HttpTransport::perform(const HttpCall& call) {
  auto response = impl_->transport.perform(call);
  if (response) return std::move(*response);
  const auto& failure = response.error();
  if (failure.kind == http::Failure::cancelled) return fail(Errc::interrupted, "cancelled");
  if (failure.kind == http::Failure::upload) return std::unexpected(failure.upload_error);
  return std::unexpected(connection_error(failure, impl_->endpoint));
}

std::string engine_message(const HttpResponse& response) {
  const auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_object()) {
    if (auto it = parsed.find("message"); it != parsed.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  std::string text = response.body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) text = "HTTP status " + std::to_string(response.status);
  return text;
}

}  // namespace task::docker
