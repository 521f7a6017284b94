#pragma once
// HTTP to the engine through the one transport (http/transport.hpp): a unix socket (with
// "localhost" as the URL's host) or TCP, with TLS client certificates; its failures said
// as the engine's.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/transport.hpp"
#include "task/docker.hpp"

namespace task::docker {

using HttpCall = http::Call;
using HttpResponse = http::Response;

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

using http::url_encode;

// The engine's error text: {"message": "..."} or the raw body.
std::string engine_message(const HttpResponse& response);

}  // namespace task::docker
