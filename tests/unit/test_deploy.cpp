// The deployment use cases, in process, over a local platform in a temporary directory:
// every change one transaction planned from the state inside it.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "state_dir.hpp"
#include "task/deploy.hpp"
#include "task/runs.hpp"
#include "task/workspace.hpp"

using namespace std::chrono_literals;

namespace {

struct Fixture {
  StateDir state{"task-deploy"};
  task::Timestamp now = task::Timestamp(std::chrono::seconds(1'800'000'000));
  task::Workspace workspace{task::WorkspaceOptions{state.path, {}, {}, [this] { return now; }}};

  // A finished build of `task` in the ledger, as `task build` leaves it.
  std::int64_t build(const std::string& task, const std::string& digest) {
    auto ledger = workspace.builds();
    REQUIRE(ledger.has_value());
    auto b = (*ledger)->begin_build({task, "/src/" + task, "c0ffee" + digest, false, "", now});
    REQUIRE(b.has_value());
    REQUIRE((*ledger)->set_build_image_ref(b->id, "task/" + task + ":" + digest).has_value());
    REQUIRE((*ledger)->finish_build(b->id, task::BuildStatus::succeeded, "sha256:" + digest, "", now).has_value());
    return b->id;
  }

  task::DeployOptions deploy_options(const std::string& task, std::int64_t build_id, const std::string& interval) {
    task::DeployOptions o;
    o.project.name = task;
    o.project_dir = state.path;
    o.interval = interval;
    o.build = build_id;
    return o;
  }

  task::Result<task::RevisionResult> deploy(const task::DeployOptions& o) { return task::deploy(workspace, o); }

  std::optional<task::Deployment> deployment(const std::string& task, const std::string& env = "development") {
    auto at = task::locate(workspace, task, env);
    REQUIRE(at.has_value());
    auto c = at->platform->current(at->key);
    REQUIRE(c.has_value());
    return c->deployment;
  }

  std::vector<task::Revision> revisions(const std::string& task, const std::string& env = "development") {
    auto at = task::locate(workspace, task, env);
    REQUIRE(at.has_value());
    auto r = at->platform->revisions(at->key);
    REQUIRE(r.has_value());
    return *r;
  }

  task::Config config(const std::string& task, const std::string& env = "development") {
    auto at = task::locate(workspace, task, env);
    REQUIRE(at.has_value());
    auto c = at->platform->current(at->key);
    REQUIRE(c.has_value());
    return c->config;
  }
};

task::Config pairs(std::initializer_list<std::pair<const char*, const char*>> kv, bool secret = false) {
  task::Config out;
  for (const auto& [k, v] : kv) out[k] = task::ConfigValue{v, secret};
  return out;
}

}  // namespace

TEST_CASE("deploy makes revision 1; the same again changes nothing; a dry run writes nothing") {
  Fixture f;
  const auto b = f.build("probe", "one");
  auto options = f.deploy_options("probe", b, "*/5 * * * *");
  options.dry_run = true;
  auto dry = f.deploy(options);
  REQUIRE(dry.has_value());
  CHECK(dry->dry_run);
  CHECK(dry->revision.number == 1);
  CHECK(dry->revision.change == "new deployment");
  CHECK(dry->next_runs.size() == 3);
  CHECK_FALSE(f.deployment("probe").has_value());

  options.dry_run = false;
  auto first = f.deploy(options);
  REQUIRE(first.has_value());
  CHECK(first->changed);
  CHECK(first->revision.number == 1);
  CHECK(first->revision.image.digest == "sha256:one");
  CHECK(first->revision.image.build == b);
  CHECK(first->next_runs.front() == "2027-01-15T08:05:00Z");
  auto again = f.deploy(options);
  REQUIRE(again.has_value());
  CHECK_FALSE(again->changed);
  CHECK(again->revision.number == 1);
  CHECK(f.revisions("probe").size() == 1);
}

TEST_CASE("a change of the failure webhook alone makes a new revision") {
  Fixture f;
  auto options = f.deploy_options("probe", f.build("probe", "one"), "@every 1m");
  REQUIRE(f.deploy(options).has_value());
  options.project.run.failure_webhook = "https://chat.example/hooks/T0";
  auto second = f.deploy(options);
  REQUIRE(second.has_value());
  CHECK(second->changed);
  CHECK(second->revision.number == 2);
  CHECK(second->revision.change == "run policy");
  CHECK(f.deployment("probe")->revision.policy.failure_webhook == "https://chat.example/hooks/T0");
}

TEST_CASE("deploy refuses a bad schedule, both --build and --image, an environment that takes promotions only") {
  Fixture f;
  const auto b = f.build("probe", "one");
  auto bad = f.deploy(f.deploy_options("probe", b, "61 * * * *"));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == task::Errc::invalid_input);
  auto both = f.deploy_options("probe", b, "@hourly");
  both.image = "busybox";
  CHECK(f.deploy(both).error().code == task::Errc::usage);
  auto production = f.deploy_options("probe", b, "@hourly");
  production.env = "production";
  auto refused = f.deploy(production);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == task::Errc::conflict);
  CHECK(refused.error().hint.find("task promote --to production") != std::string::npos);
  auto other = f.deploy(f.deploy_options("other", b, "@hourly"));
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().message == "build 1 is of probe, not other");
  CHECK_FALSE(f.deployment("probe").has_value());
}

