// The local platform's records in the store: environments, deployments and revisions,
// runs (each fire time once), history limits, events.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "platform/local/store.hpp"
#include "state_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

task::Revision revision(std::string image, std::string schedule) {
  task::Revision r;
  r.image.digest = std::move(image);
  r.image.ref = "task/probe:abc";
  r.schedule = std::move(schedule);
  r.command = "deploy";
  r.policy.retries = 2;
  r.policy.concurrency = task::Concurrency::replace;
  r.policy.starting_deadline = 90s;
  return r;
}

task::Timestamp at(std::int64_t seconds) { return task::Timestamp(std::chrono::seconds(seconds)); }

task::NewRun scheduled(std::int64_t deployment, std::int64_t seconds, task::RunOutcome outcome = task::RunOutcome::starting) {
  task::NewRun run;
  run.deployment_id = deployment;
  run.revision = 1;
  run.scheduled_at = at(seconds);
  run.outcome = outcome;
  return run;
}

}  // namespace

TEST_CASE("development and production exist by default, in promotion order") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  auto envs = store->list_environments();
  REQUIRE(envs.has_value());
  REQUIRE(envs->size() == 2);
  CHECK((*envs)[0].name == "development");
  CHECK((*envs)[0].allow_direct_deploy);
  CHECK((*envs)[1].name == "production");
  CHECK_FALSE((*envs)[1].allow_direct_deploy);
  CHECK((*envs)[1].network == "host");
  auto missing = store->get_environment("staging");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == task::Errc::not_found);
  CHECK(missing.error().hint == "the environments are: development, production");
}

TEST_CASE("each deploy is a new numbered revision holding image, schedule and policy, with an event") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  auto first = store->deploy("probe", "development", "/src/probe", revision("sha256:one", "@every 2s"), at(100));
  REQUIRE(first.has_value());
  CHECK(first->revision.number == 1);
  CHECK(first->state == task::DeploymentState::active);
  auto second = store->deploy("probe", "development", "/src/probe", revision("sha256:two", "*/5 * * * *"), at(200));
  REQUIRE(second.has_value());
  CHECK(second->id == first->id);
  CHECK(second->revision.number == 2);
  CHECK(second->revision.image.digest == "sha256:two");
  CHECK(second->revision.policy.retries == 2);
  CHECK(second->revision.policy.concurrency == task::Concurrency::replace);
  CHECK(second->revision.policy.starting_deadline == 90s);
  CHECK(second->revision.created_at == at(200));
  auto revisions = store->list_revisions(first->id);
  REQUIRE(revisions.has_value());
  REQUIRE(revisions->size() == 2);
  CHECK((*revisions)[0].schedule == "@every 2s");
  auto events = store->list_events("probe", "development", 10);
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].kind == "deployed");
  CHECK((*events)[1].message == "revision 2 deployed to development: task/probe:abc, */5 * * * * (UTC)");
  auto absent = store->get_deployment("probe", "production");
  REQUIRE_FALSE(absent.has_value());
  CHECK(absent.error().code == task::Errc::not_found);
}

TEST_CASE("suspend, resume and undeploy change the state once each, and keep history") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  auto d = store->deploy("probe", "development", "/p", revision("sha256:one", "@every 2s"), at(100));
  REQUIRE(d.has_value());
  REQUIRE(store->add_run(scheduled(d->id, 102), at(102), at(102)).has_value());
  CHECK(store->set_deployment_state("probe", "development", task::DeploymentState::suspended, at(103)).has_value());
  auto again = store->set_deployment_state("probe", "development", task::DeploymentState::suspended, at(104));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == task::Errc::conflict);
  auto resumed = store->set_deployment_state("probe", "development", task::DeploymentState::active, at(110));
  REQUIRE(resumed.has_value());
  // What fell due while suspended is not caught up.
  CHECK(store->get_deployment(d->id)->scheduled_through == at(110));
  CHECK(store->set_deployment_state("probe", "development", task::DeploymentState::removed, at(120)).has_value());
  CHECK(store->list_deployments(false)->empty());
  CHECK(store->list_deployments(true)->size() == 1);
  CHECK(store->list_runs("probe", "", 10)->size() == 1);
}

