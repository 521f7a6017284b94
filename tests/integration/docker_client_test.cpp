// DockerClient against a real engine: run inside scripts/with-docker.sh, which sets
// DOCKER_HOST and provides busybox:1.36. Without DOCKER_HOST the program skips.
// A small registry on 127.0.0.1 (in the engine's network namespace) receives pushes.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "docker/encoding.hpp"
#include "task/docker.hpp"

namespace fs = std::filesystem;
using task::BuildEvent;
using task::Errc;

namespace {

task::Environment g_env;  // the test program's environment, read once in main
constexpr const char* kImage = "task-it/app:1";

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "task-docker-it-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  void write(const std::string& relative, const std::string& content) const {
    fs::create_directories((path / relative).parent_path());
    std::ofstream(path / relative, std::ios::binary) << content;
  }
};

task::DockerClient connect() {
  auto endpoint = task::resolve_docker_endpoint(g_env);
  REQUIRE(endpoint.has_value());
  auto client = task::DockerClient::connect(*endpoint);
  REQUIRE_MESSAGE(client.has_value(), (client ? "" : client.error().message));
  return std::move(*client);
}

task::DockerEndpoint unix_endpoint(const fs::path& socket) {
  task::DockerEndpoint endpoint;
  endpoint.host = "unix://" + socket.string();
  return endpoint;
}

struct Log {
  std::string text;
  std::vector<BuildEvent> errors;
  task::BuildEventHandler handler() {
    return [this](const BuildEvent& event) {
      if (event.kind == BuildEvent::Kind::error) errors.push_back(event);
      text += event.text;
    };
  }
};