TEST_CASE("promote runs the very image in production with its own schedule and configuration") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "*/5 * * * *")).has_value());
  REQUIRE(task::change_config(f.workspace, {"probe", "development", pairs({{"URL", "dev"}}), {}}).has_value());
  REQUIRE(task::change_config(f.workspace, {"probe", "production", pairs({{"URL", "prod"}}), {}}).has_value());
  auto dry = task::promote(f.workspace, {"probe", "", "", "0 * * * *", "", false, true, false, {}});
  REQUIRE(dry.has_value());
  CHECK_FALSE(f.deployment("probe", "production").has_value());
  auto promoted = task::promote(f.workspace, {"probe", "", "", "0 * * * *", "", false, false, false, {}});
  REQUIRE(promoted.has_value());
  CHECK(promoted->env.name == "production");
  CHECK(promoted->from.name == "development");
  CHECK(promoted->source_revision == 2);
  const auto prod = f.deployment("probe", "production");
  REQUIRE(prod.has_value());
  CHECK(prod->revision.image.digest == "sha256:one");
  CHECK(prod->revision.schedule == "0 * * * *");
  CHECK(prod->revision.config.at("URL").value == "prod");
  CHECK(prod->revision.command == "promote");
  CHECK_FALSE(promoted->kept_schedule);
  // A new image in development, promoted without --interval: production keeps its schedule.
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "two"), "*/5 * * * *")).has_value());
  auto again = task::promote(f.workspace, {"probe", "", "", "", "", false, false, false, {}});
  REQUIRE(again.has_value());
  CHECK(again->kept_schedule);
  CHECK(f.deployment("probe", "production")->revision.image.digest == "sha256:two");
  CHECK(f.deployment("probe", "production")->revision.schedule == "0 * * * *");
  auto zone = task::promote(f.workspace, {"probe", "", "", "", "Europe/Berlin", false, false, false, {}});
  REQUIRE(zone.has_value());
  CHECK(f.deployment("probe", "production")->revision.schedule == "0 * * * *");
  CHECK(f.deployment("probe", "production")->revision.timezone == "Europe/Berlin");
  auto same = task::promote(f.workspace, {"probe", "production", "", "", "", false, false, false, {}});
  REQUIRE_FALSE(same.has_value());
  CHECK(same.error().message == "production is the last environment: there is none to promote to");
}

TEST_CASE("rollback brings image, schedule and configuration back as one new revision") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  REQUIRE(task::change_config(f.workspace, {"probe", "", pairs({{"A", "1"}}), {}}).has_value());
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "two"), "@daily")).has_value());
  REQUIRE(task::change_config(f.workspace, {"probe", "", pairs({{"B", "2"}}), {"A"}}).has_value());
  CHECK(f.deployment("probe")->revision.number == 4);
  auto back = task::rollback(f.workspace, {"probe", "", 2, false, false});
  REQUIRE(back.has_value());
  CHECK(back->revision.number == 5);
  CHECK(back->revision.command == "rollback");
  const auto now = f.deployment("probe");
  CHECK(now->revision.image.digest == "sha256:one");
  CHECK(now->revision.schedule == "@hourly");
  CHECK(f.config("probe") == pairs({{"A", "1"}}));
  CHECK(now->revision.config == pairs({{"A", "1"}}));
  CHECK(task::rollback(f.workspace, {"probe", "", 9, false, false}).error().code == task::Errc::not_found);
  CHECK(task::rollback(f.workspace, {"probe", "", 5, false, false}).error().code == task::Errc::invalid_input);
}

