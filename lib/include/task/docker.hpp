#pragma once
// A client of the Docker Engine API (over its unix socket, or TCP with optional TLS):
// engine discovery, image builds from a streamed context, inspect, tag, push, remove.
// No curl or libarchive type crosses this header.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "task/error.hpp"
#include "task/paths.hpp"

namespace task {

struct DockerEndpoint {
  std::string host;        // "unix:///var/run/docker.sock" or "tcp://host:port"
  bool tls = false;        // TCP only: talk HTTPS, with cert.pem/key.pem from cert_path
  bool tls_verify = true;  // check the engine's certificate against cert_path/ca.pem
  std::string cert_path;   // directory holding ca.pem, cert.pem, key.pem
};

// Where the docker CLI would connect: DOCKER_HOST (unix://, tcp://, with DOCKER_TLS_VERIFY
// and DOCKER_CERT_PATH), else the current docker context (DOCKER_CONTEXT, else
// "currentContext" in $DOCKER_CONFIG/config.json, ~/.docker by default), else
// unix:///var/run/docker.sock. Reads only `env`, never the process environment.
Result<DockerEndpoint> resolve_docker_endpoint(const Environment& env);

struct EngineInfo {
  std::string version;         // the engine's release, "24.0.7"
  std::string api_version;     // the API version this client speaks with it, "1.43"
  std::string os, arch;        // "linux", "amd64"
  std::string storage_driver;  // "overlay2"
};

// Which of the engine's builders runs a build. BuildKit (API 1.39 and later, Linux
// engines) runs independent steps at once and sets labels without a step of their own; the
// classic builder is what older or non-Linux engines have.
enum class Builder { automatic, buildkit, classic };
std::string_view to_string(Builder builder);  // "auto", "buildkit", "classic"

struct BuildRequest {
  std::filesystem::path context_dir;
  std::string dockerfile = "Dockerfile";  // relative to context_dir, inside it
  std::string tag;                        // "name:tag"; may be empty
  std::map<std::string, std::string> build_args, labels;
  bool no_cache = false;
  std::string platform;  // "linux/amd64"; empty: the engine's own
  // automatic: BuildKit where the engine has it, falling back to the classic builder
  // should the engine refuse a BuildKit build.
  Builder builder = Builder::automatic;
};

// One decoded message of a build or push progress stream.
struct BuildEvent {
  enum class Kind { stream, status, error, aux } kind = Kind::stream;
  std::string text;  // stream: log text (with its newlines); status: the status line;
                     // error: the engine's message; aux: the image id or pushed digest
  std::string id;    // status: the layer or image the status is about
  std::int64_t current = 0, total = 0;  // status: progress in bytes, when known
};

struct ImageInfo {
  std::string id;                    // "sha256:…"
  std::vector<std::string> tags;     // "repo:tag"
  std::vector<std::string> digests;  // "repo@sha256:…"
  std::map<std::string, std::string> labels;
  std::int64_t size = 0;  // bytes
  std::string created;    // RFC 3339, as the engine reports it
};

// What a run's container is made of.
struct ContainerSpec {
  std::string name;                  // "" lets the engine choose
  std::string image;                 // an image id ("sha256:…") or reference
  std::vector<std::string> command;  // empty: the image's CMD
  std::map<std::string, std::string> env, labels;
  std::string network_mode = "none";  // "host" or "none"
};

struct ContainerState {
  std::string id;
  std::string status;  // created, running, exited, dead …
  bool running = false;
  int exit_code = 0;
  std::string started_at, finished_at;  // RFC 3339 with nanoseconds, as the engine says
  std::map<std::string, std::string> labels;
};

// One line of a container's output, as the engine stamped it.
struct LogLine {
  std::string timestamp;  // RFC 3339 with nanoseconds, UTC: "2026-11-28T12:00:00.123456789Z"
  bool stderr_stream = false;
  std::string text;       // without its newline
};

using BuildEventHandler = std::function<void(const BuildEvent&)>;
using CancelCheck = std::function<bool()>;  // true: stop now

// One connection to one engine. Movable, not thread-safe: one per thread of work.
class DockerClient {
 public:
  // Pings the engine and settles the API version (the engine's, capped at the newest
  // this client knows). An unreachable engine is Errc::platform with a hint saying why.
  static Result<DockerClient> connect(const DockerEndpoint& endpoint);

