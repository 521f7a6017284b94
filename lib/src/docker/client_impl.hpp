#pragma once
// What a DockerClient holds, shared by the files that implement it.
#include <string>
#include <utility>

#include "docker/http.hpp"
#include "task/docker.hpp"

namespace task {

struct DockerClient::Impl {
  docker::HttpTransport http;
  std::string api_version;  // negotiated, "1.41"
  std::pair<int, int> api{};  // the same as numbers, {1, 41}
  EngineInfo engine;        // from /version, storage_driver filled by info()

  // "/v1.41" + path.
  std::string versioned(std::string_view path) const;

  // A call whose non-2xx answer becomes an error: 404 Errc::not_found, 409
  // Errc::conflict, anything else Errc::platform, each with the engine's message after
  // `what` ("cannot inspect image busybox"); `missing`, when given, replaces the
  // engine's words for a 404.
  Result<docker::HttpResponse> expect_success(const docker::HttpCall& call, const std::string& what,
                                              const std::string& missing = {});
};

namespace docker {

// The image reference as a URL path segment (its '/', ':' and '@' kept, as the CLI does);
// Errc::invalid_input for an empty reference or one with spaces or control characters.
Result<std::string> image_path(const std::string& ref);

}  // namespace docker
}  // namespace task
