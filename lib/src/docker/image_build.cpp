// The streaming calls: build (a tar context up, progress messages down) and push.
#include <cctype>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "docker/client_impl.hpp"
#include "docker/context_tar.hpp"
#include "docker/progress.hpp"

namespace task {
namespace {

using docker::HttpCall;

std::string json_map(const std::map<std::string, std::string>& values) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : values) object[key] = value;
  return object.dump();
}

// The streamed response of build and push: decoded as it arrives; the first decoding
// failure stops the transfer and is kept.
struct ProgressSink {
  docker::ProgressDecoder decoder;
  std::optional<Error> failure;

  explicit ProgressSink(const BuildEventHandler& on_event) : decoder(on_event) {}

  std::function<bool(std::string_view)> consumer() {
    return [this](std::string_view bytes) {
      auto fed = decoder.feed(bytes);
      if (!fed) failure = fed.error();
      return fed.has_value();
    };
  }
};

// The value in a Dockerfile's double quotes: \ " and $ escaped, line breaks dropped.
std::string dockerfile_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n' || c == '\r') continue;
    if (c == '\\' || c == '"' || c == '$') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The classic builder: its `labels` parameter becomes one LABEL step per label, each a container
// commit (seconds on some storage drivers), and never cached when a value changes. One
// LABEL line appended to a copy of the Dockerfile is one step. The copy travels in the
// context under a name the context's .dockerignore then lists, so the engine drops it
// (and a .dockerignore that was not there) before any COPY sees them.
constexpr const char* kGeneratedDockerfile = ".task-build.Dockerfile";

void add_labels_step(docker::PreparedContext& context, const std::filesystem::path& context_dir,
                     const std::map<std::string, std::string>& labels) {
  std::string dockerfile = read_text(context_dir / context.dockerfile);
  if (!dockerfile.empty() && dockerfile.back() != '\n') dockerfile += '\n';
  dockerfile += "LABEL";
  for (const auto& [key, value] : labels) dockerfile += " " + dockerfile_quoted(key) + "=" + dockerfile_quoted(value);
  dockerfile += "\n";
  std::error_code ec;
  const auto ignore_path = context_dir / ".dockerignore";
  std::string ignore = std::filesystem::is_regular_file(ignore_path, ec) ? read_text(ignore_path) : ".dockerignore\n";
  if (!ignore.empty() && ignore.back() != '\n') ignore += '\n';
  ignore += std::string(kGeneratedDockerfile) + "\n";
  context.tar.add_generated({{kGeneratedDockerfile, dockerfile}, {".dockerignore", ignore}});
  context.dockerfile = kGeneratedDockerfile;
}

}  // namespace

std::string_view to_string(Builder builder) {
  switch (builder) {
    case Builder::automatic: return "auto";
    case Builder::buildkit: return "buildkit";
    case Builder::classic: return "classic";
  }
  return "auto";
}

Builder DockerClient::preferred_builder() const {
  // BuildKit came with API 1.39 (Docker 18.09), on Linux engines only.
  return impl_->engine.os == "linux" && impl_->api >= std::pair{1, 39} ? Builder::buildkit : Builder::classic;
}

namespace {

// An engine's refusal of a BuildKit build, as opposed to a failing Dockerfile.
bool refuses_buildkit(const docker::HttpResponse& response, const std::string& message) {
  if (response.status == 200) return false;
  std::string lower;
  for (char c : message) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("buildkit") != std::string::npos || lower.find("session") != std::string::npos;
}

}  // namespace

