#pragma once
// What the platform commands (deploy, status, runs, logs, agent) share.
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "task/agent.hpp"

namespace cli {

// The environment named, or the first one when `name` is empty.
task::Result<task::EnvironmentRecord> resolve_env(task::Store& store, const std::string& name);
// On the local platform: the agent, started in the background when it is not running,
// else woken to pick up a change.
task::AgentStatus ensure_agent(Context& ctx, const task::EnvironmentRecord& env);

nlohmann::json policy_json(const task::RunPolicy& policy);
nlohmann::json run_json(const task::RunRecord& run);
// How many of the newest runs' outcomes `task status` shows.
inline constexpr std::size_t status_outcomes = 20;
// A deployment with its next fire time, last run, success rate over 24 hours and the
// newest runs' outcomes.
nlohmann::json deployment_json(const task::DeploymentRecord& d, Context& ctx);
Style outcome_style(std::string_view outcome);

// What `next` changes against the current revision: "image, schedule", "" for nothing.
std::string revision_changes(const std::optional<task::DeploymentRecord>& current, const task::RevisionRecord& next);
// Records `revision` as the next one of (task, env), wakes or starts the agent, and
// prints what was done ("Deployed", "Promoted" …) with the next fire times.
task::Result<void> commit_revision(Context& ctx, task::Store& store, const std::string& task,
                                   const task::EnvironmentRecord& env, const std::string& project_dir,
                                   task::RevisionRecord revision, std::string_view verb);
// KEY=VALUE … with KEY a valid environment variable name and no newline in VALUE.
task::Result<std::map<std::string, task::ConfigValue>> parse_config_pairs(const std::vector<std::string>& pairs, bool secret);

// From cmd_build.cpp: a build of the current project, its progress on stderr.
task::Result<task::BuildRecord> build_for_deploy(Context& ctx);
task::Result<void> show_build_log(Context& ctx, int build_id);

}  // namespace cli