TEST_CASE("schedule set: a new revision for a new schedule, nothing for the same one") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  auto same = task::set_schedule(f.workspace, {"probe", "", "@hourly", ""});
  REQUIRE(same.has_value());
  CHECK_FALSE(same->changed);
  auto other = task::set_schedule(f.workspace, {"probe", "", "0 9 * * 1-5", "Europe/Berlin"});
  REQUIRE(other.has_value());
  CHECK(other->changed);
  CHECK(other->revision.number == 2);
  CHECK(other->revision.change == "schedule, time zone");
  CHECK(f.deployment("probe")->revision.timezone == "Europe/Berlin");
  CHECK(task::set_schedule(f.workspace, {"probe", "", "0 0 30 2 *", ""}).error().code == task::Errc::invalid_input);
  CHECK(task::set_schedule(f.workspace, {"nobody", "", "@hourly", ""}).error().code == task::Errc::not_found);
}

TEST_CASE("config set before a deploy waits for it; unset of a missing key changes nothing") {
  Fixture f;
  auto set = task::change_config(f.workspace, {"probe", "", pairs({{"TOKEN", "s3cret"}}, true), {}});
  REQUIRE(set.has_value());
  CHECK_FALSE(set->deployment.has_value());
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  CHECK(f.deployment("probe")->revision.config.at("TOKEN").secret);
  auto missing = task::change_config(f.workspace, {"probe", "", pairs({{"X", "1"}}), {"NOPE"}});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == task::Errc::not_found);
  CHECK(f.config("probe") == pairs({{"TOKEN", "s3cret"}}, true));
  CHECK(f.revisions("probe").size() == 1);
}

TEST_CASE("a failure half-way through a change leaves the previous revision and configuration") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  REQUIRE(task::change_config(f.workspace, {"probe", "", pairs({{"A", "1"}}), {}}).has_value());
  // The configuration is written first, then the revision: make the second write fail.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((f.state.path / "task.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE INSERT ON revisions BEGIN SELECT RAISE(ABORT, 'disk full'); END",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  auto failed = task::change_config(f.workspace, {"probe", "", pairs({{"B", "2"}}), {"A"}});
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().message.find("disk full") != std::string::npos);
  CHECK(f.config("probe") == pairs({{"A", "1"}}));
  CHECK(f.deployment("probe")->revision.number == 2);
  auto rollback = task::rollback(f.workspace, {"probe", "", 1, false, false});
  REQUIRE_FALSE(rollback.has_value());
  CHECK(f.config("probe") == pairs({{"A", "1"}}));
  REQUIRE(sqlite3_exec(db, "DROP TRIGGER refuse", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  REQUIRE(task::rollback(f.workspace, {"probe", "", 1, false, false}).has_value());
  CHECK(f.config("probe").empty());
}

TEST_CASE("concurrent config set from many processes' connections loses no key, and each revision holds all before it") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  constexpr int writers = 4, each = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      task::Workspace own{task::WorkspaceOptions{f.state.path, {}, {}, [&] { return f.now; }}};
      for (int i = 0; i < each; ++i) {
        const std::string key = "K" + std::to_string(w) + "_" + std::to_string(i);
        if (!task::change_config(own, {"probe", "", pairs({{key.c_str(), "v"}}), {}})) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(f.config("probe").size() == writers * each);
  const auto revisions = f.revisions("probe");
  REQUIRE(revisions.size() == 1 + writers * each);
  for (std::size_t i = 1; i < revisions.size(); ++i) {
    CHECK(revisions[i].config.size() == revisions[i - 1].config.size() + 1);
    for (const auto& [key, v] : revisions[i - 1].config) CHECK(revisions[i].config.contains(key));
  }
}

TEST_CASE("suspend, resume and undeploy; a second suspend changes nothing and says so; the history stays") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  auto suspended = task::set_deployment_state(f.workspace, {"probe", ""}, task::DeploymentState::suspended);
  REQUIRE(suspended.has_value());
  CHECK(suspended->deployment.state == task::DeploymentState::suspended);
  CHECK_FALSE(suspended->runner.running);
  auto events = [&] {
    auto at = task::locate(f.workspace, "probe", "development");
    REQUIRE(at.has_value());
    return at->platform->events("probe", "development", 100)->size();
  };
  const auto events_before = events();
  auto twice = task::set_deployment_state(f.workspace, {"probe", ""}, task::DeploymentState::suspended);
  REQUIRE(twice.has_value());
  CHECK_FALSE(twice->changed);
  CHECK(twice->deployment.state == task::DeploymentState::suspended);
  CHECK(events() == events_before);  // no second "suspended" event
  auto status = task::status(f.workspace);
  REQUIRE(status.has_value());
  REQUIRE(status->deployments.size() == 1);
  CHECK_FALSE(status->deployments[0].next_run.has_value());
  REQUIRE(task::set_deployment_state(f.workspace, {"probe", ""}, task::DeploymentState::active).has_value());
  status = task::status(f.workspace);
  CHECK(status->deployments[0].next_run == "2027-01-15T09:00:00Z");
  REQUIRE(task::set_deployment_state(f.workspace, {"probe", ""}, task::DeploymentState::removed).has_value());
  CHECK(task::status(f.workspace)->deployments.empty());
  auto again = f.deploy(f.deploy_options("probe", 1, "@hourly"));
  REQUIRE(again.has_value());
  CHECK(again->revision.number == 2);
}