TEST_CASE("a fire time has at most one run, recorded with the fire time handled") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  auto d = store->deploy("probe", "development", "/p", revision("sha256:one", "@every 2s"), at(100));
  REQUIRE(d.has_value());
  auto run = store->add_run(scheduled(d->id, 102), at(102), at(102));
  REQUIRE(run.has_value());
  CHECK(run->outcome == task::RunOutcome::starting);
  CHECK(run->log_path == state.path / "runs" / (std::to_string(run->id) + ".log"));
  CHECK(store->get_deployment(d->id)->scheduled_through == at(102));
  auto twice = store->add_run(scheduled(d->id, 102), at(102), at(102));
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().code == task::Errc::conflict);
  // Manual runs and retries are not fire times: any number at one instant.
  auto manual = scheduled(d->id, 102, task::RunOutcome::pending);
  manual.trigger = task::RunTrigger::manual;
  CHECK(store->add_run(manual, at(102)).has_value());
  CHECK(store->add_run(manual, at(102)).has_value());
  // scheduled_through never goes back.
  REQUIRE(store->set_scheduled_through(d->id, at(50)).has_value());
  CHECK(store->get_deployment(d->id)->scheduled_through == at(102));
  auto unfinished = store->unfinished_runs();
  REQUIRE(unfinished.has_value());
  CHECK(unfinished->size() == 3);
  REQUIRE(store->set_run_container(run->id, "abc").has_value());
  REQUIRE(store->set_run_started(run->id, at(102) + 4ms).has_value());
  REQUIRE(store->finish_run(run->id, task::RunOutcome::failed, 3, "exited with code 3", at(103)).has_value());
  auto done = store->get_run(run->id);
  REQUIRE(done.has_value());
  CHECK(done->outcome == task::RunOutcome::failed);
  CHECK(done->exit_code == 3);
  CHECK(done->container_id == "abc");
  CHECK(*done->started_at - done->scheduled_at == 4ms);
  CHECK(store->unfinished_runs()->size() == 2);
}

TEST_CASE("history limits keep the logs of the newest succeeded and failed runs, and every record") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  auto d = store->deploy("probe", "development", "/p", revision("sha256:one", "@every 2s"), at(100));
  REQUIRE(d.has_value());
  std::vector<task::RunRecord> runs;
  for (int i = 0; i < 10; ++i) {
    auto run = store->add_run(scheduled(d->id, 200 + i), at(200 + i), at(200 + i));
    REQUIRE(run.has_value());
    std::ofstream(run->log_path) << "line\n";
    REQUIRE(store->finish_run(run->id, i % 2 == 0 ? task::RunOutcome::succeeded : task::RunOutcome::timed_out,
                              std::nullopt, "", at(201 + i)).has_value());
    runs.push_back(*run);
  }
  auto running = store->add_run(scheduled(d->id, 300), at(300), at(300));
  REQUIRE(running.has_value());
  auto pruned = store->prune_runs(d->id, 2, 3);
  REQUIRE(pruned.has_value());
  CHECK(*pruned == 5);  // 5 succeeded - 2, 5 timed-out - 3
  auto left = store->list_runs("probe", "development", 100);
  REQUIRE(left.has_value());
  CHECK(left->size() == 11);  // the records stay for `task stats`
  CHECK_FALSE(fs::exists(runs[0].log_path));
  CHECK(store->get_run(runs[0].id)->log_pruned);
  CHECK(fs::exists(runs[9].log_path));
  CHECK_FALSE(store->get_run(runs[9].id)->log_pruned);
  auto counts = store->count_runs(d->id, at(0));
  REQUIRE(counts.has_value());
  CHECK(counts->total == 10);
  CHECK(counts->succeeded == 5);
  CHECK(counts->timed_out == 5);
  // Beyond the retention the records go too.
  auto forgotten = store->prune_runs(d->id, 2, 3, at(205));
  REQUIRE(forgotten.has_value());
  CHECK(store->list_runs("probe", "development", 100)->size() == 6);
}

