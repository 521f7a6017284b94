#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "task/connect.hpp"
#include "task/git.hpp"
#include "task/project.hpp"

namespace fs = std::filesystem;

namespace {

struct Tmp {
  fs::path path;
  Tmp() {
    std::string pattern = (fs::temp_directory_path() / "task-connect-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~Tmp() { fs::remove_all(path); }
};

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// A repository with a Dockerfile at its root, a task with its own task.yaml in svc/, and
// a directory whose Dockerfile has another name.
struct Upstream {
  Tmp tmp;
  fs::path repo = tmp.path / "Ops Repo";
  task::CommitInfo commit;
  Upstream() {
    write(repo / "Dockerfile", "FROM busybox:1.36\n");
    write(repo / "svc" / "task.yaml",
          "name: health\nrun:\n  timeout: 5m\n  env: {TARGET: \"https://example.org\"}\n");
    write(repo / "svc" / "Dockerfile", "FROM busybox:1.36\n");
    write(repo / "api" / "Containerfile", "FROM busybox:1.36\n");
    write(repo / "api" / "main.go", "package main\n");
    commit = *task::init_repository_with_commit(repo, "first");
  }
  task::GitAccess access() const { return task::GitAccess{tmp.path / "cache", {}}; }
  task::ConnectRequest request(std::string dir) const {
    task::ConnectRequest r;
    r.url = repo.string();
    r.dir = tmp.path / dir;
    return r;
  }
};

}  // namespace

TEST_CASE("connecting a local repository writes task.yaml naming its source") {
  Upstream up;
  auto result = task::connect_repository(up.request("p1"), up.access(), {});
  REQUIRE_MESSAGE(result.has_value(), result.error().message);
  CHECK(result->name == "ops-repo");
  CHECK(result->commit.id == up.commit.id);
  CHECK(result->source.git == up.repo.string());
  CHECK_FALSE(result->source.branch.empty());
  CHECK(result->dockerfile == "Dockerfile");
  CHECK_FALSE(result->repository_config);
  CHECK_FALSE(result->cached);

  auto config = task::load_project(up.tmp.path / "p1");
  REQUIRE(config.has_value());
  CHECK(config->name == "ops-repo");
  CHECK(config->source.git == up.repo.string());
  CHECK(config->source.branch == result->source.branch);
  CHECK(config->source.path.empty());
  CHECK(config->build.dockerfile == "Dockerfile");

  // The same repository again: the clone in the cache is brought up to date, not made anew.
  auto again = task::connect_repository(up.request("p2"), up.access(), {});
  REQUIRE(again.has_value());
  CHECK(again->cached);
  CHECK(fs::exists(up.tmp.path / "cache" / "repos" /
                   task::cache_key(*task::parse_git_url(up.repo.string(), "/"))));
}

TEST_CASE("the repository's own task.yaml supplies name and settings; source is set by connect") {
  Upstream up;
  auto request = up.request("svc");
  request.path = "./svc/";
  auto result = task::connect_repository(request, up.access(), {});
  REQUIRE_MESSAGE(result.has_value(), result.error().message);
  CHECK(result->repository_config);
  CHECK(result->name == "health");
  CHECK(result->dockerfile == "svc/Dockerfile");
  auto config = task::load_project(up.tmp.path / "svc");
  REQUIRE(config.has_value());
  CHECK(config->source.path == "svc");
  CHECK(config->run.timeout == std::chrono::minutes(5));
  CHECK(config->run.env.at("TARGET") == "https://example.org");

  // --dockerfile and --name override it.
  auto api = up.request("api");
  api.path = "api";
  api.dockerfile = "Containerfile";
  auto named = task::connect_repository(api, up.access(), {});
  REQUIRE_MESSAGE(named.has_value(), named.error().message);
  CHECK(named->name == "api");
  CHECK(task::load_project(up.tmp.path / "api")->build.dockerfile == "Containerfile");
}

TEST_CASE("bad input is refused with the right code, and nothing is created") {
  Upstream up;
  auto expect = [&](task::ConnectRequest r, task::Errc code, std::string_view message,
                    std::string_view hint = {}) {
    auto result = task::connect_repository(r, up.access(), {});
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == code);
    CHECK_MESSAGE(result.error().message.find(message) != std::string::npos,
                  result.error().message);
    CHECK_MESSAGE(result.error().hint.find(hint) != std::string::npos, result.error().hint);
    CHECK_FALSE(fs::exists(r.dir));
  };
  auto r = up.request("x");
  r.branch = "nope";
  expect(r, task::Errc::not_found, "has no branch `nope`", "its branches: ");
  r = up.request("x");
  r.path = "missing/deeper";
  expect(r, task::Errc::not_found, "there is no `missing/deeper`",
         "the repository's root holds: Dockerfile, api/, svc/");
  r = up.request("x");
  r.path = "api";
  expect(r, task::Errc::not_found, "there is no Dockerfile `api/Dockerfile`",
         "--dockerfile Containerfile");
  r = up.request("x");
  r.path = "../etc";
  expect(r, task::Errc::invalid_input, "leaves the repository");
  r = up.request("x");
  r.name = "Bad_Name";
  expect(r, task::Errc::invalid_input, "invalid task name");
  r = up.request("x");
  r.url = (up.tmp.path / "no-such-repo").string();
  expect(r, task::Errc::not_found, "there is no Git repository at");

