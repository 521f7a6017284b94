#pragma once
// The registry an environment's cluster pulls from: images pushed there from this
// machine's Docker engine (a build's, or another registry's pulled first) and named by
// digest, and whether it answers.
#include <functional>
#include <optional>
#include <string>

#include "task/deployment.hpp"
#include "task/docker.hpp"
#include "task/doctor.hpp"
#include "task/paths.hpp"

namespace task::kube {

// `image` in `registry`/`task`, by digest: pushed from this machine's engine (connected
// only when something is to be sent) unless the registry has it already.
Result<Image> publish_image(const std::function<Result<DockerClient*>()>& engine, const std::string& registry,
                            const std::string& task, const Image& image, const Environment& env);

// Whether the registry an image reference by digest names (HOST/NAME@sha256:…) serves
// it: true, false when it answers that it has no such manifest, none when it cannot tell
// (unreachable, asks for credentials, a reference not by digest).
std::optional<bool> registry_serves(const std::string& image_ref);

// The doctor's check of the registry of environment `env`.
Check registry_check(const std::string& env, const std::string& registry);

}  // namespace task::kube