// Just enough of the registry v2 API for `docker push`, one request per connection,
// Basic auth required.
class FakeRegistry {
 public:
  explicit FakeRegistry(std::string credentials) : credentials_(std::move(credentials)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    REQUIRE(::listen(listener_, 64) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeRegistry() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  FakeRegistry(const FakeRegistry&) = delete;
  FakeRegistry& operator=(const FakeRegistry&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string manifest_digest() {
    std::lock_guard lock(mutex_);
    return manifest_digest_;
  }
  bool rejected_credentials() {
    std::lock_guard lock(mutex_);
    return rejected_;
  }

 private:
  struct Request {
    std::string method, path, query, authorization, body;
  };

  void serve() {
    while (!stop_) {
      const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      Request request;
      const std::string response = read_request(connection, request) ? handle(request)
                                                                     : "HTTP/1.1 400 Bad Request\r\n";
      const std::string whole = response + "Connection: close\r\n\r\n";
      (void)!::write(connection, whole.data(), whole.size());
      ::close(connection);
    }
  }

  static bool read_request(int fd, Request& request) {
    std::string data;
    char buffer[65536];
    std::size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got <= 0) return false;
      data.append(buffer, static_cast<std::size_t>(got));
      // A TLS handshake (the engine tries HTTPS first) is not HTTP: answer at once.
      if (data[0] < 'A' || data[0] > 'Z') return false;
      header_end = data.find("\r\n\r\n");
    }
    std::string head = data.substr(0, header_end);
    std::string body = data.substr(header_end + 4);
    const auto first_space = head.find(' ');
    const auto second_space = head.find(' ', first_space + 1);
    request.method = head.substr(0, first_space);
    std::string target = head.substr(first_space + 1, second_space - first_space - 1);
    request.path = target.substr(0, target.find('?'));
    if (target.find('?') != std::string::npos) request.query = target.substr(target.find('?') + 1);
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto at = lower.find("\r\nauthorization: "); at != std::string::npos) {
      request.authorization = head.substr(at + 17, head.find("\r\n", at + 2) - at - 17);
    }
    const bool chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
    std::size_t length = 0;
    if (auto at = lower.find("\r\ncontent-length: "); at != std::string::npos) {
      length = std::stoul(head.substr(at + 18));
    }
    auto more = [&]() {
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got <= 0) return false;
      body.append(buffer, static_cast<std::size_t>(got));
      return true;
    };
    if (chunked) {
      std::size_t pos = 0;
      while (true) {
        while (body.find("\r\n", pos) == std::string::npos) if (!more()) return false;
        const auto line_end = body.find("\r\n", pos);
        const std::size_t size = std::stoul(body.substr(pos, line_end - pos), nullptr, 16);
        while (body.size() < line_end + 2 + size + 2) if (!more()) return false;
        request.body += body.substr(line_end + 2, size);
        pos = line_end + 2 + size + 2;
        if (size == 0) break;
      }
    } else {
      while (body.size() < length) if (!more()) return false;
      request.body = body.substr(0, length);
    }
    return true;
  }

  std::string handle(const Request& request) {
    std::lock_guard lock(mutex_);
    if (request.authorization != "Basic " + task::docker::base64_encode(credentials_)) {
      if (!request.authorization.empty()) rejected_ = true;
      return "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"fake\"\r\n"
             "Content-Length: 0\r\n";
    }
    const std::string& path = request.path;
    if (path == "/v2/" || path == "/v2") return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";
    const auto uploads = path.find("/blobs/uploads/");
    if (uploads != std::string::npos) {
      const std::string name = path.substr(4, uploads - 4);
      std::string id = path.substr(uploads + 15);
      if (request.method == "POST") id = std::to_string(++next_upload_);
      std::string& upload = uploads_[id];
      upload += request.body;
      if (request.method == "PUT") {
        const std::string digest = query_value(request.query, "digest");
        blobs_[digest] = upload.size();
        return "HTTP/1.1 201 Created\r\nLocation: /v2/" + name + "/blobs/" + digest +
               "\r\nDocker-Content-Digest: " + digest + "\r\nContent-Length: 0\r\n";
      }
      return "HTTP/1.1 202 Accepted\r\nLocation: /v2/" + name + "/blobs/uploads/" + id +
             "\r\nDocker-Upload-UUID: " + id + "\r\nRange: 0-" +
             std::to_string(upload.empty() ? 0 : upload.size() - 1) + "\r\nContent-Length: 0\r\n";
    }
    if (const auto blobs = path.find("/blobs/"); blobs != std::string::npos) {
      const auto found = blobs_.find(path.substr(blobs + 7));
      if (found == blobs_.end()) return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n";
      return "HTTP/1.1 200 OK\r\nDocker-Content-Digest: " + found->first +
             "\r\nContent-Length: " + std::to_string(found->second) + "\r\n";
    }
    if (path.find("/manifests/") != std::string::npos && request.method == "PUT") {
      manifest_digest_ = "sha256:" + task::docker::sha256_hex(request.body);
      return "HTTP/1.1 201 Created\r\nDocker-Content-Digest: " + manifest_digest_ +
             "\r\nContent-Length: 0\r\n";
    }
    return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n";
  }

  static std::string query_value(const std::string& query, const std::string& key) {
    const auto at = query.find(key + "=");
    if (at == std::string::npos) return {};
    std::string value = query.substr(at + key.size() + 1, query.find('&', at) - at - key.size() - 1);
    if (auto colon = value.find("%3A"); colon != std::string::npos) value.replace(colon, 3, ":");
    return value;
  }

  std::string credentials_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, std::string> uploads_;
  std::map<std::string, std::size_t> blobs_;
  std::string manifest_digest_;
  int next_upload_ = 0;
  bool rejected_ = false;
};

}  // namespace

TEST_CASE("connect settles an API version and info describes the engine") {
  auto client = connect();
  CHECK(client.api_version().starts_with("1."));
  auto info = client.info();
  REQUIRE(info.has_value());
  CHECK_FALSE(info->version.empty());
  CHECK(info->api_version == client.api_version());
  CHECK(info->os == "linux");
  CHECK_FALSE(info->storage_driver.empty());
}

// The image of the first test case, built once for the tests that need an image.
struct BuiltImage {
  std::string id;
  std::string log;
  std::vector<BuildEvent> errors;
};

