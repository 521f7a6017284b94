#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <atomic>
#include <fstream>
#include <thread>

#include "state/database.hpp"
#include "task/builds.hpp"
#include "state_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
task::NewBuild new_build(std::string task, std::string commit, bool dirty = false) {
  return {std::move(task), "/src/" + commit, std::move(commit), dirty, "", task::Timestamp(1000ms)};
}
}  // namespace

TEST_CASE("a new store is created private, in WAL mode, at the latest schema") {
  StateDir state;
  auto store = task::BuildLedger::open(state.path);
  REQUIRE(store.has_value());
  CHECK(task::state::open_database(state.path)->version == 6);
  struct stat st{};
  REQUIRE(stat(state.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(stat((state.path / "task.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(fs::exists(state.path / "task.db-wal"));
  // Opening again migrates nothing and keeps the data.
  auto first = store->begin_build(new_build("a", "c1"));
  REQUIRE(first.has_value());
  auto again = task::BuildLedger::open(state.path);
  REQUIRE(again.has_value());
  CHECK(again->get_build(first->id)->commit == "c1");
}

TEST_CASE("a build goes from running to its outcome, newest first") {
  StateDir state;
  auto store = task::BuildLedger::open(state.path);
  REQUIRE(store.has_value());
  auto b1 = store->begin_build(new_build("probe", "aaa"));
  auto b2 = store->begin_build(new_build("probe", "bbb", true));
  auto other = store->begin_build(new_build("other", "ccc"));
  REQUIRE((b1 && b2 && other));
  CHECK(b1->status == task::BuildStatus::running);
  CHECK(b2->id > b1->id);
  CHECK(b1->log_path == state.path / "builds" / (std::to_string(b1->id) + ".log"));
  REQUIRE(store->set_build_image_ref(b1->id, "task/probe:aaa").has_value());
  REQUIRE(store->finish_build(b1->id, task::BuildStatus::succeeded, "sha256:1", "", task::Timestamp(5000ms)));
  REQUIRE(store->finish_build(b2->id, task::BuildStatus::failed, "", "RUN exited 3", task::Timestamp(6000ms)));

  auto list = store->list_builds("probe", 10);
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].id == b2->id);
  CHECK((*list)[0].status == task::BuildStatus::failed);
  CHECK((*list)[0].error == "RUN exited 3");
  CHECK((*list)[1].image_ref == "task/probe:aaa");
  CHECK((*list)[1].image_id == "sha256:1");
  CHECK((*list)[1].finished_at == task::Timestamp(5000ms));
  CHECK(store->list_builds("", 10)->size() == 3);
  CHECK(store->list_builds("", 1)->size() == 1);

  CHECK(store->latest_build("probe", false)->id == b2->id);
  CHECK(store->latest_build("probe", true)->id == b1->id);
  auto none = store->latest_build("nobody", false);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == task::Errc::not_found);
  CHECK(store->get_build(9999).error().code == task::Errc::not_found);
  CHECK(*store->count_dirty_builds("probe", "bbb") == 1);
  CHECK(*store->count_dirty_builds("probe", "aaa") == 0);
}

TEST_CASE("a database from a newer task is refused, not touched") {
  StateDir state;
  { REQUIRE(task::BuildLedger::open(state.path).has_value()); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((state.path / "task.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto store = task::BuildLedger::open(state.path);
  REQUIRE_FALSE(store.has_value());
  CHECK(store.error().code == task::Errc::conflict);
  CHECK(store.error().message.find("schema version 99") != std::string::npos);
}

TEST_CASE("writers on separate connections lose nothing") {
  StateDir state;
  { REQUIRE(task::BuildLedger::open(state.path).has_value()); }
  constexpr int writers = 4, each = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      auto store = task::BuildLedger::open(state.path);
      if (!store) { ++failures; return; }
      for (int i = 0; i < each; ++i) {
        auto b = store->begin_build(new_build("t" + std::to_string(w), std::to_string(i)));
        if (!b || !store->finish_build(b->id, task::BuildStatus::succeeded, "sha256:x", "", task::Timestamp(1ms))) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  auto store = task::BuildLedger::open(state.path);
  CHECK(store->list_builds("", 1000)->size() == writers * each);
}

TEST_CASE("an unusable state directory is a clear error") {
  StateDir state;
  fs::create_directories(state.path.parent_path());
  { std::ofstream(state.path) << "a file, not a directory"; }
  auto store = task::BuildLedger::open(state.path);
  REQUIRE_FALSE(store.has_value());
  CHECK(store.error().code == task::Errc::io);
  CHECK(store.error().hint == "set TASK_HOME to a writable directory");
}
