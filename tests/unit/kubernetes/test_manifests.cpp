// The objects a deployment is on a cluster, and schedules: translated exactly, or refused.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "platform/kubernetes/manifests.hpp"

using task::kube::cron_schedule;
using task::kube::ServerFeatures;

namespace {

const ServerFeatures old_server{"v1.20.2", "batch/v1beta1", false};
const ServerFeatures new_server{"v1.30.1", "batch/v1", true};

std::string cron(const std::string& schedule, const std::string& tz = "", const ServerFeatures& s = old_server) {
  auto c = cron_schedule(schedule, tz, s);
  REQUIRE_MESSAGE(c.has_value(), c.error().message);
  return c->expression;
}

std::string refusal(const std::string& schedule, const std::string& tz = "", const ServerFeatures& s = old_server) {
  auto c = cron_schedule(schedule, tz, s);
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == task::Errc::invalid_input);
  return c.error().message + " | " + c.error().hint;
}

task::kube::Json golden(const std::string& name) {
  std::ifstream in(std::string(TASK_SOURCE_DIR) + "/tests/unit/kubernetes/golden/" + name);
  REQUIRE_MESSAGE(in.good(), name);
  std::stringstream text;
  text << in.rdbuf();
  return task::kube::Json::parse(text.str());
}

task::Revision revision() {
  task::Revision r;
  r.number = 3;
  r.image = {"127.0.0.1:5000/acme/probe@sha256:" + std::string(64, 'a'), "sha256:" + std::string(64, 'a'), 7};
  r.schedule = "*/5 * * * *";
  r.policy.command = {"probe", "--once"};
  r.policy.env = {{"MODE", "check"}, {"TARGET_URL", "from-yaml"}};
  r.policy.timeout = std::chrono::seconds(90);
  r.policy.retries = 2;
  r.policy.concurrency = task::Concurrency::forbid;
  r.policy.starting_deadline = std::chrono::seconds(30);
  r.policy.keep_succeeded = 5;
  r.policy.keep_failed = 3;
  r.config = {{"TARGET_URL", {"https://example.org", false}}, {"API_TOKEN", {"hunter22", true}}};
  return r;
}

}  // namespace

TEST_CASE("schedules: cron expressions are written out field by field") {
  CHECK(cron("*/5 * * * *") == "*/5 * * * *");
  CHECK(cron("0 9 * * 1-5") == "0 9 * * 1-5");
  CHECK(cron("0 9 * * MON-FRI") == "0 9 * * 1-5");
  CHECK(cron("30 2 1,15 * *") == "30 2 1,15 * *");
  CHECK(cron("0 0 1 * SUN") == "0 0 1 * 0");                   // both day fields: either one
  CHECK(cron("0 0 * * 7") == "0 0 * * 0");
  CHECK(cron("0 0 ? * *") == "0 0 * * *");
  CHECK(cron("5-59/10 * * * *") == "5-59/10 * * * *");
  CHECK(cron("0 */6 * * *") == "0 */6 * * *");
  CHECK(cron("0 0 */2 * *") == "0 0 1-31/2 * *");             // a restricted day stays restricted
  CHECK(cron("15 10 * JAN,JUL *") == "15 10 * 1,7 *");
  CHECK(cron("@hourly") == "0 * * * *");
  CHECK(cron("@daily") == "0 0 * * *");
  CHECK(cron("@weekly") == "0 0 * * 0");
  CHECK(cron("0 * * * * *") == "* * * * *");                   // seconds 0 only: exact
}

TEST_CASE("schedules: intervals become cron only when they land on the same instants") {
  CHECK(cron("@every 1m") == "* * * * *");
  CHECK(cron("@every 5m") == "*/5 * * * *");
  CHECK(cron("@every 30m") == "*/30 * * * *");
  CHECK(cron("@every 1h") == "0 * * * *");
  CHECK(cron("@every 8h") == "0 */8 * * *");
  CHECK(cron("@every 24h") == "0 0 * * *");
  CHECK(refusal("@every 10s").find("at most once a minute") != std::string::npos);
  CHECK(refusal("@every 90s").find("at most once a minute") != std::string::npos);
  CHECK(refusal("@every 7m").find("no 5-field cron expression fires every 7m") != std::string::npos);
  CHECK(refusal("@every 5h").find("1m, 2m, 5m") != std::string::npos);
  CHECK(refusal("@every 48h").find("no 5-field cron expression") != std::string::npos);
}

TEST_CASE("schedules: seconds, extensions and time zones the server cannot honour are refused") {
  CHECK(refusal("*/10 * * * * *").find("names seconds") != std::string::npos);
  CHECK(refusal("0 0 L * *").find("`L` (the last day or weekday of the month) in `L` has no form") != std::string::npos);
  CHECK(refusal("0 0 15W * *").find("`W` (the nearest weekday) in `15W`") != std::string::npos);
  CHECK(refusal("0 0 * * FRI#3").find("`#` (the nth weekday of the month) in `FRI#3`") != std::string::npos);
  CHECK(refusal("0 9 * * 1-5", "Europe/Berlin").find("time zone Europe/Berlin needs a CronJob timeZone, which this API server (v1.20.2)") !=
        std::string::npos);
  auto berlin = cron_schedule("0 9 * * 1-5", "Europe/Berlin", new_server);
  REQUIRE(berlin.has_value());
  CHECK(berlin->time_zone == "Europe/Berlin");
  CHECK(cron_schedule("0 9 * * *", "", new_server)->time_zone == "Etc/UTC");
  CHECK(cron_schedule("0 9 * * *", "", old_server)->time_zone.empty());
}

TEST_CASE("manifests: the CronJob, ConfigMap and Secret of a revision") {
  const task::kube::Target at{"probe", "development", "tasks"};
  const auto r = revision();
  auto schedule = cron_schedule(r.schedule, r.timezone, old_server);
  REQUIRE(schedule.has_value());
  CHECK(task::kube::cronjob_manifest(at, r, *schedule, false, old_server) == golden("cronjob-v1beta1.json"));
  auto suspended = task::kube::cronjob_manifest(at, r, *cron_schedule("0 9 * * *", "Europe/Berlin", new_server), true, new_server);
  CHECK(suspended["apiVersion"] == "batch/v1");
  CHECK(suspended["spec"]["suspend"] == true);
  CHECK(suspended["spec"]["timeZone"] == "Europe/Berlin");
  CHECK(task::kube::config_map_manifest(at, r) == golden("configmap.json"));
  CHECK(task::kube::secret_manifest(at, r) == golden("secret.json"));
  // No secret value anywhere but the Secret, and there only encoded.
  CHECK(task::kube::cronjob_manifest(at, r, *schedule, false, old_server).dump().find("hunter22") == std::string::npos);
  CHECK(task::kube::secret_manifest(at, r).dump().find("hunter22") == std::string::npos);
}

TEST_CASE("manifests: a manual Job from the CronJob's template") {
  const task::kube::Target at{"probe", "development", "tasks"};
  auto cronjob = task::kube::cronjob_manifest(at, revision(), *cron_schedule("*/5 * * * *", "", old_server), false, old_server);
  cronjob["metadata"]["uid"] = "1f6c1a52-6b8e-4d7e-9d0b-3b1d5a8e2c11";
  const auto at_time = task::Timestamp(std::chrono::milliseconds(1'796'000'000'123));
  CHECK(task::kube::manual_job_manifest(cronjob, "probe-m-xyz", at_time, true) == golden("job-manual.json"));
}
