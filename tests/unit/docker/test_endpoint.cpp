// Finding the engine and the registry credentials from the environment and the docker
// CLI's files, never from the process environment.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "docker/encoding.hpp"
#include "task/docker.hpp"

namespace fs = std::filesystem;
using task::Environment;

namespace {

struct FakeHome {
  fs::path path;
  FakeHome() {
    std::string pattern = (fs::temp_directory_path() / "task-home-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~FakeHome() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  FakeHome(const FakeHome&) = delete;
  FakeHome& operator=(const FakeHome&) = delete;

  void write(const std::string& relative, const std::string& content) const {
    const fs::path file = path / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
  }
  // A docker context as `docker context create NAME --docker host=HOST` stores it.
  void add_context(const std::string& name, const std::string& host, bool tls = false) const {
    const std::string id = task::docker::sha256_hex(name);
    write(".docker/contexts/meta/" + id + "/meta.json",
          R"({"Name":")" + name + R"(","Metadata":{},"Endpoints":{"docker":{"Host":")" + host +
              R"(","SkipTLSVerify":false}}})");
    if (tls) write(".docker/contexts/tls/" + id + "/docker/ca.pem", "ca");
  }
  Environment env(Environment extra = {}) const {
    extra.emplace("HOME", path.string());
    return extra;
  }
};

nlohmann::json decode_auth(const std::string& header) {
  auto json = task::docker::base64_decode(header);
  REQUIRE(json.has_value());
  return nlohmann::json::parse(*json);
}

}  // namespace

TEST_CASE("sha256 and base64 match their standard vectors") {
  using task::docker::sha256_hex;
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

  using task::docker::base64_decode;
  using task::docker::base64_encode;
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("\xfb\xff", false) == "+/8=");
  CHECK(base64_encode("\xfb\xff", true) == "-_8=");
  CHECK(base64_decode("Zm9vYg==") == "foob");
  CHECK(base64_decode("Zm9vYg") == "foob");
  CHECK(base64_decode("-_8=") == "\xfb\xff");
  CHECK(base64_decode("+/8") == "\xfb\xff");
  CHECK_FALSE(base64_decode("Zm9v!").has_value());
  CHECK_FALSE(base64_decode("Z").has_value());
}