  write(up.tmp.path / "busy" / "keep.txt", "mine");
  auto busy = task::connect_repository(up.request("busy"), up.access(), {});
  REQUIRE_FALSE(busy.has_value());
  CHECK(busy.error().code == task::Errc::conflict);
  CHECK(fs::exists(up.tmp.path / "busy" / "keep.txt"));
  for (const auto& entry : fs::directory_iterator(up.tmp.path)) {
    CHECK_MESSAGE(entry.path().filename().string().find(".connect-") == std::string::npos,
                  entry.path());
  }
}

TEST_CASE("a cancelled fetch leaves no clone and no project, and the next one works") {
  Upstream up;
  task::FetchObserver cancel;
  cancel.cancelled = [] { return true; };
  auto stopped = task::connect_repository(up.request("p"), up.access(), cancel);
  REQUIRE_FALSE(stopped.has_value());
  CHECK(stopped.error().code == task::Errc::interrupted);
  CHECK_FALSE(fs::exists(up.tmp.path / "p"));
  auto again = task::connect_repository(up.request("p"), up.access(), {});
  REQUIRE_MESSAGE(again.has_value(), again.error().message);
}

TEST_CASE("a broken clone in the cache is discarded and made again") {
  Upstream up;
  REQUIRE(task::connect_repository(up.request("p1"), up.access(), {}).has_value());
  auto clone = up.tmp.path / "cache" / "repos" /
               task::cache_key(*task::parse_git_url(up.repo.string(), "/"));
  write(clone / "config", "this is [not a git config\n");
  auto again = task::connect_repository(up.request("p2"), up.access(), {});
  REQUIRE_MESSAGE(again.has_value(), again.error().message);
  CHECK_FALSE(again->cached);

  // Objects gone while the refs remain: the fetch fails on the cache's side, so it starts over.
  fs::remove_all(clone / "objects");
  fs::create_directories(clone / "objects");
  auto third = task::connect_repository(up.request("p3"), up.access(), {});
  REQUIRE_MESSAGE(third.has_value(), third.error().message);
}

TEST_CASE("a connected source resolves to a clean checkout of the branch head or a given commit") {
  Upstream up;
  auto connected = task::connect_repository(up.request("p"), up.access(), {});
  REQUIRE(connected.has_value());
  task::SourceSpec source{up.repo.string(), connected->source.branch, "svc"};
  auto revision = task::resolve_remote_source(source, "", up.access(), up.tmp.path / "scratch", {});
  REQUIRE_MESSAGE(revision.has_value(), revision.error().message);
  CHECK(revision->commit.id == up.commit.id);
  CHECK(revision->commit.summary == "first");
  CHECK(revision->exported);
  CHECK_FALSE(revision->dirty);
  CHECK(revision->tree == up.tmp.path / "scratch" / "svc");
  CHECK(fs::exists(revision->tree / "Dockerfile"));
  CHECK_FALSE(fs::exists(up.tmp.path / "scratch" / "api"));

  auto by_id = task::resolve_remote_source(source, up.commit.id.substr(0, 10), up.access(),
                                           up.tmp.path / "s2", {});
  REQUIRE(by_id.has_value());
  CHECK(by_id->commit.id == up.commit.id);

  auto unknown =
      task::resolve_remote_source(source, "0123456789abcdef", up.access(), up.tmp.path / "s3", {});
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code == task::Errc::not_found);

  source.path = "gone";
  auto gone = task::resolve_remote_source(source, "", up.access(), up.tmp.path / "s4", {});
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().code == task::Errc::not_found);
  CHECK(gone.error().hint.find("source.path") != std::string::npos);
}
