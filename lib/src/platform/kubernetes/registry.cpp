#include "platform/kubernetes/registry.hpp"

#include <fmt/format.h>

#include "http/transport.hpp"

namespace task::kube {

namespace {

// Plain HTTP for a registry on this machine (as the Docker engine allows), else HTTPS.
std::string registry_url(const std::string& host) {
  const bool local = host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]");
  return (local ? "http://" : "https://") + host;
}

// The registry's answer to a HEAD of the manifest (anonymously): its status, none when it
// could not be asked.
std::optional<long> manifest_status(const std::string& host, const std::string& name, const std::string& digest) {
  http::Endpoint endpoint;
  endpoint.base_url = registry_url(host);
  endpoint.use_proxy = !endpoint.base_url.starts_with("http://");
  auto t = http::Transport::open(std::move(endpoint));
  if (!t) return std::nullopt;
  http::Call call;
  call.method = "HEAD";
  call.target = "/v2/" + name + "/manifests/" + digest;
  // Every kind of manifest a digest can name: one image, or an index of several (what
  // BuildKit pushes with attestations).
  call.headers = {"Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, "
                  "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json"};
  call.timeout_ms = 5000;
  auto r = t->perform(call);
  if (!r) return std::nullopt;
  return r->status;
}

// Whether the registry serves the manifest (one that asks for credentials is answered
// "no", and the image is pushed as usual).
bool registry_has(const std::string& host, const std::string& name, const std::string& digest) {
  return manifest_status(host, name, digest) == 200;
}

}  // namespace

Result<Image> publish_image(const std::function<Result<DockerClient*>()>& engine, const std::string& registry,
                            const std::string& task, const Image& image, const Environment& env) {
  const std::string repo = registry + "/" + task;
  if (image.ref.starts_with(repo + "@sha256:")) return image;  // there already, by digest
  auto client = engine();
  if (!client) return std::unexpected(client.error());
  DockerClient& docker = **client;
  // The engine's image: a build's id, or what a reference of another registry names.
  std::string source = image.digest;
  if (image.ref.find("@sha256:") != std::string::npos || source.empty() || !source.starts_with("sha256:")) source = image.ref;
  auto info = docker.inspect_image(source);
  if (!info && info.error().code == Errc::not_found && image.ref.find("@sha256:") != std::string::npos) {
    // Another registry's image (a promotion between clusters that pull from different
    // registries): copied through this machine's engine, then checked to be the same.
    const std::string from = image.ref.substr(0, image.ref.find('/'));
    auto from_auth = registry_auth_for(from, env);
    if (!from_auth) return std::unexpected(from_auth.error());
    if (auto pulled = docker.pull_image(image.ref, *from_auth, [](const BuildEvent&) {}); !pulled) {
      return std::unexpected(pulled.error());
    }
    info = docker.inspect_image(image.ref);
  }
  if (!info) {
    if (info.error().code != Errc::not_found) return std::unexpected(info.error());
    return fail(Errc::not_found, fmt::format("the image {} is not in this machine's Docker engine, so it cannot be pushed to {}", image.ref, registry),
                "pull it first (`docker pull " + image.ref + "`), or rebuild it with `task build`");
  }
  const std::string host = registry.substr(0, registry.find('/'));
  // Pushed there before, and the registry still has it: nothing to send again.
  for (const auto& d : info->digests) {
    if (d.starts_with(repo + "@sha256:") && registry_has(host, repo.substr(host.size() + 1), d.substr(repo.size() + 1))) {
      return Image{d, d.substr(repo.size() + 1), image.build};
    }
  }
  const std::string tag = "task-" + info->id.substr(info->id.find(':') + 1, 12);
  if (auto t = docker.tag_image(info->id, repo, tag); !t) return std::unexpected(t.error());
  auto auth = registry_auth_for(host, env);
  if (!auth) return std::unexpected(auth.error());
  auto digest = docker.push_image(repo, tag, *auth, [](const BuildEvent&) {});
  if (!digest) return std::unexpected(digest.error());
  return Image{repo + "@" + *digest, *digest, image.build};
}

std::optional<bool> registry_serves(const std::string& image_ref) {
  const auto at = image_ref.find("@sha256:");
  const auto slash = image_ref.find('/');
  if (at == std::string::npos || slash == std::string::npos || slash > at) return std::nullopt;
  auto status = manifest_status(image_ref.substr(0, slash), image_ref.substr(slash + 1, at - slash - 1), image_ref.substr(at + 1));
  if (status == 200) return true;
  if (status == 404) return false;
  return std::nullopt;
}

Check registry_check(const std::string& env, const std::string& registry) {
  if (registry.empty()) {
    return Check{env + ": registry", false, "none set", fmt::format("`task env set {} --registry HOST[:PORT]/PREFIX`", env)};
  }
  const std::string host = registry.substr(0, registry.find('/'));
  http::Endpoint endpoint;
  endpoint.base_url = registry_url(host);
  endpoint.use_proxy = !endpoint.base_url.starts_with("http://");
  auto t = http::Transport::open(std::move(endpoint));
  if (!t) return Check{env + ": registry", false, t.error().message, ""};
  http::Call call;
  call.target = "/v2/";
  call.timeout_ms = 5000;
  auto r = t->perform(call);
  const bool ok = r && (r->status == 200 || r->status == 401);
  return Check{env + ": registry", ok, r ? fmt::format("{} answered {}", host, r->status) : fmt::format("{}: {}", host, r.error().detail),
               ok ? "" : "is the registry running, and reachable from here?"};
}

}  // namespace task::kube
