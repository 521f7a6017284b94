#pragma once
// How the deployment commands render what the library returns.
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "task/builds.hpp"
#include "task/deploy.hpp"
#include "task/runs.hpp"

namespace cli {

nlohmann::json policy_json(const task::RunPolicy& policy);
// A run id as JSON: a number where the platform's ids are numbers (local), else a string.
nlohmann::json run_id_json(const std::string& id);
nlohmann::json run_json(const task::Run& run);
// A deployment with its next fire time, last run, success rate over 24 hours and the
// newest runs' outcomes.
nlohmann::json deployment_json(const task::DeploymentStatus& status);
nlohmann::json runner_json(const task::RunnerStatus& runner);
Style outcome_style(std::string_view outcome);

// What a change made ("Deployed", "Promoted" …): the revision, image, schedule and next
// fire times, and whether the runner runs; notes what was done to the runner.
task::Result<void> print_revision(Context& ctx, const task::RevisionResult& result, std::string_view verb);

// From cmd_build.cpp and cmd_builds.cpp: a build of the current project, its progress on
// stderr; a build's log.
task::Result<task::BuildRecord> build_for_deploy(Context& ctx);
task::Result<void> show_build_log(Context& ctx, int build_id);
// A build as `task build -o json` and `task builds -o json` print it.
nlohmann::json build_json(const task::BuildRecord& build);

// The task named by --task, else the project here's ("" outside a project).
std::string project_task();
// The task named by --task, else the project here's, or the error that there is none.
task::Result<std::string> required_project_task();
// --task NAME: the task every command about deployments is about, from any directory.
void set_named_task(std::string name);
bool task_named();

}  // namespace cli
