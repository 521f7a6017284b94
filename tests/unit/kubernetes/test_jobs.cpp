// Outcomes of runs from Jobs and Pods as a 1.20 API server returned them (recorded by
// tests/unit/kubernetes/record.sh from a real cluster).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "platform/kubernetes/jobs.hpp"

using task::RunOutcome;
using task::kube::Json;

namespace {

Json recorded(const std::string& name) {
  std::ifstream in(std::string(TASK_SOURCE_DIR) + "/tests/unit/kubernetes/recorded/" + name);
  REQUIRE_MESSAGE(in.good(), name);
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

// The run of the recording's Job, with the Pods of the same recording.
task::Run run_in(const Json& j) {
  std::vector<const Json*> pods;
  for (const auto& p : j["pods"]["items"]) pods.push_back(&p);
  return task::kube::run_of(j["job"], pods);
}

task::Timestamp at(const Json& text) { return *task::kube::api_time(text); }
const Json& state(const Json& j, std::size_t pod = 0) { return j["pods"]["items"][pod]["status"]["containerStatuses"][0]["state"]; }

// The CronJob controller names a Job <cronjob>-<minutes since the epoch>.
task::Timestamp minute_of(const Json& j) {
  const std::string name = j["job"]["metadata"]["name"];
  return task::Timestamp(std::chrono::minutes(std::stoll(name.substr(name.rfind('-') + 1))));
}

}  // namespace

TEST_CASE("runs: a completed Job succeeded, at the minute of its name") {
  const auto j = recorded("succeeded.json");
  const auto r = run_in(j);
  CHECK(r.outcome == RunOutcome::succeeded);
  CHECK(r.id == j["job"]["metadata"]["name"]);
  CHECK(r.task == "probe");
  CHECK(r.env == "development");
  CHECK(r.revision == 1);
  CHECK(r.trigger == task::RunTrigger::schedule);
  CHECK(r.exit_code == 0);
  CHECK(r.attempt == 1);
  CHECK(r.scheduled_at == minute_of(j));
  CHECK(r.started_at == at(state(j)["terminated"]["startedAt"]));
  CHECK(r.finished_at == at(state(j)["terminated"]["finishedAt"]));
}

TEST_CASE("runs: a Job past its backoff limit failed, with its last Pod's exit code") {
  const auto j = recorded("failed.json");
  const auto r = run_in(j);
  CHECK(r.outcome == RunOutcome::failed);
  CHECK(r.exit_code == 3);
  CHECK(r.attempt == 2);
  CHECK(r.error == "Job has reached the specified backoff limit");
  const auto first = std::min(at(state(j, 0)["terminated"]["startedAt"]), at(state(j, 1)["terminated"]["startedAt"]));
  CHECK(r.started_at == first);  // the first attempt's start
}

TEST_CASE("runs: a Job past its deadline timed out") {
  const auto j = recorded("timed-out.json");
  const auto r = run_in(j);
  CHECK(r.outcome == RunOutcome::timed_out);
  CHECK(r.trigger == task::RunTrigger::manual);
  CHECK(r.forced);
  CHECK(r.scheduled_at == at(Json("2026-12-01T23:07:12.345Z")));  // task's own annotation
  CHECK(r.finished_at == at(j["job"]["status"]["conditions"][0]["lastTransitionTime"]));
  // The same deadline with no Pod that ever started (deleted by the controller, or never
  // scheduled): the platform's fault.
  const auto never = task::kube::run_of(j["job"], {});
  CHECK(never.outcome == RunOutcome::error);
  CHECK(never.error.find("never started") != std::string::npos);
}

TEST_CASE("runs: a Pod that cannot pull its image is the platform's fault") {
  const auto r = run_in(recorded("image-pull.json"));
  CHECK(r.outcome == RunOutcome::error);
  CHECK(r.error.find("ImagePullBackOff") != std::string::npos);
  CHECK_FALSE(r.exit_code.has_value());
}

TEST_CASE("runs: a Job whose Pod runs is running; one without a Pod is pending") {
  const auto j = recorded("running.json");
  const auto r = run_in(j);
  CHECK(r.outcome == RunOutcome::running);
  CHECK(r.started_at == at(state(j)["running"]["startedAt"]));
  CHECK_FALSE(r.finished_at.has_value());
  CHECK(task::kube::run_of(j["job"], {}).outcome == RunOutcome::pending);
  CHECK(task::kube::api_time(Json("2026-12-01T23:10:00.5Z")) ==
        task::Timestamp(std::chrono::seconds(1796166600) + std::chrono::milliseconds(500)));
}
