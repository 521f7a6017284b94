// Failure notices: when one is due, what it says, the retry policy, and the store's
// outbox (queued with the outcome; a recovery only after a failure).
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "platform/local/agent/notify.hpp"
#include "platform/local/store.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using task::RunOutcome;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "task-notify-XXXXXX").string();
    path = fs::path(mkdtemp(pattern.data()));
  }
  ~TempDir() { fs::remove_all(path); }
};

task::Timestamp at(std::int64_t seconds) { return task::Timestamp(std::chrono::seconds(seconds)); }

}  // namespace

TEST_CASE("a notice is due for the last failed attempt, a loss, and a success") {
  CHECK(task::notice_kind(RunOutcome::failed, 1, 0) == "failure");
  CHECK_FALSE(task::notice_kind(RunOutcome::failed, 1, 2).has_value());  // attempt 2 follows
  CHECK_FALSE(task::notice_kind(RunOutcome::timed_out, 2, 2).has_value());
  CHECK(task::notice_kind(RunOutcome::timed_out, 3, 2) == "failure");
  CHECK(task::notice_kind(RunOutcome::lost, 1, 5) == "failure");  // never retried
  CHECK(task::notice_kind(RunOutcome::succeeded, 1, 0) == "recovery");
  for (auto none : {RunOutcome::skipped, RunOutcome::cancelled, RunOutcome::pending, RunOutcome::running}) {
    CHECK_FALSE(task::notice_kind(none, 1, 0).has_value());
  }
}

TEST_CASE("messages show a URL's scheme and host only") {
  CHECK(task::url_origin("https://chat.example/hooks/T0?key=secret") == "https://chat.example");
  CHECK(task::url_origin("http://user:pw@127.0.0.1:8080/x") == "http://127.0.0.1:8080");
  CHECK(task::url_origin("https://chat.example?key=s") == "https://chat.example");
  CHECK(task::url_origin("https://chat.example#frag") == "https://chat.example");
  CHECK(task::url_origin("not a url") == "(a URL)");
}

TEST_CASE("the log tail is the last lines, parsed, each cut to 1000 bytes") {
  TempDir dir;
  const auto log = dir.path / "1.log";
  {
    std::ofstream out(log);
    for (int i = 1; i <= 30; ++i) out << "2026-11-28T12:00:" << (i < 10 ? "0" : "") << i << ".000000000Z out line " << i << "\n";
    out << "2026-11-28T12:00:59.000000000Z err " << std::string(1500, 'x') << "\n";
  }
  auto tail = task::run_log_tail(log, 3);
  REQUIRE(tail.size() == 3);
  CHECK(tail[0].text == "line 29");
  CHECK(tail[0].stream == "out");
  CHECK(tail[0].timestamp == "2026-11-28T12:00:29.000000000Z");
  CHECK(tail[1].text == "line 30");
  CHECK(tail[2].stream == "err");
  CHECK(tail[2].text == std::string(1000, 'x') + "…");
  CHECK(task::run_log_tail(log, 100).size() == 31);
  CHECK(task::run_log_tail(dir.path / "missing.log", 5).empty());
}