  DockerClient(DockerClient&&) noexcept;
  DockerClient& operator=(DockerClient&&) noexcept;
  ~DockerClient();

  const DockerEndpoint& endpoint() const;
  const std::string& api_version() const;

  Result<EngineInfo> info();

  // Builds an image from request.context_dir, honouring its .dockerignore. The context
  // is made into a tar while it is sent, never held in memory whole. Each progress
  // message goes to on_event; a failing step is an Errc::platform error carrying the
  // engine's message; `cancelled` returning true stops the transfer and the build
  // (Errc::interrupted). Returns the image id ("sha256:…").
  Result<std::string> build(const BuildRequest& request, const BuildEventHandler& on_event,
                            const CancelCheck& cancelled = {});
  // The builder an automatic build tries first with this engine.
  Builder preferred_builder() const;

  // Errc::not_found when the engine has no such image.
  Result<ImageInfo> inspect_image(const std::string& ref);
  Result<void> tag_image(const std::string& source, const std::string& repo,
                         const std::string& tag);
  // Pushes repo:tag with the X-Registry-Auth value from registry_auth_for ("" for none).
  // Returns the pushed manifest digest ("sha256:…").
  Result<std::string> push_image(const std::string& repo, const std::string& tag,
                                 const std::string& registry_auth,
                                 const BuildEventHandler& on_event,
                                 const CancelCheck& cancelled = {});
  // Pulls `ref` (repo:tag or repo@sha256:…) into the engine.
  Result<void> pull_image(const std::string& ref, const std::string& registry_auth, const BuildEventHandler& on_event,
                          const CancelCheck& cancelled = {});
  Result<void> remove_image(const std::string& ref, bool force);

  // Containers. Returns the new container's id.
  Result<std::string> create_container(const ContainerSpec& spec);
  Result<void> start_container(const std::string& id);
  // Errc::not_found when the engine has no such container.
  Result<ContainerState> inspect_container(const std::string& id);
  // The containers (running or not) carrying label `key`=`value`, or `key` at all.
  Result<std::vector<ContainerState>> list_containers(const std::string& key, const std::string& value = {});
  // Streams the container's stdout and stderr, line by line, from `since` (an engine
  // timestamp, exclusive; "" for the beginning); with `follow`, until the container
  // stops or `cancelled` returns true (Errc::interrupted).
  Result<void> container_logs(const std::string& id, bool follow, const std::string& since,
                              const std::function<void(const LogLine&)>& on_line,
                              const CancelCheck& cancelled = {});
  // Waits for the container to stop and returns its exit code.
  Result<int> wait_container(const std::string& id, const CancelCheck& cancelled = {});
  Result<void> kill_container(const std::string& id, const std::string& signal = "KILL");
  // The signals the engine sent the container between `since` and `until` (seconds since
  // the epoch): who stopped it, when it was not its own doing.
  Result<std::vector<std::string>> kill_signals(const std::string& id, std::int64_t since, std::int64_t until);
  Result<void> remove_container(const std::string& id, bool force);

 private:
  struct Impl;
  explicit DockerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The X-Registry-Auth header value (base64url of a JSON AuthConfig) for `registry`
// ("" or "docker.io" for Docker Hub, else "host[:port]"), from the "auths" section of
// the docker CLI's config.json. "" when there are no stored credentials.
Result<std::string> registry_auth_for(const std::string& registry, const Environment& env);

}  // namespace task