TEST_CASE("a run requested now is pending for the runner, and its log is read through the platform") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  auto request = task::request_run(f.workspace, {"probe", ""}, false);
  REQUIRE(request.has_value());
  CHECK(request->run.outcome == task::RunOutcome::pending);
  CHECK(request->run.trigger == task::RunTrigger::manual);
  CHECK(request->run.id == "1");
  auto runs = task::list_runs(f.workspace, {"probe", "", 20, {}, {}, {}});
  REQUIRE(runs.has_value());
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().id == "1");
  auto none = task::read_run_log(f.workspace, {"probe", "", "", {}, {}, false});
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().message == "probe in development has no runs yet");
  auto waiting = task::read_run_log(f.workspace, {"probe", "", "", {}, {}, true});
  REQUIRE(waiting.has_value());
  CHECK_FALSE(waiting->run.has_value());
  CHECK(request->platform->run("x7").error().code == task::Errc::not_found);
}

TEST_CASE("the local platform's doctor check: an agent is needed only while something active is deployed") {
  Fixture f;
  auto at = task::locate(f.workspace, "probe", "");
  REQUIRE(at.has_value());
  auto checks = at->platform->checks();
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].name == "agent");
  CHECK(checks[0].ok);
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  checks = at->platform->checks();
  CHECK_FALSE(checks[0].ok);
  CHECK(checks[0].detail == "not running: 1 active deployment will not run");
  CHECK(checks[0].fix == "`task agent start` starts it");
  REQUIRE(task::set_deployment_state(f.workspace, {"probe", ""}, task::DeploymentState::suspended).has_value());
  CHECK(at->platform->checks()[0].ok);
}

TEST_CASE("configuration values are single lines of UTF-8 text; anything else is refused before it is stored") {
  auto ok = task::parse_config_pairs({"URL=https://example.org/ä", "EMPTY="}, false);
  REQUIRE(ok.has_value());
  CHECK(ok->at("URL").value == "https://example.org/ä");
  CHECK(ok->at("EMPTY").value.empty());
  auto bad = task::parse_config_pairs({"BAD=\xff\xfe"}, false);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == task::Errc::invalid_input);
  CHECK(bad.error().message == "the value of BAD is not valid UTF-8 text");
  for (const char* value : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    CHECK_FALSE(task::parse_config_pairs({std::string("X=") + value}, false).has_value());
  }
  CHECK(task::parse_config_pairs({"X=a\nb"}, false).error().message == "the value of X has a line break");
  CHECK(task::parse_config_pairs({"1X=a"}, false).error().code == task::Errc::invalid_input);
  CHECK(task::parse_config_pairs({"NOEQUALS"}, false).error().code == task::Errc::usage);
}