TEST_CASE("DOCKER_HOST decides first") {
  auto unix_socket = task::resolve_docker_endpoint({{"DOCKER_HOST", "unix:///run/user/1000/docker.sock"}});
  REQUIRE(unix_socket.has_value());
  CHECK(unix_socket->host == "unix:///run/user/1000/docker.sock");
  CHECK_FALSE(unix_socket->tls);

  auto tcp = task::resolve_docker_endpoint({{"DOCKER_HOST", "tcp://docker.example.com:2375"}});
  REQUIRE(tcp.has_value());
  CHECK(tcp->host == "tcp://docker.example.com:2375");
  CHECK_FALSE(tcp->tls);

  auto tls = task::resolve_docker_endpoint({{"DOCKER_HOST", "tcp://docker.example.com:2376"},
                                            {"DOCKER_TLS_VERIFY", "1"},
                                            {"DOCKER_CERT_PATH", "/certs"}});
  REQUIRE(tls.has_value());
  CHECK(tls->tls);
  CHECK(tls->tls_verify);
  CHECK(tls->cert_path == "/certs");

  auto default_certs = task::resolve_docker_endpoint(
      {{"DOCKER_HOST", "tcp://docker.example.com"}, {"DOCKER_TLS_VERIFY", "1"}, {"HOME", "/home/u"}});
  REQUIRE(default_certs.has_value());
  CHECK(default_certs->host == "tcp://docker.example.com:2376");  // the TLS port by default
  CHECK(default_certs->cert_path == "/home/u/.docker");

  auto unverified = task::resolve_docker_endpoint({{"DOCKER_HOST", "tcp://h:1"}, {"DOCKER_TLS", "1"}});
  REQUIRE(unverified.has_value());
  CHECK(unverified->tls);
  CHECK_FALSE(unverified->tls_verify);

  CHECK(task::resolve_docker_endpoint({{"DOCKER_HOST", "tcp://h"}})->host == "tcp://h:2375");
  CHECK(task::resolve_docker_endpoint({{"DOCKER_HOST", "h:1234"}})->host == "tcp://h:1234");
  CHECK(task::resolve_docker_endpoint({{"DOCKER_HOST", "tcp://[::1]"}})->host == "tcp://[::1]:2375");
  CHECK(task::resolve_docker_endpoint({{"DOCKER_HOST", "tcp://[::1]:99"}})->host == "tcp://[::1]:99");
  CHECK(task::resolve_docker_endpoint({{"DOCKER_HOST", "tcp://h/prefix/"}})->host == "tcp://h:2375/prefix");
  CHECK(task::resolve_docker_endpoint({{"DOCKER_HOST", "unix://"}})->host == "unix:///var/run/docker.sock");
  // TLS settings mean nothing to a unix socket.
  CHECK_FALSE(task::resolve_docker_endpoint({{"DOCKER_HOST", "unix:///s"}, {"DOCKER_TLS_VERIFY", "1"}})->tls);

  for (const char* unsupported : {"ssh://me@host", "npipe:////./pipe/docker_engine", "fd://", "unix://relative"}) {
    CAPTURE(unsupported);
    auto endpoint = task::resolve_docker_endpoint({{"DOCKER_HOST", unsupported}});
    REQUIRE_FALSE(endpoint.has_value());
    CHECK(endpoint.error().code == task::Errc::invalid_input);
    CHECK(endpoint.error().message.find("DOCKER_HOST") != std::string::npos);
  }
}

TEST_CASE("without DOCKER_HOST: the current docker context, else the default socket") {
  FakeHome home;
  auto plain = task::resolve_docker_endpoint(home.env());
  REQUIRE(plain.has_value());
  CHECK(plain->host == "unix:///var/run/docker.sock");
  CHECK(task::resolve_docker_endpoint({})->host == "unix:///var/run/docker.sock");

  home.add_context("colima", "unix:///home/u/.colima/default/docker.sock");
  home.add_context("remote", "tcp://build.example.com:2376", true);
  home.write(".docker/config.json", R"({"auths":{},"currentContext":"colima"})");
  auto current = task::resolve_docker_endpoint(home.env());
  REQUIRE(current.has_value());
  CHECK(current->host == "unix:///home/u/.colima/default/docker.sock");

  auto chosen = task::resolve_docker_endpoint(home.env({{"DOCKER_CONTEXT", "remote"}}));
  REQUIRE(chosen.has_value());
  CHECK(chosen->host == "tcp://build.example.com:2376");
  CHECK(chosen->tls);
  CHECK(chosen->cert_path ==
        (home.path / ".docker/contexts/tls" / task::docker::sha256_hex("remote") / "docker").string());

  auto host_wins = task::resolve_docker_endpoint(home.env({{"DOCKER_HOST", "unix:///x.sock"}}));
  CHECK(host_wins->host == "unix:///x.sock");

  auto named_default = task::resolve_docker_endpoint(home.env({{"DOCKER_CONTEXT", "default"}}));
  CHECK(named_default->host == "unix:///var/run/docker.sock");

  auto missing = task::resolve_docker_endpoint(home.env({{"DOCKER_CONTEXT", "gone"}}));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == task::Errc::not_found);
  CHECK(missing.error().message.find("gone") != std::string::npos);
  CHECK_FALSE(missing.error().hint.empty());
}