TEST_CASE("the message names the run, its outcome and the command for its log") {
  task::RunRecord run;
  run.id = 42;
  run.task = "backup";
  run.env = "production";
  run.revision = 3;
  run.trigger = task::RunTrigger::retry;
  run.attempt = 2;
  run.scheduled_at = at(1'800'000'000);
  run.started_at = at(1'800'000'000) + 5ms;
  std::vector<task::RunLogLine> tail = {{"2027-01-15T08:00:00.1Z", "err", "disk full \xff"}};
  auto j = nlohmann::json::parse(task::notice_payload("failure", run, RunOutcome::timed_out, 137,
                                                      "killed after its timeout of 5m", at(1'800'000'300), tail));
  CHECK(j["kind"] == "failure");
  CHECK(j["task"] == "backup");
  CHECK(j["env"] == "production");
  CHECK(j["run_id"] == 42);
  CHECK(j["revision"] == 3);
  CHECK(j["trigger"] == "retry");
  CHECK(j["attempt"] == 2);
  CHECK(j["outcome"] == "timed-out");
  CHECK(j["exit_code"] == 137);
  CHECK(j["scheduled_at"] == "2027-01-15T08:00:00.000Z");
  CHECK(j["started_at"] == "2027-01-15T08:00:00.005Z");
  CHECK(j["finished_at"] == "2027-01-15T08:05:00.000Z");
  CHECK(j["log_tail"][0]["stream"] == "err");
  CHECK(j["log_tail"][0]["text"] == "disk full \xef\xbf\xbd");  // invalid UTF-8 replaced, not a failure
  CHECK(j["logs_command"] == "task logs --run 42");
  CHECK(j["text"] ==
        "backup in production: run 42 timed out (exit code 137): killed after its timeout of 5m. Its log: task logs --run 42");

  run.started_at.reset();
  auto lost = nlohmann::json::parse(
      task::notice_payload("failure", run, RunOutcome::lost, std::nullopt, "its container abc is gone", at(1'800'000'300), {}));
  CHECK(lost["exit_code"].is_null());
  CHECK(lost["started_at"].is_null());
  CHECK(lost["log_tail"].empty());
  CHECK(lost["text"] == "backup in production: run 42 lost: its container abc is gone. Its log: task logs --run 42");
  auto ok = nlohmann::json::parse(task::notice_payload("recovery", run, RunOutcome::succeeded, 0, "", at(1'800'000'300), {}));
  CHECK(ok["text"] == "backup in production: run 42 succeeded after failures. Its log: task logs --run 42");
}

TEST_CASE("a delivery is retried 2s, 6s, 18s, 54s, 162s later, then given up; a 4xx is given up at once") {
  task::NoticeRecord n;
  n.id = 1;
  n.run_id = 7;
  n.kind = "failure";
  n.url = "https://chat.example/hooks/T0?key=secret";
  const auto now = at(1'800'000'000);
  task::Delivery refused{false, false, 500, "HTTP 500"};
  const std::chrono::seconds waits[] = {2s, 6s, 18s, 54s, 162s};
  for (int i = 0; i < 5; ++i) {
    auto message = task::settle_notice(n, refused, now);
    CHECK(n.state == task::NoticeState::pending);
    CHECK(n.attempts == i + 1);
    CHECK(n.next_at == now + waits[i]);
    CHECK(n.last_error == "HTTP 500");
    CHECK(message.find("secret") == std::string::npos);
  }
  CHECK(task::settle_notice(n, refused, now) ==
        "failure notice of run 7 to https://chat.example not delivered: HTTP 500 (attempt 6, given up)");
  CHECK(n.state == task::NoticeState::failed);

  task::NoticeRecord m = n;
  m.attempts = 0;
  m.state = task::NoticeState::pending;
  CHECK(task::settle_notice(m, {false, true, 404, "HTTP 404"}, now) ==
        "failure notice of run 7 to https://chat.example not delivered: HTTP 404 (attempt 1, given up: the endpoint refuses it)");
  CHECK(m.state == task::NoticeState::failed);

  task::NoticeRecord d = n;
  d.attempts = 2;
  d.state = task::NoticeState::pending;
  CHECK(task::settle_notice(d, {true, false, 204, "HTTP 204"}, now) ==
        "failure notice of run 7 to https://chat.example delivered (HTTP 204, attempt 3)");
  CHECK(d.state == task::NoticeState::delivered);
  CHECK(d.last_error.empty());
}

TEST_CASE("a transfer that cannot connect is worth retrying; a bad URL is said") {
  auto refused = task::post_notice("http://127.0.0.1:1/hook", "{}", 2s, [] { return false; });
  CHECK_FALSE(refused.delivered);
  CHECK_FALSE(refused.final);
  CHECK(refused.status == 0);
  CHECK_FALSE(refused.detail.empty());
  auto wrong = task::post_notice("ftp://127.0.0.1/x", "{}", 2s, [] { return false; });
  CHECK_FALSE(wrong.delivered);
  CHECK_FALSE(wrong.detail.empty());
}

TEST_CASE("the outbox: a notice is queued with the outcome, a recovery only after a failure") {
  TempDir dir;
  auto store = task::Store::open(dir.path / "state");
  REQUIRE(store.has_value());
  task::Revision revision;
  revision.image.digest = "sha256:one";
  revision.schedule = "@every 1m";
  revision.command = "deploy";
  auto d = store->deploy("probe", "development", "/src/probe", revision, at(100));
  REQUIRE(d.has_value());
  auto run_at = [&](std::int64_t seconds) {
    task::NewRun r;
    r.deployment_id = d->id;
    r.revision = 1;
    r.scheduled_at = at(seconds);
    auto made = store->add_run(r, at(seconds));
    REQUIRE(made.has_value());
    return made->id;
  };
  auto finish = [&](std::int64_t id, RunOutcome outcome, const char* kind, std::int64_t seconds) {
    task::NewNotice notice{kind, "http://127.0.0.1:9/h", "{\"run\":" + std::to_string(id) + "}"};
    REQUIRE(store->finish_run(id, outcome, 0, "", at(seconds), &notice).has_value());
  };
  // A success with nothing failed before: no recovery to tell.
  finish(run_at(200), RunOutcome::succeeded, "recovery", 201);
  auto notices = store->list_notices(d->id);
  REQUIRE(notices.has_value());
  CHECK(notices->empty());

  const auto failed = run_at(300);
  finish(failed, RunOutcome::failed, "failure", 301);
  const auto recovered = run_at(400);
  finish(recovered, RunOutcome::succeeded, "recovery", 401);
  finish(run_at(500), RunOutcome::succeeded, "recovery", 501);  // a second success: nothing
  notices = store->list_notices(d->id);
  REQUIRE(notices->size() == 2);
  CHECK((*notices)[0].kind == "failure");
  CHECK((*notices)[0].run_id == failed);
  CHECK((*notices)[0].task == "probe");
  CHECK((*notices)[0].env == "development");
  CHECK((*notices)[0].payload == "{\"run\":" + std::to_string(failed) + "}");
  CHECK((*notices)[0].next_at == at(301));
  CHECK((*notices)[1].kind == "recovery");
  CHECK((*notices)[1].run_id == recovered);

  // Due oldest first; a delivery recorded with its event; the next due time follows.
  auto due = store->due_notices(at(1000), 10);
  REQUIRE(due->size() == 2);
  auto first = (*due)[0];
  first.attempts = 1;
  first.next_at = at(2000);
  first.last_error = "HTTP 500";
  REQUIRE(store->update_notice(first, "failure notice of run 1 not delivered", at(1000)).has_value());
  auto second = (*due)[1];
  second.attempts = 1;
  second.state = task::NoticeState::delivered;
  REQUIRE(store->update_notice(second, "recovery notice delivered", at(1000)).has_value());
  CHECK(store->due_notices(at(1000), 10)->empty());
  CHECK(store->next_notice_at()->value() == at(2000));
  CHECK(store->due_notices(at(2000), 10)->size() == 1);
  auto events = store->list_events("probe", "development", 10);
  REQUIRE(events.has_value());
  int notice_events = 0;
  for (const auto& e : *events) notice_events += e.kind == "notice" ? 1 : 0;
  CHECK(notice_events == 2);
}

TEST_CASE("a failure webhook named ${NAME} is the environment's configuration value NAME") {
  task::Config config;
  config["FAILURE_WEBHOOK"] = task::ConfigValue{"https://chat.example/hooks/T0", true};
  CHECK(task::resolve_webhook("https://hooks.example/a", config) == "https://hooks.example/a");
  CHECK(task::resolve_webhook("${FAILURE_WEBHOOK}", config) == "https://chat.example/hooks/T0");
  CHECK(task::resolve_webhook("${MISSING}", config).empty());
}
