#pragma once
// The one HTTP client of task, over libcurl: the Docker engine (a unix socket or TCP with
// TLS client certificates), failure webhooks, and a cluster's API server. Streamed request
// and response bodies, cancellation, one connection reused between calls. It knows no
// server: a failed transfer comes back as a Failure that the caller turns into an error
// naming its own server.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "task/error.hpp"

namespace task::http {

struct Endpoint {
  std::string base_url;     // prefixed to each call's target; "" : targets are whole URLs
  std::string unix_socket;  // connect to this socket instead (the URL's host is then only a name)
  std::string protocols = "http,https";
  // TLS
  std::string ca_file;      // the authorities to trust; "" : the system's
  std::string ca_pem;       // or the authorities as PEM text
  std::string cert_file, key_file;  // a client certificate
  std::string cert_pem, key_pem;    // or one as PEM text
  // Connect to another host than the URL names, checking the certificate against the URL's
  // name (kubeconfig's tls-server-name): "name:port:host:port", as curl's CONNECT_TO.
  std::string connect_to;
  bool use_proxy = true;    // false: ignore http_proxy and friends
  bool verify = true;       // false: accept any certificate (insecure-skip-tls-verify)
  long connect_timeout_ms = 5000;
};

struct Call {
  std::string method = "GET";
  std::string target;  // path and query after base_url, or a whole URL
  std::vector<std::string> headers;
  std::string body;  // sent as is when there is no `upload`
  // A streamed request body of unknown length (sent chunked). Fills the span, returns
  // how much it wrote, 0 at the end.
  std::function<Result<std::size_t>(std::span<char>)> upload;
  // A streamed response: receives the bytes of a 2xx response body as they arrive;
  // returning false stops the transfer. Other responses are collected in `body`.
  std::function<bool(std::string_view)> on_data;
  std::function<bool()> cancelled;  // polled during the transfer: true aborts it
  long timeout_ms = 0;              // for the whole call; 0: none
};

struct Response {
  long status = 0;
  std::string body;
  bool stopped = false;  // on_data asked to stop
};

// Why a transfer failed, before or without an HTTP status.
struct Failure {
  enum Kind { connect, tls, closed, cancelled, upload, bad_url, other };
  Kind kind = other;
  long os_errno = 0;   // of the connect, where there was one
  std::string detail;  // curl's words
  Error upload_error;  // kind upload: what the body's source said
};

class Transport {
 public:
  static Result<Transport> open(Endpoint endpoint);

  Transport(Transport&&) noexcept;
  Transport& operator=(Transport&&) noexcept;
  ~Transport();

  // Any HTTP status is a response; only a failed transfer is a Failure. A server that
  // answers an error before it has read the whole request body gives that response.
  std::expected<Response, Failure> perform(const Call& call);

  const Endpoint& endpoint() const;

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes everything but RFC 3986's unreserved characters and `keep`.
std::string url_encode(std::string_view text, std::string_view keep = {});

}  // namespace task::http