TEST_CASE("DOCKER_CONFIG moves the docker CLI's directory") {
  FakeHome home;
  home.write("elsewhere/config.json", R"({"currentContext":"ci"})");
  const std::string id = task::docker::sha256_hex("ci");
  home.write("elsewhere/contexts/meta/" + id + "/meta.json",
             R"({"Name":"ci","Endpoints":{"docker":{"Host":"tcp://ci.example.com:2375"}}})");
  auto endpoint = task::resolve_docker_endpoint(home.env({{"DOCKER_CONFIG", (home.path / "elsewhere").string()}}));
  REQUIRE(endpoint.has_value());
  CHECK(endpoint->host == "tcp://ci.example.com:2375");
}

TEST_CASE("a broken config.json is an error naming it") {
  FakeHome home;
  home.write(".docker/config.json", "{not json");
  auto endpoint = task::resolve_docker_endpoint(home.env());
  REQUIRE_FALSE(endpoint.has_value());
  CHECK(endpoint.error().code == task::Errc::invalid_input);
  CHECK(endpoint.error().message.find("config.json") != std::string::npos);

  home.write(".docker/config.json", "");  // an empty file is no configuration
  CHECK(task::resolve_docker_endpoint(home.env()).has_value());
}

TEST_CASE("registry_auth_for reads the auths section of config.json") {
  FakeHome home;
  using task::docker::base64_encode;
  home.write(".docker/config.json", nlohmann::json{
      {"auths",
       {{"https://index.docker.io/v1/", {{"auth", base64_encode("hubuser:hub:pass")}}},
        {"registry.example.com:5000", {{"auth", base64_encode("alice:s3cret")}}},
        {"https://ghcr.example.com/v2/", {{"auth", base64_encode("bob:")}, {"identitytoken", "refresh-token"}}},
        {"helper.example.com", nlohmann::json::object()}}},
      {"credsStore", "desktop"}}.dump());

  for (const char* hub : {"", "docker.io", "index.docker.io", "registry-1.docker.io"}) {
    CAPTURE(hub);
    auto header = task::registry_auth_for(hub, home.env());
    REQUIRE(header.has_value());
    REQUIRE_FALSE(header->empty());
    const auto auth = decode_auth(*header);
    CHECK(auth["username"] == "hubuser");
    CHECK(auth["password"] == "hub:pass");
    CHECK(auth["serveraddress"] == "https://index.docker.io/v1/");
  }

  for (const char* name : {"registry.example.com:5000", "https://registry.example.com:5000/v2/",
                           "REGISTRY.example.com:5000"}) {
    CAPTURE(name);
    auto header = task::registry_auth_for(name, home.env());
    REQUIRE(header.has_value());
    CHECK(header->find_first_of("+/") == std::string::npos);  // base64url
    const auto auth = decode_auth(*header);
    CHECK(auth["username"] == "alice");
    CHECK(auth["password"] == "s3cret");
  }

  auto token = task::registry_auth_for("ghcr.example.com", home.env());
  REQUIRE(token.has_value());
  const auto token_auth = decode_auth(*token);
  CHECK(token_auth["identitytoken"] == "refresh-token");
  CHECK(token_auth["username"] == "bob");
  CHECK_FALSE(token_auth.contains("password"));

  // Kept by a credential helper, which is not consulted; or not there at all.
  CHECK(task::registry_auth_for("helper.example.com", home.env()) == "");
  CHECK(task::registry_auth_for("registry.example.com", home.env()) == "");  // another port
  CHECK(task::registry_auth_for("unknown.example.com", home.env()) == "");
  CHECK(task::registry_auth_for("docker.io", {}) == "");
}

TEST_CASE("a malformed stored credential is an error") {
  FakeHome home;
  home.write(".docker/config.json", R"({"auths":{"r.example.com":{"auth":"no colon here!"}}})");
  auto header = task::registry_auth_for("r.example.com", home.env());
  REQUIRE_FALSE(header.has_value());
  CHECK(header.error().code == task::Errc::invalid_input);
  CHECK(header.error().message.find("r.example.com") != std::string::npos);
}
