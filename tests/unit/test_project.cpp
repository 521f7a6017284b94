#include <doctest/doctest.h>

#include "task/project.hpp"

using namespace std::chrono_literals;

namespace {
std::string error_of(std::string_view yaml) {
  auto r = task::parse_project(yaml, "task.yaml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == task::Errc::invalid_input);
  return r.error().message;
}
}  // namespace

TEST_CASE("a full task.yaml loads with every field") {
  auto r = task::parse_project(R"(name: health-check
source:
  git: https://github.com/acme/ops-tasks.git
  branch: main
  path: health-check
build:
  dockerfile: Dockerfile
  context: .
  args: {GO_VERSION: "1.22"}
run:
  command: ["/app/check"]
  env: {TARGET_URL: "https://example.org/health"}
  timeout: 5m
  retries: 2
  concurrency: replace
  catch_up: all
  starting_deadline: 10m
  history: {succeeded: 10, failed: 20}
  on_failure: {webhook: "https://chat.example/hooks/T0"}
)",
                               "task.yaml");
  REQUIRE(r.has_value());
  CHECK(r->name == "health-check");
  CHECK(r->source.git == "https://github.com/acme/ops-tasks.git");
  CHECK(r->source.branch == "main");
  CHECK(r->source.path == "health-check");
  CHECK(r->build.args.at("GO_VERSION") == "1.22");
  CHECK(r->run.command == std::vector<std::string>{"/app/check"});
  CHECK(r->run.env.at("TARGET_URL") == "https://example.org/health");
  CHECK(r->run.timeout == 300s);
  CHECK(r->run.retries == 2);
  CHECK(r->run.concurrency == task::Concurrency::replace);
  CHECK(r->run.catch_up == task::CatchUp::all);
  CHECK(*r->run.starting_deadline == 600s);
  CHECK(r->run.keep_succeeded == 10);
  CHECK(r->run.keep_failed == 20);
  CHECK(r->run.failure_webhook == "https://chat.example/hooks/T0");
}

TEST_CASE("defaults apply to a minimal task.yaml") {
  auto r = task::parse_project("name: t\n", "task.yaml");
  REQUIRE(r.has_value());
  CHECK(r->build.dockerfile == "Dockerfile");
  CHECK(r->build.context == ".");
  CHECK(r->run.timeout == 3600s);
  CHECK(r->run.concurrency == task::Concurrency::forbid);
  CHECK(r->run.catch_up == task::CatchUp::latest);
  CHECK_FALSE(r->run.starting_deadline.has_value());
}

TEST_CASE("errors name file, line and column") {
  CHECK(error_of("name: t\nnmae: x\n") == "task.yaml:2:1: unknown key `nmae` in `task.yaml`");
  CHECK(error_of("name: t\nrun:\n  timeot: 5m\n") == "task.yaml:3:3: unknown key `timeot` in `run`");
  CHECK(error_of("name: t\nrun:\n  timeout: 5 minutes\n") ==
        "task.yaml:3:12: `run.timeout`: invalid duration `5 minutes`: unknown unit ' ' at position 2");
  CHECK(error_of("name: t\nrun:\n  retries: many\n") ==
        "task.yaml:3:12: `run.retries` must be a whole number from 0 to 100");
  CHECK(error_of("name: t\nrun:\n  concurrency: sometimes\n") ==
        "task.yaml:3:16: `run.concurrency` must be one of allow, forbid, replace, not `sometimes`");
  CHECK(error_of("name: t\nrun:\n  command: /app/check\n") ==
        "task.yaml:3:12: `run.command` must be a non-empty list of strings");
  CHECK(error_of("name: t\nrun:\n  env: {1BAD: x}\n") ==
        "task.yaml:3:9: `1BAD` is not a valid environment variable name");
  CHECK(error_of("name: Bad_Name\n") ==
        "task.yaml:1:7: invalid task name `Bad_Name`: uppercase letter 'B' at position 1");
  CHECK(error_of("build: {}\n") == "task.yaml:1:1: `name` is missing");
  CHECK(error_of("name: t\nname: u\n") == "task.yaml:2:1: key `name` appears twice in `task.yaml`");
  CHECK(error_of("name: t\nrun: [1, 2]\n") == "task.yaml:2:6: `run` must be a mapping");
  CHECK(error_of("name: t\nrun:\n  on_failure: {webhook: ftp://x}\n") ==
        "task.yaml:3:25: `run.on_failure.webhook` must be an http:// or https:// URL, or ${NAME}: a key of the environment's configuration");
  CHECK(error_of("name: t\nsource: {branch: main}\n") == "task.yaml:2:9: `source.branch` and `source.path` need `source.git`");
  CHECK(error_of("name: [unclosed\n").rfind("task.yaml:", 0) == 0);
}