Result<std::string> DockerClient::build(const BuildRequest& request, const BuildEventHandler& on_event,
                                        const CancelCheck& cancelled) {
  const Builder builder = request.builder == Builder::automatic ? preferred_builder() : request.builder;
  auto context = docker::prepare_context(request.context_dir, request.dockerfile);
  if (!context) return std::unexpected(context.error());
  if (builder == Builder::classic && !request.labels.empty()) add_labels_step(*context, request.context_dir, request.labels);

  std::string query = "?dockerfile=" + docker::url_encode(context->dockerfile);
  if (!request.tag.empty()) query += "&t=" + docker::url_encode(request.tag);
  if (!request.build_args.empty()) query += "&buildargs=" + docker::url_encode(json_map(request.build_args));
  if (request.no_cache) query += "&nocache=1";
  if (!request.platform.empty()) query += "&platform=" + docker::url_encode(request.platform);
  if (builder == Builder::buildkit) {
    // Labels are image configuration only, not a step. The request body is the context
    // (no session is needed for that). RUN steps join the engine's default bridge; an
    // engine run without one (dockerd --bridge=none) gets the host's network, as runs do.
    query += "&version=2";
    if (!request.labels.empty()) query += "&labels=" + docker::url_encode(json_map(request.labels));
    HttpCall bridge;
    bridge.target = impl_->versioned("/networks/bridge");
    bridge.timeout_ms = 10000;
    if (auto answer = impl_->http.perform(bridge); answer && answer->status == 404) query += "&networkmode=host";
  } else {
    query += "&rm=1&forcerm=1";
    if (impl_->api >= std::pair{1, 38}) query += "&version=1";
  }

  ProgressSink sink(on_event);
  docker::ContextTar& tar = context->tar;
  HttpCall call;
  call.method = "POST";
  call.target = impl_->versioned("/build" + query);
  call.headers = {"Content-Type: application/x-tar"};
  call.upload = [&tar](std::span<char> out) { return tar.read(out); };
  call.on_data = sink.consumer();
  call.cancelled = cancelled;
  auto response = impl_->http.perform(call);
  if (!response) {
    if (response.error().code == Errc::interrupted) return fail(Errc::interrupted, "the build was cancelled");
    return std::unexpected(response.error());
  }
  if (sink.failure) return std::unexpected(*sink.failure);
  if (response->status != 200) {
    const std::string message = docker::engine_message(*response);
    if (builder == Builder::buildkit && request.builder == Builder::automatic && refuses_buildkit(*response, message)) {
      if (on_event) {
        BuildEvent note;
        note.text = "the engine does not build with BuildKit (" + message + "): using the classic builder\n";
        on_event(note);
      }
      BuildRequest classic = request;
      classic.builder = Builder::classic;
      return build(classic, on_event, cancelled);
    }
    // 400: the engine rejected the Dockerfile or a parameter, such as the tag.
    const Errc code = response->status == 400   ? Errc::invalid_input
                      : response->status == 404 ? Errc::not_found
                                                : Errc::platform;
    return fail(code, "docker build failed: " + message,
                code == Errc::invalid_input ? "check the Dockerfile and the image tag" : "");
  }
  sink.decoder.finish();
  if (const std::string& error = sink.decoder.error(); !error.empty()) {
    // BuildKit reports a Dockerfile it cannot read in the stream, not as a 400.
    if (error.find("dockerfile parse error") != std::string::npos ||
        error.find("failed to create LLB definition") != std::string::npos) {
      return fail(Errc::invalid_input, "docker build failed: " + error, "check the Dockerfile");
    }
    return fail(Errc::platform, "docker build failed: " + error, "the build log shows the step that failed");
  }
  if (!sink.decoder.image_id().empty()) return sink.decoder.image_id();
  // Engines that send no aux message: the tag now names the new image.
  if (!request.tag.empty()) {
    auto image = inspect_image(request.tag);
    if (image) return image->id;
  }
  return fail(Errc::platform, "docker build finished without reporting an image id");
}

Result<std::string> DockerClient::push_image(const std::string& repo, const std::string& tag,
                                             const std::string& registry_auth,
                                             const BuildEventHandler& on_event,
                                             const CancelCheck& cancelled) {
  auto path = docker::image_path(repo);
  if (!path) return std::unexpected(path.error());
  const std::string target = tag.empty() ? repo : repo + ":" + tag;
  ProgressSink sink(on_event);
  HttpCall call;
  call.method = "POST";
  call.target = impl_->versioned("/images/" + *path + "/push");
  if (!tag.empty()) call.target += "?tag=" + docker::url_encode(tag);
  // The engine insists on the header; "{}" in base64 stands for "no credentials".
  call.headers = {"X-Registry-Auth: " + (registry_auth.empty() ? std::string("e30=") : registry_auth)};
  call.on_data = sink.consumer();
  call.cancelled = cancelled;
  auto response = impl_->http.perform(call);
  if (!response) {
    if (response.error().code == Errc::interrupted) return fail(Errc::interrupted, "the push was cancelled");
    return std::unexpected(response.error());
  }
  if (sink.failure) return std::unexpected(*sink.failure);
  if (response->status != 200) {
    return fail(response->status == 404 ? Errc::not_found : Errc::platform,
                "cannot push " + target + ": " + docker::engine_message(*response));
  }
  sink.decoder.finish();
  if (!sink.decoder.error().empty()) {
    return fail(Errc::platform, "cannot push " + target + ": " + sink.decoder.error(),
                "check the registry address and your credentials (docker login)");
  }
  if (!sink.decoder.digest().empty()) return sink.decoder.digest();
  if (!sink.decoder.status_digest().empty()) return sink.decoder.status_digest();
  return fail(Errc::platform, "the push of " + target + " finished without reporting a digest");
}

Result<void> DockerClient::pull_image(const std::string& ref, const std::string& registry_auth,
                                     const BuildEventHandler& on_event, const CancelCheck& cancelled) {
  ProgressSink sink(on_event);
  HttpCall call;
  call.method = "POST";
  call.target = impl_->versioned("/images/create?fromImage=" + docker::url_encode(ref));
  call.headers = {"X-Registry-Auth: " + (registry_auth.empty() ? std::string("e30=") : registry_auth)};
  call.on_data = sink.consumer();
  call.cancelled = cancelled;
  auto response = impl_->http.perform(call);
  if (!response) {
    if (response.error().code == Errc::interrupted) return fail(Errc::interrupted, "the pull was cancelled");
    return std::unexpected(response.error());
  }
  if (sink.failure) return std::unexpected(*sink.failure);
  if (response->status != 200) {
    return fail(response->status == 404 ? Errc::not_found : Errc::platform,
                "cannot pull " + ref + ": " + docker::engine_message(*response));
  }
  sink.decoder.finish();
  if (!sink.decoder.error().empty()) {
    return fail(Errc::platform, "cannot pull " + ref + ": " + sink.decoder.error(),
                "check the registry address and your credentials (docker login)");
  }
  return {};
}

}  // namespace task