TEST_CASE("a run's log is read whole, a line longer than a read slice too") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  auto request = task::request_run(f.workspace, {"probe", ""}, false);
  REQUIRE(request.has_value());
  const std::string big(3 * 1024 * 1024 + 17, 'x');
  {
    std::ofstream log(f.state.path / "runs" / (request->run.id + ".log"), std::ios::binary);
    log << "2027-01-15T08:00:00.000000001Z out first\n";
    log << "2027-01-15T08:00:00.000000002Z out " << big << "\n";
    log << "2027-01-15T08:00:00.000000003Z err last\n";
    log << "2027-01-15T08:00:00.000000004Z out not yet whole";
  }
  auto log = task::read_run_log(f.workspace, {"probe", "", request->run.id, {}, {}, false});
  REQUIRE(log.has_value());
  REQUIRE(log->lines.size() == 3);
  CHECK(log->lines[0].text == "first");
  CHECK(log->lines[1].text.size() == big.size());
  CHECK(log->lines[2].stream == "err");
  CHECK(log->lines[2].text == "last");
  auto tail = task::read_run_log(f.workspace, {"probe", "", request->run.id, {}, std::size_t{1}, false});
  REQUIRE(tail.has_value());
  REQUIRE(tail->lines.size() == 1);
  CHECK(tail->lines[0].text == "last");
  CHECK(tail->next == log->next);
  // Handed over line by line, nothing kept.
  std::vector<std::size_t> sizes;
  task::LogQuery streamed{"probe", "", request->run.id, {}, {}, false,
                          [&](const task::Run&, const task::RunLogLine& l) { sizes.push_back(l.text.size()); }};
  auto each = task::read_run_log(f.workspace, streamed);
  REQUIRE(each.has_value());
  CHECK(each->lines.empty());
  CHECK(sizes == std::vector<std::size_t>{5, big.size(), 4});
  CHECK(each->next == log->next);
}

TEST_CASE("a new revision leaves a suspended deployment suspended, unless it is to resume it") {
  Fixture f;
  REQUIRE(f.deploy(f.deploy_options("probe", f.build("probe", "one"), "@hourly")).has_value());
  REQUIRE(task::set_deployment_state(f.workspace, {"probe", ""}, task::DeploymentState::suspended).has_value());
  auto two = f.deploy(f.deploy_options("probe", f.build("probe", "two"), "@hourly"));
  REQUIRE(two.has_value());
  REQUIRE(two->after.has_value());
  CHECK(two->after->state == task::DeploymentState::suspended);
  auto back = task::rollback(f.workspace, {"probe", "", 1, false, false});
  REQUIRE(back.has_value());
  CHECK(back->after->state == task::DeploymentState::suspended);
  auto dry = task::rollback(f.workspace, {"probe", "", 2, true, false});
  REQUIRE(dry.has_value());
  CHECK(dry->dry_run);
  CHECK(f.revisions("probe").size() == 3);  // the dry run wrote nothing
  auto options = f.deploy_options("probe", 2, "@hourly");
  options.resume = true;
  auto resumed = f.deploy(options);
  REQUIRE(resumed.has_value());
  CHECK(resumed->after->state == task::DeploymentState::active);
}

TEST_CASE("a deploy's schedule: --interval, else task.yaml's for the environment, else the deployment's own") {
  Fixture f;
  auto none = f.deploy_options("probe", f.build("probe", "one"), "");
  auto refused = f.deploy(none);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == task::Errc::usage);
  auto from_file = none;
  from_file.project.schedule.by_env["development"] = "@daily";
  auto first = f.deploy(from_file);
  REQUIRE(first.has_value());
  CHECK(first->revision.schedule == "@daily");
  CHECK(first->schedule_source == task::ScheduleSource::file);
  auto flag = from_file;
  flag.interval = "@hourly";
  auto second = f.deploy(flag);
  REQUIRE(second.has_value());
  CHECK(second->revision.schedule == "@hourly");
  CHECK(second->overridden == "@daily");
  auto kept = f.deploy_options("probe", f.build("probe", "two"), "");
  auto third = f.deploy(kept);
  REQUIRE(third.has_value());
  CHECK(third->schedule_source == task::ScheduleSource::kept);
  CHECK(third->revision.schedule == "@hourly");
}
