// Outcomes of runs from Jobs and Pods as a 1.20 API server returns them.
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

// The run of the recording's Job, with the Pods of the same recording that belong to it.
task::Run run_in(const std::string& name) {
  const Json j = recorded(name);
  std::vector<const Json*> pods;
  for (const auto& p : j["pods"]["items"]) pods.push_back(&p);
  return task::kube::run_of(j["job"], pods);
}

task::Timestamp at(const char* text) { return *task::kube::api_time(Json(text)); }

}  // namespace

TEST_CASE("runs: a completed scheduled Job succeeded, at the minute of its name") {
  const auto r = run_in("succeeded.json");
  CHECK(r.outcome == RunOutcome::succeeded);
  CHECK(r.task == "probe");
  CHECK(r.env == "development");
  CHECK(r.revision == 1);
  CHECK(r.trigger == task::RunTrigger::schedule);
  CHECK(r.exit_code == 0);
  CHECK(r.attempt == 1);
  CHECK(r.scheduled_at == at("2026-12-01T23:00:00Z"));
  CHECK(r.started_at == at("2026-12-01T23:00:01Z"));
  CHECK(r.finished_at == at("2026-12-01T23:00:02Z"));
}

TEST_CASE("runs: a Job past its backoff limit failed with the exit code of its last Pod") {
  const auto r = run_in("failed.json");
  CHECK(r.outcome == RunOutcome::failed);
  CHECK(r.exit_code == 3);
  CHECK(r.attempt == 2);
  CHECK(r.error == "Job has reached the specified backoff limit");
  CHECK(r.started_at == at("2026-12-01T23:05:01Z"));  // the first attempt's start
}

TEST_CASE("runs: a Job past its deadline timed out") {
  const auto r = run_in("timed-out.json");
  CHECK(r.outcome == RunOutcome::timed_out);
  CHECK(r.trigger == task::RunTrigger::manual);
  CHECK(r.forced);
  CHECK(r.scheduled_at == at("2026-12-01T23:07:12.345Z"));
  CHECK(r.finished_at == at("2026-12-01T23:07:17Z"));
}

TEST_CASE("runs: a Pod that cannot pull its image is the platform's fault") {
  const auto r = run_in("image-pull.json");
  CHECK(r.outcome == RunOutcome::error);
  CHECK(r.error.find("ImagePullBackOff") != std::string::npos);
  CHECK_FALSE(r.exit_code.has_value());
}

TEST_CASE("runs: a Job whose Pod runs is running; one without a Pod is pending") {
  const auto r = run_in("running.json");
  CHECK(r.outcome == RunOutcome::running);
  CHECK(r.started_at == at("2026-12-01T23:10:00.5Z"));
  CHECK_FALSE(r.finished_at.has_value());
  const Json j = recorded("running.json");
  CHECK(task::kube::run_of(j["job"], {}).outcome == RunOutcome::pending);
}
