#include "docker/http.hpp"

#include <curl/curl.h>

#include <cerrno>
#include <optional>
#include <system_error>

#include <nlohmann/json.hpp>

namespace task::docker {
namespace fs = std::filesystem;

namespace {

template <auto Fn>
struct Release {
  template <class T>
  void operator()(T* p) const { Fn(p); }
};
using Curl = std::unique_ptr<CURL, Release<curl_easy_cleanup>>;
using CurlHeaders = std::unique_ptr<curl_slist, Release<curl_slist_free_all>>;

constexpr long kConnectTimeoutMs = 5000;
constexpr std::size_t kMaxCollectedBody = 64 * 1024 * 1024;
constexpr std::string_view kEngineDownHint = "is the Docker engine running? try `task doctor`";

// What one perform() shares with curl's callbacks.
struct Transfer {
  CURL* handle = nullptr;
  const HttpCall* call = nullptr;
  HttpResponse response;
  std::optional<Error> upload_error;
  bool cancelled = false;

  bool streaming() const {
    return call->on_data && response.status >= 200 && response.status < 300;
  }
};

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer.response.status == 0) {
    curl_easy_getinfo(transfer.handle, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  }
  if (transfer.streaming()) {
    if (!transfer.call->on_data(std::string_view(data, bytes))) {
      transfer.response.stopped = true;
      return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    return bytes;
  }
  if (transfer.response.body.size() < kMaxCollectedBody) transfer.response.body.append(data, bytes);
  return bytes;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (transfer.call->cancelled && transfer.call->cancelled()) {
    transfer.cancelled = true;
    return CURL_READFUNC_ABORT;
  }
  auto written = transfer.call->upload(std::span<char>(buffer, size * count));
  if (!written) {
    transfer.upload_error = written.error();
    return CURL_READFUNC_ABORT;
  }
  return *written;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (transfer.call->cancelled && transfer.call->cancelled()) {
    transfer.cancelled = true;
    return 1;
  }
  return 0;
}

Error connection_error(CURLcode code, long os_errno, const DockerEndpoint& endpoint,
                       const std::string& detail) {
  const std::string where = endpoint.host;
  const bool unix_socket = endpoint.host.starts_with("unix://");
  const std::string text = detail.empty() ? curl_easy_strerror(code) : detail;
  if (code == CURLE_COULDNT_CONNECT && unix_socket) {
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
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
      return {Errc::platform, "cannot connect to the Docker engine at " + where + ": " + text,
              "check DOCKER_HOST or the docker context; " + std::string(kEngineDownHint)};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
      return {Errc::platform, "TLS with the Docker engine at " + where + " failed: " + text,
              "check ca.pem, cert.pem and key.pem in " +
                  (endpoint.cert_path.empty() ? std::string("DOCKER_CERT_PATH") : endpoint.cert_path)};
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      return {Errc::platform, "the Docker engine at " + where + " closed the connection: " + text,
              "is it a Docker engine? try `task doctor`"};
    default:
      return {Errc::platform, "talking to the Docker engine at " + where + " failed: " + text, {}};
  }
}

}  // namespace

struct HttpTransport::Impl {
  DockerEndpoint endpoint;
  std::string base_url;  // "http://localhost" or "https://host:port"
  Curl handle;
};

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTransport::HttpTransport(HttpTransport&&) noexcept = default;
HttpTransport& HttpTransport::operator=(HttpTransport&&) noexcept = default;
HttpTransport::~HttpTransport() = default;

const DockerEndpoint& HttpTransport::endpoint() const { return impl_->endpoint; }

Result<HttpTransport> HttpTransport::open(const DockerEndpoint& endpoint) {
  auto impl = std::make_unique<Impl>();
  impl->endpoint = endpoint;
  if (endpoint.host.starts_with("unix://") && endpoint.host.size() > 7) {
    impl->base_url = "http://localhost";
  } else if (endpoint.host.starts_with("tcp://") && endpoint.host.size() > 6) {
    impl->base_url = (endpoint.tls ? "https://" : "http://") + endpoint.host.substr(6);
  } else {
    return fail(Errc::invalid_input, "unsupported Docker engine address `" + endpoint.host + "`",
                "use unix:///path/to/docker.sock or tcp://HOST:PORT");
  }
  // curl_easy_init initialises libcurl itself on first use (thread-safe since 7.84).
  impl->handle.reset(curl_easy_init());
  if (!impl->handle) return fail(Errc::failure, "cannot initialise libcurl");
  return HttpTransport(std::move(impl));
}

Result<HttpResponse> HttpTransport::perform(const HttpCall& call) {
  CURL* curl = impl_->handle.get();
  const DockerEndpoint& endpoint = impl_->endpoint;
  curl_easy_reset(curl);  // keeps the open connection

  Transfer transfer;
  transfer.handle = curl;
  transfer.call = &call;
  char error_text[CURL_ERROR_SIZE] = {};
  const std::string url = impl_->base_url + call.target;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "task");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  if (call.timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  const std::string socket = endpoint.host.starts_with("unix://") ? endpoint.host.substr(7) : "";
  if (!socket.empty()) curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());

  const fs::path certs = endpoint.cert_path;
  const std::string ca = (certs / "ca.pem").string();
  const std::string cert = (certs / "cert.pem").string();
  const std::string key = (certs / "key.pem").string();
  if (endpoint.tls) {
    std::error_code ec;
    if (!certs.empty() && fs::exists(ca, ec)) curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
    if (!certs.empty() && fs::exists(cert, ec) && fs::exists(key, ec)) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, cert.c_str());
      curl_easy_setopt(curl, CURLOPT_SSLKEY, key.c_str());
    }
    if (!endpoint.tls_verify) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }

  CurlHeaders headers;
  auto add_header = [&headers](const std::string& line) {
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown) {
      (void)headers.release();
      headers.reset(grown);
    }
  };
  add_header("Expect:");  // no 100-continue round trip before a body
  for (const std::string& header : call.headers) add_header(header);

  if (call.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    if (call.upload) {
      add_header("Transfer-Encoding: chunked");
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, &on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    } else {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
  } else if (call.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (call.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (call.cancelled) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  }

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  long os_errno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (code == CURLE_OK) return std::move(transfer.response);
  if (transfer.cancelled) return fail(Errc::interrupted, "cancelled");
  if (transfer.upload_error) return std::unexpected(*transfer.upload_error);
  if (transfer.response.stopped) return std::move(transfer.response);
  // The engine may answer an error before it has read the whole request body.
  if (transfer.response.status >= 400) return std::move(transfer.response);
  return std::unexpected(connection_error(code, os_errno, endpoint, error_text));
}

std::string url_encode(std::string_view text, std::string_view keep) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
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