TEST_CASE("configuration is per task and environment; revisions keep a copy") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  auto set = store->update_config("probe", "production", {{"A", {"1", false}}, {"TOKEN", {"s3cret", true}}}, {});
  REQUIRE(set.has_value());
  CHECK(set->size() == 2);
  CHECK(store->get_config("probe", "development")->empty());
  auto missing = store->update_config("probe", "production", {}, {"NOPE"});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == task::Errc::not_found);
  CHECK(store->get_config("probe", "production")->size() == 2);  // nothing changed
  auto unset = store->update_config("probe", "production", {{"B", {"2", false}}}, {"A"});
  REQUIRE(unset.has_value());
  CHECK(unset->contains("B"));
  CHECK_FALSE(unset->contains("A"));
  auto r = revision("sha256:one", "@every 2s");
  r.config = *unset;
  auto d = store->deploy("probe", "production", "/p", r, at(100));
  REQUIRE(d.has_value());
  CHECK(d->revision.config.at("TOKEN") == task::ConfigValue{"s3cret", true});
  auto replaced = store->update_config("probe", "production", {{"C", {"3", false}}}, {}, true);
  REQUIRE(replaced.has_value());
  CHECK(replaced->size() == 1);
  CHECK(store->get_deployment(d->id)->revision.config.size() == 2);  // the revision's copy stays
}

TEST_CASE("environments are added in promotion order and removed only when unused") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  auto added = store->add_environment({"staging", 0, "local", true, "none", {}}, "development");
  REQUIRE(added.has_value());
  CHECK(added->position == 1);
  auto envs = store->list_environments();
  REQUIRE(envs->size() == 3);
  CHECK((*envs)[2].name == "production");
  CHECK((*envs)[2].position == 2);
  CHECK(store->add_environment({"staging", 0, "local", true, "host", {}}, "").error().code == task::Errc::conflict);
  CHECK(store->add_environment({"qa", 0, "local", true, "host", {}}, "nowhere").error().code == task::Errc::not_found);
  REQUIRE(store->deploy("probe", "staging", "/p", revision("sha256:one", "@every 2s"), at(100)).has_value());
  CHECK(store->remove_environment("staging").error().code == task::Errc::conflict);
  REQUIRE(store->add_environment({"qa", 0, "local", true, "host", {}}, "").has_value());
  REQUIRE(store->remove_environment("qa").has_value());
  CHECK(store->list_environments()->size() == 3);
}

TEST_CASE("migrations 5 and 6 keep every run, its id sequence and its triggers, and admit the error outcome") {
  StateDir state;
  std::int64_t deployment = 0, removed = 0;
  {
    auto store = task::Store::open(state.path);
    REQUIRE(store.has_value());
    auto d = store->deploy("probe", "development", "/p", revision("sha256:one", "@every 2s"), at(100));
    REQUIRE(d.has_value());
    deployment = d->id;
    for (int s : {102, 104, 106}) REQUIRE(store->add_run(scheduled(d->id, s), at(s), at(s)).has_value());
    removed = store->add_run(scheduled(d->id, 108), at(108), at(108))->id;
  }
  // The newest run deleted (its id must not come back), then the schema taken back to 4 so
  // that opening runs migration 5 over these rows.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((state.path / "task.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, ("DELETE FROM runs WHERE id = " + std::to_string(removed)).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DROP TABLE run_days; PRAGMA user_version = 4", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  auto runs = store->list_runs("probe", "development", 10);
  REQUIRE(runs.has_value());
  CHECK(runs->size() == 3);
  auto next = store->add_run(scheduled(deployment, 110, task::RunOutcome::error), at(110), at(110));
  REQUIRE(next.has_value());
  CHECK(next->id == removed + 1);
  CHECK(next->outcome == task::RunOutcome::error);
  CHECK(store->add_run(scheduled(deployment, 110), at(110), at(110)).error().code == task::Errc::conflict);  // runs_once
  // The hour's and the day's generations still advance with their runs (the stats
  // summaries depend on them); migration 6 made the day of the runs before it.
  using task::SummaryLevel;
  auto hours = store->summaries(SummaryLevel::hour, deployment, at(0), at(7200));
  auto days = store->summaries(SummaryLevel::day, deployment, at(0), at(86400));
  REQUIRE(hours.has_value());
  REQUIRE(days.has_value());
  REQUIRE(hours->size() == 1);
  REQUIRE(days->size() == 1);
  const auto hour_before = hours->front().generation, day_before = days->front().generation;
  REQUIRE(store->finish_run(next->id, task::RunOutcome::error, std::nullopt, "engine down", at(111)).has_value());
  CHECK(store->summaries(SummaryLevel::hour, deployment, at(0), at(7200))->front().generation > hour_before);
  CHECK(store->summaries(SummaryLevel::day, deployment, at(0), at(86400))->front().generation > day_before);
}
