#pragma once
// HTTP to the engine over libcurl: a unix socket (with "localhost" as the URL's host)
// or TCP, with TLS client certificates. One connection, reused between calls.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "task/docker.hpp"

namespace task::docker {

struct HttpCall {
  std::string method = "GET";
  std::string target;  // path and query: "/v1.43/images/busybox/json"
  std::vector<std::string> headers;
  std::string body;  // sent as is when there is no `upload`
  // A streamed request body of unknown length (sent chunked). Fills the span, returns
  // how much it wrote, 0 at the end.
  std::function<Result<std::size_t>(std::span<char>)> upload;
  // A streamed response: receives the bytes of a 2xx response body as they arrive;
  // returning false stops the transfer. Other responses are collected in `body`.
  std::function<bool(std::string_view)> on_data;
  CancelCheck cancelled;  // polled during the transfer: true aborts it
  long timeout_ms = 0;    // for the whole call; 0: none
};

struct HttpResponse {
  long status = 0;
  std::string body;
  bool stopped = false;  // on_data asked to stop
};

class HttpTransport {
 public:
  static Result<HttpTransport> open(const DockerEndpoint& endpoint);

  HttpTransport(HttpTransport&&) noexcept;
  HttpTransport& operator=(HttpTransport&&) noexcept;
  ~HttpTransport();

  // An HTTP status, whatever it is, is a response; only a failed transfer is an error:
  // Errc::platform with a hint for an unreachable engine, Errc::interrupted when cancelled.
  Result<HttpResponse> perform(const HttpCall& call);

  const DockerEndpoint& endpoint() const;

 private:
  struct Impl;
  explicit HttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes everything but RFC 3986's unreserved characters and `keep`.
std::string url_encode(std::string_view text, std::string_view keep = {});

// The engine's error text: {"message": "..."} or the raw body.
std::string engine_message(const HttpResponse& response);

}  // namespace task::docker
