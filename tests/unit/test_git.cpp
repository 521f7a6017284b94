#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "task/git.hpp"

namespace fs = std::filesystem;

namespace {
struct Tmp {
  fs::path path;
  Tmp() {
    std::string pattern = (fs::temp_directory_path() / "task-git-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~Tmp() { fs::remove_all(path); }
};
}  // namespace

TEST_CASE("a local source names its commit and whether the tree is dirty") {
  Tmp tmp;
  auto repo = tmp.path / "repo";
  fs::create_directories(repo / "sub");
  std::ofstream(repo / "sub" / "Dockerfile") << "FROM scratch\n";
  auto first = task::init_repository_with_commit(repo, "first\n\nbody");
  REQUIRE(first.has_value());
  CHECK(first->summary == "first");

  auto clean = task::resolve_local_source(repo / "sub", "", tmp.path / "scratch");
  REQUIRE(clean.has_value());
  CHECK(clean->commit.id == first->id);
  CHECK(clean->commit.summary == "first");
  CHECK_FALSE(clean->dirty);
  CHECK_FALSE(clean->exported);
  CHECK(clean->tree == repo / "sub");

  std::ofstream(repo / "sub" / "untracked.txt") << "new";
  auto dirty = task::resolve_local_source(repo / "sub", "", tmp.path / "scratch");
  REQUIRE(dirty.has_value());
  CHECK(dirty->dirty);

  // A given commit is checked out clean, sub-directory kept, untracked files absent.
  auto exported = task::resolve_local_source(repo / "sub", first->id.substr(0, 8), tmp.path / "scratch");
  REQUIRE(exported.has_value());
  CHECK(exported->exported);
  CHECK(exported->commit.id == first->id);
  CHECK(exported->tree == tmp.path / "scratch" / "sub");
  CHECK(fs::exists(exported->tree / "Dockerfile"));
  CHECK_FALSE(fs::exists(exported->tree / "untracked.txt"));

  auto missing = task::resolve_local_source(repo, "deadbeef", tmp.path / "scratch2");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == task::Errc::not_found);
  CHECK(missing.error().message == "no commit `deadbeef` in " + repo.string());
}

TEST_CASE("a directory outside any repository is a Git error with a way out") {
  Tmp tmp;
  auto r = task::resolve_local_source(tmp.path, "", tmp.path / "scratch");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == task::Errc::git);
  CHECK(r.error().hint.find("task init") != std::string::npos);
}
