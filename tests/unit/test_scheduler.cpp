// The agent's scheduling decisions with a fake clock and a runner of the test's own: fire
// times, catch-up, starting deadline, concurrency, retries and their backoff. No sleeps:
// the test moves the time and finishes runs itself.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "platform/local/agent/scheduler.hpp"
#include "state_dir.hpp"

using namespace std::chrono_literals;

namespace {

const task::Timestamp t0 = task::Timestamp(std::chrono::seconds(1'800'000'000));  // 2027-01-15T08:00:00Z

// Takes each run as started when handed over (or, prepared ahead, when told to start),
// and finishes it when the test says.
struct FakeRunner : task::Runner {
  struct Launched {
    task::Worker* worker;
    task::RunRecord run;
    bool reattach;
  };
  task::Store& store;
  task::Clock now;
  std::chrono::milliseconds ahead{0};
  std::vector<Launched> launched;

  FakeRunner(task::Store& s, task::Clock clock) : store(s), now(std::move(clock)) {}

  void launch(task::Worker& worker, const task::RunRecord& run, const task::Revision&, const task::EnvironmentRecord&,
              bool reattach) override {
    if (worker.go.load() == task::Worker::start) store.set_run_started(run.id, now());
    launched.push_back({&worker, run, reattach});
  }
  std::chrono::milliseconds lead(std::chrono::milliseconds gap) const override { return std::min(ahead, gap); }

  // The run's outcome and, as the policy asks, its retry: what a real runner stores.
  void finish(std::size_t i, task::RunOutcome outcome, const task::RunPolicy& policy) {
    auto& l = launched.at(i);
    auto retry = task::retry_of(l.run, policy, outcome, now());
    REQUIRE(store.finish_run(l.run.id, outcome, outcome == task::RunOutcome::succeeded ? 0 : 1, "", now(), nullptr,
                             retry ? &*retry : nullptr));
    l.worker->done.store(true);
  }
};

struct Fixture {
  StateDir state{"task-scheduler"};
  task::Store store = std::move(*task::Store::open(state.path));
  task::Timestamp now = t0;
  task::Clock clock = [this] { return now; };
  FakeRunner runner{store, clock};
  task::RunPolicy policy;
  std::optional<task::Scheduler> scheduler;  // last: stopped before the rest goes

  // Every ten seconds, deployed one second after t0.
  void deploy(std::string schedule = "*/10 * * * * *") {
    task::Revision r;
    r.image = {"task/probe:1", "sha256:1", 1};
    r.schedule = std::move(schedule);
    r.policy = policy;
    r.command = "deploy";
    REQUIRE(store.deploy("probe", "development", "/src", r, t0 + 1s));
  }

  // A run asked for now, as `task run` asks (`--force`: forced).
  void request_run(bool forced = false) {
    auto deployment = store.get_deployment("probe", "development");
    REQUIRE(deployment.has_value());
    task::NewRun manual;
    manual.deployment_id = deployment->id;
    manual.revision = deployment->revision.number;
    manual.scheduled_at = now;
    manual.trigger = task::RunTrigger::manual;
    manual.outcome = task::RunOutcome::pending;
    manual.forced = forced;
    REQUIRE(store.add_run(manual, now));
  }

  // An agent started at `at`, and the time moved on to later passes.
  task::Scheduler& start_at(task::Timestamp at) {
    now = at;
    scheduler.emplace(store, runner, task::SchedulerOptions{clock, {}});
    scheduler->start();
    scheduler->tick(true);
    return *scheduler;
  }
  void pass(task::Timestamp at) {
    now = at;
    scheduler->tick(false);
  }

  std::vector<task::RunRecord> runs() {
    auto all = store.list_runs("probe", "development", 100);
    REQUIRE(all.has_value());
    std::reverse(all->begin(), all->end());  // oldest first
    return *all;
  }

  std::vector<task::EventRecord> events(const std::string& kind) {
    auto all = store.list_events("probe", "development", 100);
    REQUIRE(all.has_value());
    std::erase_if(*all, [&](const auto& e) { return e.kind != kind; });
    return *all;
  }
};

}  // namespace

TEST_CASE("scheduler: each fire time gets one run, on time, also across a restart") {
  Fixture f;
  f.deploy();
  f.now = t0 + 1s;
  {
    task::Scheduler s(f.store, f.runner, {f.clock, {}});
    s.start();
    CHECK(s.tick(true) == t0 + 10s);  // sleeps until the first fire time
    CHECK(f.runs().empty());
    f.now = t0 + 10s;
    CHECK(s.tick(false) == t0 + 20s);
    s.tick(false);
    REQUIRE(f.runs().size() == 1);
    CHECK(f.runs()[0].scheduled_at == t0 + 10s);
    CHECK(f.runs()[0].started_at == t0 + 10s);
    CHECK(f.runs()[0].trigger == task::RunTrigger::schedule);
    f.runner.finish(0, task::RunOutcome::succeeded, f.policy);
  }
  // A new agent a moment later: the fire time is handled already.
  f.now = t0 + 10s + 500ms;
  task::Scheduler again(f.store, f.runner, {f.clock, {}});
  again.start();
  again.tick(true);
  CHECK(f.runs().size() == 1);
  CHECK(f.events("missed").empty());
  f.now = t0 + 20s;
  again.tick(false);
  CHECK(f.runs().size() == 2);
}

TEST_CASE("scheduler: a run made ahead waits for its fire time") {
  Fixture f;
  f.runner.ahead = 3s;
  f.deploy();
  f.now = t0 + 1s;
  task::Scheduler s(f.store, f.runner, {f.clock, {}});
  s.start();
  CHECK(s.tick(true) == t0 + 7s);  // three seconds ahead of the fire time
  f.now = t0 + 7s;
  CHECK(s.tick(false) == t0 + 10s);
  REQUIRE(f.runner.launched.size() == 1);
  CHECK(f.runner.launched[0].worker->go.load() == task::Worker::wait);
  CHECK(f.runner.launched[0].run.scheduled_at == t0 + 10s);
  f.now = t0 + 9s + 999ms;
  s.tick(false);
  CHECK(f.runner.launched[0].worker->go.load() == task::Worker::wait);
  f.now = t0 + 10s;
  s.tick(false);
  CHECK(f.runner.launched[0].worker->go.load() == task::Worker::start);
  CHECK(f.runs().size() == 1);
}

TEST_CASE("scheduler: fire times missed while no agent ran follow catch_up") {
  Fixture f;
  SUBCASE("latest: one catch-up run, for the newest") {
    f.deploy();
    f.start_at(t0 + 65s);  // 10 … 60 went by
    REQUIRE(f.runs().size() == 1);
    CHECK(f.runs()[0].scheduled_at == t0 + 60s);
    CHECK(f.runs()[0].trigger == task::RunTrigger::catch_up);
    REQUIRE(f.events("missed").size() == 1);
    CHECK(f.events("missed")[0].message.find("6 fire times passed") != std::string::npos);
  }
  SUBCASE("all: each of them, ten at most") {
    f.policy.catch_up = task::CatchUp::all;
    f.policy.concurrency = task::Concurrency::allow;
    f.deploy();
    f.start_at(t0 + 35s);
    REQUIRE(f.runs().size() == 3);
    CHECK(f.runs()[0].scheduled_at == t0 + 10s);
    CHECK(f.runs()[2].scheduled_at == t0 + 30s);
  }
  SUBCASE("all: a long outage never floods") {
    f.policy.catch_up = task::CatchUp::all;
    f.policy.concurrency = task::Concurrency::allow;
    f.deploy();
    f.start_at(t0 + 1h + 5s);  // 360 fire times went by
    REQUIRE(f.runs().size() == 10);
    CHECK(f.runs().front().scheduled_at == t0 + 1h - 90s);
    CHECK(f.runs().back().scheduled_at == t0 + 1h);
    CHECK(f.events("missed")[0].message.find("360 fire times passed") != std::string::npos);
  }
  SUBCASE("none: one skipped run says so") {
    f.policy.catch_up = task::CatchUp::none;
    f.deploy();
    f.start_at(t0 + 65s);
    REQUIRE(f.runs().size() == 1);
    CHECK(f.runs()[0].outcome == task::RunOutcome::skipped);
    CHECK(f.runs()[0].error == "missed while the agent was down (catch_up: none)");
    CHECK(f.runner.launched.empty());
  }
  SUBCASE("latest, past the starting deadline: skipped") {
    f.policy.starting_deadline = 3s;
    f.deploy();
    f.start_at(t0 + 65s);  // the newest, 60, is 5 s old
    REQUIRE(f.runs().size() == 1);
    CHECK(f.runs()[0].outcome == task::RunOutcome::skipped);
    CHECK(f.runs()[0].error == "missed by more than its starting_deadline (3s)");
  }
  SUBCASE("latest, within the starting deadline: runs") {
    f.policy.starting_deadline = 30s;
    f.deploy();
    f.start_at(t0 + 65s);
    REQUIRE(f.runs().size() == 1);
    CHECK(f.runs()[0].trigger == task::RunTrigger::catch_up);
    CHECK(f.runner.launched.size() == 1);
  }
}

TEST_CASE("scheduler: the concurrency policy decides about a run due while one still runs") {
  Fixture f;
  SUBCASE("forbid: skipped") {
    f.deploy();
    f.start_at(t0 + 1s);
    f.pass(t0 + 10s);
    f.pass(t0 + 20s);
    REQUIRE(f.runs().size() == 2);
    CHECK(f.runs()[1].outcome == task::RunOutcome::skipped);
    CHECK(f.runs()[1].error == fmt::format("run {} was still running (concurrency: forbid)", f.runs()[0].id));
    CHECK(f.runner.launched.size() == 1);
    // Once it is done, the next one runs.
    f.runner.finish(0, task::RunOutcome::succeeded, f.policy);
    f.pass(t0 + 30s);
    CHECK(f.runner.launched.size() == 2);
  }
  SUBCASE("allow: both run") {
    f.policy.concurrency = task::Concurrency::allow;
    f.deploy();
    auto& s = f.start_at(t0 + 1s);
    f.pass(t0 + 10s);
    f.pass(t0 + 20s);
    CHECK(f.runner.launched.size() == 2);
    CHECK(s.active() == 2);
    CHECK(f.runner.launched[0].worker->replaced_by.load() == 0);
  }
  SUBCASE("replace: the older one is told to stop for the newer") {
    f.policy.concurrency = task::Concurrency::replace;
    f.deploy();
    f.start_at(t0 + 1s);
    f.pass(t0 + 10s);
    f.pass(t0 + 20s);
    REQUIRE(f.runner.launched.size() == 2);
    CHECK(f.runner.launched[0].worker->replaced_by.load() == f.runner.launched[1].run.id);
  }
  SUBCASE("a manual run obeys it, a forced one does not") {
    f.deploy("0 0 1 1 *");  // not due in this test
    auto& s = f.start_at(t0 + 1s);
    f.request_run();
    s.tick(false);
    REQUIRE(f.runner.launched.size() == 1);
    f.now += 1ms;
    f.request_run();
    s.tick(false);
    CHECK(f.runner.launched.size() == 1);
    CHECK(f.runs().back().outcome == task::RunOutcome::skipped);
    f.now += 1ms;
    f.request_run(true);
    s.tick(false);
    CHECK(f.runner.launched.size() == 2);
  }
}

TEST_CASE("scheduler: a failed run is tried again after 1 s, 2 s … up to its retries") {
  Fixture f;
  f.policy.retries = 2;
  f.deploy("0 0 1 1 *");
  f.now = t0 + 1s;
  task::Scheduler s(f.store, f.runner, {f.clock, {}});
  s.start();
  s.tick(true);
  f.request_run();
  s.tick(false);
  REQUIRE(f.runner.launched.size() == 1);
  f.now = t0 + 3s;
  f.runner.finish(0, task::RunOutcome::failed, f.policy);
  CHECK(s.tick(false) == t0 + 4s);  // wakes for the retry
  REQUIRE(f.runs().size() == 2);
  CHECK(f.runs()[1].trigger == task::RunTrigger::retry);
  CHECK(f.runs()[1].attempt == 2);
  CHECK(f.runs()[1].scheduled_at == t0 + 4s);
  CHECK(f.runner.launched.size() == 1);  // not before its time
  f.now = t0 + 4s;
  s.tick(false);
  REQUIRE(f.runner.launched.size() == 2);
  f.now = t0 + 5s;
  f.runner.finish(1, task::RunOutcome::timed_out, f.policy);
  s.tick(false);
  REQUIRE(f.runs().size() == 3);
  CHECK(f.runs()[2].scheduled_at == t0 + 7s);  // 2 s after the second attempt
  CHECK(f.runs()[2].attempt == 3);
  f.now = t0 + 7s;
  s.tick(false);
  REQUIRE(f.runner.launched.size() == 3);
  f.runner.finish(2, task::RunOutcome::failed, f.policy);
  f.now = t0 + 60s;
  s.tick(false);
  CHECK(f.runs().size() == 3);  // its retries are spent
  CHECK(task::retry_backoff(1) == 1s);
  CHECK(task::retry_backoff(4) == 8s);
  CHECK(task::retry_backoff(30) == 300s);
}

TEST_CASE("scheduler: after a restart, runs left starting or running go back to the runner to re-attach") {
  Fixture f;
  f.policy.concurrency = task::Concurrency::allow;
  f.deploy();
  f.now = t0 + 10s;
  {
    task::Scheduler s(f.store, f.runner, {f.clock, {}});
    s.start();
    s.tick(true);
    REQUIRE(f.runner.launched.size() == 1);
    f.runner.launched[0].worker->done.store(true);  // the agent died; its run goes on
  }
  f.now = t0 + 12s;
  f.runner.launched.clear();
  task::Scheduler s(f.store, f.runner, {f.clock, {}});
  s.start();
  REQUIRE(f.runner.launched.size() == 1);
  CHECK(f.runner.launched[0].reattach);
  CHECK(f.runner.launched[0].run.scheduled_at == t0 + 10s);
}