const BuiltImage& built_image() {
  static const BuiltImage image = [] {
    TempDir ctx;
    ctx.write("Dockerfile",
              "FROM busybox:1.36\n"
              "ARG GREETING\n"
              "RUN echo \"building with $GREETING\"\n"
              "COPY . /ctx\n"
              "RUN test \"$GREETING\" = hello\n"
              "RUN test ! -e /ctx/secret.txt && echo no-secret-in-context\n"
              "RUN test ! -e /ctx/large/blob.bin && test -f /ctx/large/keep.txt\n"
              "RUN test \"$(cat /ctx/app/message.txt)\" = 'copied in'\n");
    ctx.write(".dockerignore", "secret.txt\nlarge\n!large/keep.txt\n");
    ctx.write("app/message.txt", "copied in");
    ctx.write("secret.txt", "hunter2");
    ctx.write("large/keep.txt", "kept by an exception");
    ctx.write("large/blob.bin", std::string(8 * 1024 * 1024, 'x'));

    auto client = connect();
    task::BuildRequest request;
    request.context_dir = ctx.path;
    request.tag = kImage;
    request.labels = {{"task.name", "app"}, {"task.commit", "0123abc"}};
    request.build_args = {{"GREETING", "hello"}};
    request.no_cache = true;
    Log log;
    auto id = client.build(request, log.handler());
    INFO(log.text);
    REQUIRE_MESSAGE(id.has_value(), (id ? "" : id.error().message));
    return BuiltImage{*id, log.text, log.errors};
  }();
  return image;
}

TEST_CASE("a build sends only what .dockerignore lets through") {
  const BuiltImage& built = built_image();
  INFO(built.log);
  CHECK(built.id.starts_with("sha256:"));
  CHECK(built.id.size() == 71);
  CHECK(built.log.find("building with hello") != std::string::npos);
  CHECK(built.log.find("no-secret-in-context") != std::string::npos);
  CHECK(built.errors.empty());

  auto client = connect();
  auto image = client.inspect_image(kImage);
  REQUIRE(image.has_value());
  CHECK(image->id == built.id);
  CHECK(image->labels["task.name"] == "app");
  CHECK(image->labels["task.commit"] == "0123abc");
  CHECK(std::find(image->tags.begin(), image->tags.end(), kImage) != image->tags.end());
  CHECK(image->size > 0);
  CHECK_FALSE(image->created.empty());
}

TEST_CASE("tag, inspect by the new name, remove") {
  const std::string id = built_image().id;
  auto client = connect();
  REQUIRE(client.tag_image(id, "task-it/copy", "2").has_value());
  auto copy = client.inspect_image("task-it/copy:2");
  REQUIRE(copy.has_value());
  CHECK(copy->id == id);
  REQUIRE(client.remove_image("task-it/copy:2", false).has_value());
  auto gone = client.inspect_image("task-it/copy:2");
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().code == Errc::not_found);
  auto again = client.remove_image("task-it/copy:2", false);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == Errc::not_found);
  auto missing_source = client.tag_image("task-it/none:0", "task-it/x", "1");
  REQUIRE_FALSE(missing_source.has_value());
  CHECK(missing_source.error().code == Errc::not_found);
}

TEST_CASE("push to a registry that wants credentials") {
  const std::string id = built_image().id;
  auto client = connect();
  FakeRegistry registry("it-user:it-pass");
  TempDir home;
  home.write(".docker/config.json", R"({"auths":{")" + registry.address() + R"(":{"auth":")" +
                                        task::docker::base64_encode("it-user:it-pass") + R"("}}})");
  task::Environment env{{"HOME", home.path.string()}};
  auto auth = task::registry_auth_for(registry.address(), env);
  REQUIRE(auth.has_value());
  REQUIRE_FALSE(auth->empty());
  const std::string repo = registry.address() + "/task-it/app";
  REQUIRE(client.tag_image(id, repo, "v1").has_value());
  Log log;
  auto digest = client.push_image(repo, "v1", *auth, log.handler());
  INFO(log.text);
  REQUIRE_MESSAGE(digest.has_value(), (digest ? "" : digest.error().message));
  CHECK(digest->starts_with("sha256:"));
  CHECK(*digest == registry.manifest_digest());
  CHECK_FALSE(registry.rejected_credentials());

  auto wrong = task::docker::base64_encode(R"({"username":"it-user","password":"nope"})", true);
  auto refused = client.push_image(repo, "v1", wrong, {});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == Errc::platform);
  CHECK(registry.rejected_credentials());
  CHECK(client.remove_image(repo + ":v1", false).has_value());
}

TEST_CASE("push to a registry that is not there") {
  const std::string id = built_image().id;
  auto client = connect();
  const std::string repo = "127.0.0.1:1/task-it/app";
  REQUIRE(client.tag_image(id, repo, "v1").has_value());
  auto pushed = client.push_image(repo, "v1", "", {});
  REQUIRE_FALSE(pushed.has_value());
  CHECK(pushed.error().code == Errc::platform);
  CHECK(pushed.error().message.find("127.0.0.1:1") != std::string::npos);
  CHECK(client.remove_image(repo + ":v1", false).has_value());
}

