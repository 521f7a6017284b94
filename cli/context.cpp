#include "command.hpp"

namespace cli {

task::Result<task::Store*> Context::store() {
  if (!store_) {
    auto opened = task::Store::open(paths.state);
    if (!opened) return std::unexpected(opened.error());
    store_.emplace(std::move(*opened));
  }
  return &*store_;
}

task::Result<task::DockerClient*> Context::docker() {
  if (!docker_) {
    auto endpoint = task::resolve_docker_endpoint(env);
    if (!endpoint) return std::unexpected(endpoint.error());
    auto client = task::DockerClient::connect(*endpoint);
    if (!client) return std::unexpected(client.error());
    docker_.emplace(std::move(*client));
  }
  return &*docker_;
}

}  // namespace cli