TEST_CASE("an unknown key suggests the nearest known one") {
  auto r = task::parse_project("name: t\nrun:\n  timeot: 5m\n", "task.yaml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().hint.rfind("did you mean `timeout`?", 0) == 0);
}

TEST_CASE("environment variable names") {
  CHECK(task::is_env_name("TARGET_URL"));
  CHECK(task::is_env_name("_x1"));
  CHECK_FALSE(task::is_env_name("1X"));
  CHECK_FALSE(task::is_env_name("A-B"));
  CHECK_FALSE(task::is_env_name(""));
}

TEST_CASE("task.yaml's schedule: one for all, one per environment with a default, and its time zone") {
  auto one = task::parse_project("name: probe\nschedule: \"*/5 * * * *\"\n", "task.yaml");
  REQUIRE(one.has_value());
  CHECK(one->schedule.for_env("development") == "*/5 * * * *");
  CHECK(one->schedule.for_env("production") == "*/5 * * * *");
  auto per = task::parse_project(
      "name: probe\ntimezone: Europe/Berlin\nschedule:\n  development: \"@every 1m\"\n  production: \"0 9 * * 1-5\"\n",
      "task.yaml");
  REQUIRE(per.has_value());
  CHECK(per->schedule.for_env("development") == "@every 1m");
  CHECK(per->schedule.for_env("production") == "0 9 * * 1-5");
  CHECK(per->schedule.for_env("staging").empty());
  CHECK(per->schedule.timezone == "Europe/Berlin");
  auto fallback = task::parse_project("name: probe\nschedule: {default: \"@hourly\", production: \"@daily\"}\n", "task.yaml");
  REQUIRE(fallback.has_value());
  CHECK(fallback->schedule.for_env("staging") == "@hourly");
  CHECK(fallback->schedule.for_env("production") == "@daily");
  auto none = task::parse_project("name: probe\n", "task.yaml");
  REQUIRE(none.has_value());
  CHECK(none->schedule.for_env("development").empty());
}

TEST_CASE("a schedule in task.yaml that does not read is an error at its line and column") {
  CHECK(error_of("name: probe\nschedule:\n  production: \"61 * * * *\"\n").starts_with("task.yaml:3:15: `schedule.production`"));
  CHECK(error_of("name: probe\nschedule: [\"* * * * *\"]\n").starts_with("task.yaml:2:11: `schedule` must be"));
  CHECK(error_of("name: probe\ntimezone: Mars/Olympus\nschedule: \"@hourly\"\n").starts_with("task.yaml:3:11:"));
}

TEST_CASE("the failure webhook may name a configuration key instead of holding the URL") {
  auto named = task::parse_project("name: probe\nrun:\n  on_failure: {webhook: \"${FAILURE_WEBHOOK}\"}\n", "task.yaml");
  REQUIRE(named.has_value());
  CHECK(named->run.failure_webhook == "${FAILURE_WEBHOOK}");
  CHECK(error_of("name: probe\nrun:\n  on_failure: {webhook: \"${not a name}\"}\n").find("${NAME}") != std::string::npos);
}