TEST_CASE("a failing step is an error carrying the engine's message") {
  TempDir ctx;
  ctx.write("Dockerfile", "FROM busybox:1.36\nRUN echo about to fail && exit 3\n");
  auto client = connect();
  for (const task::Builder builder : {task::Builder::buildkit, task::Builder::classic}) {
    CAPTURE(task::to_string(builder));
    task::BuildRequest request{ctx.path, "Dockerfile", "task-it/fails:1", {}, {}, false, {}};
    request.builder = builder;
    Log log;
    auto id = client.build(request, log.handler());
    REQUIRE_FALSE(id.has_value());
    CHECK(id.error().code == Errc::platform);
    // BuildKit: "… exit code: 3"; classic: "… returned a non-zero code: 3".
    CHECK(id.error().message.find("code: 3") != std::string::npos);
    CHECK(log.text.find("about to fail") != std::string::npos);
    REQUIRE(log.errors.size() == 1);
    CHECK(log.errors[0].text.find("code: 3") != std::string::npos);
  }
}

TEST_CASE("a Dockerfile the engine cannot parse, or cannot find") {
  TempDir ctx;
  ctx.write("Dockerfile.bad", "FROM busybox:1.36\nFROBNICATE now\n");
  auto client = connect();
  for (const task::Builder builder : {task::Builder::buildkit, task::Builder::classic}) {
    CAPTURE(task::to_string(builder));
    task::BuildRequest request{ctx.path, "Dockerfile.bad", "", {}, {}, false, {}};
    request.builder = builder;
    auto bad = client.build(request, {});
    REQUIRE_FALSE(bad.has_value());
    CAPTURE(bad.error().message);
    CHECK(bad.error().code == Errc::invalid_input);
    CHECK(bad.error().message.find("FROBNICATE") != std::string::npos);
  }

  auto missing = client.build({ctx.path, "Dockerfile", "", {}, {}, false, {}}, {});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == Errc::not_found);

  auto outside = client.build({ctx.path, "../Dockerfile", "", {}, {}, false, {}}, {});
  REQUIRE_FALSE(outside.has_value());
  CHECK(outside.error().code == Errc::invalid_input);
}

TEST_CASE("cancelling stops a running build") {
  TempDir ctx;
  ctx.write("Dockerfile", "FROM busybox:1.36\nRUN echo started-sleeping && sleep 60\n");
  auto client = connect();
  std::atomic<bool> sleeping{false};
  const auto start = std::chrono::steady_clock::now();
  auto id = client.build(
      {ctx.path, "Dockerfile", "", {}, {}, true, {}},
      [&](const BuildEvent& event) {
        if (event.text.find("started-sleeping") != std::string::npos) sleeping = true;
      },
      [&] { return sleeping.load(); });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(id.has_value());
  CHECK(id.error().code == Errc::interrupted);
  CHECK(sleeping.load());
  CHECK(elapsed < std::chrono::seconds(30));
}

TEST_CASE("an engine that is not there is Errc::platform with a hint") {
  TempDir dir;
  auto missing = task::DockerClient::connect(unix_endpoint(dir.path / "docker.sock"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == Errc::platform);
  CHECK(missing.error().message.find("does not exist") != std::string::npos);
  CHECK(missing.error().hint.find("task doctor") != std::string::npos);

  // A socket file nobody listens on.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = (dir.path / "dead.sock").string();
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  ::close(fd);
  auto refused = task::DockerClient::connect(unix_endpoint(path));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == Errc::platform);
  CHECK(refused.error().message.find("refused") != std::string::npos);
  CHECK_FALSE(refused.error().hint.empty());
}

int main(int argc, char** argv, char** envp) {
  for (char** entry = envp; entry && *entry; ++entry) {
    const std::string text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string::npos) g_env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  if (g_env.find("DOCKER_HOST") == g_env.end()) {
    std::printf("docker_client_test: DOCKER_HOST is not set; skipped (run it through scripts/with-docker.sh)\n");
    return 0;
  }
  doctest::Context context(argc, argv);
  const int status = context.run();
  if (auto endpoint = task::resolve_docker_endpoint(g_env)) {
    if (auto client = task::DockerClient::connect(*endpoint)) (void)client->remove_image(kImage, true);
  }
  return status;
}
