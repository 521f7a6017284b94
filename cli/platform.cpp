#include "platform.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "task/project.hpp"
#include "task/schedule.hpp"
#include "task/stats.hpp"

namespace cli {

task::Result<task::EnvironmentRecord> resolve_env(task::Store& store, const std::string& name) {
  if (!name.empty()) return store.get_environment(name);
  auto all = store.list_environments();
  if (!all) return std::unexpected(all.error());
  if (all->empty()) return task::fail(task::Errc::not_found, "there are no environments", "`task env list` shows them");
  return all->front();
}

task::AgentStatus ensure_agent(Context& ctx, const task::EnvironmentRecord& env) {
  if (env.platform != "local") return {};
  auto status = task::agent_status(ctx.paths.state);
  if (status.running) {
    task::wake_agent(ctx.paths.state);
    return status;
  }
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return status;
  auto started = task::start_agent(ctx.paths.state, self);
  if (!started) {
    ctx.out.note(fmt::format("warning: {}", started.error().message));
    return status;
  }
  ctx.out.note(fmt::format("started the agent (pid {}); `task agent status` shows it", started->pid));
  return *started;
}

nlohmann::json policy_json(const task::RunPolicy& p) {
  nlohmann::json j{{"command", p.command},
                   {"env", p.env},
                   {"timeout_s", p.timeout.count()},
                   {"retries", p.retries},
                   {"concurrency", task::to_string(p.concurrency)},
                   {"catch_up", task::to_string(p.catch_up)},
                   {"history", {{"succeeded", p.keep_succeeded}, {"failed", p.keep_failed}}}};
  j["starting_deadline_s"] = p.starting_deadline ? nlohmann::json(p.starting_deadline->count()) : nlohmann::json();
  return j;
}

nlohmann::json run_json(const task::RunRecord& r) {
  auto opt = [](const std::optional<task::Timestamp>& t) { return t ? nlohmann::json(rfc3339_ms(*t)) : nlohmann::json(); };
  nlohmann::json j{{"id", r.id},
                   {"task", r.task},
                   {"env", r.env},
                   {"revision", r.revision},
                   {"scheduled_at", rfc3339_ms(r.scheduled_at)},
                   {"scheduled_ms", r.scheduled_at.time_since_epoch().count()},
                   {"started_at", opt(r.started_at)},
                   {"finished_at", opt(r.finished_at)},
                   {"outcome", task::to_string(r.outcome)},
                   {"exit_code", r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json()},
                   {"trigger", task::to_string(r.trigger)},
                   {"attempt", r.attempt},
                   {"error", r.error},
                   {"log", r.log_path.string()}};
  j["lateness_ms"] = r.started_at ? nlohmann::json((*r.started_at - r.scheduled_at).count()) : nlohmann::json();
  j["duration_ms"] =
      r.started_at && r.finished_at ? nlohmann::json((*r.finished_at - *r.started_at).count()) : nlohmann::json();
  return j;
}

nlohmann::json deployment_json(const task::DeploymentRecord& d, Context& ctx) {
  nlohmann::json j{{"task", d.task},
                   {"env", d.env},
                   {"state", task::to_string(d.state)},
                   {"revision", d.revision.number},
                   {"image", d.revision.image_ref},
                   {"image_id", d.revision.image_id},
                   {"build", d.revision.build_id},
                   {"schedule", d.revision.schedule},
                   {"timezone", d.revision.timezone},
                   {"policy", policy_json(d.revision.policy)},
                   {"deployed_at", rfc3339(d.revision.created_at)},
                   {"project_dir", d.project_dir}};
  j["next_run"] = nullptr;
  if (d.state == task::DeploymentState::active) {
    if (auto schedule = task::parse_schedule(d.revision.schedule, d.revision.timezone)) {
      auto now = std::chrono::floor<std::chrono::seconds>(ctx.now());
      if (auto next = task::next_fire_after(*schedule, now)) j["next_run"] = task::format_rfc3339(*next, *schedule);
    }
  }
  j["last_run"] = nullptr;
  j["success_rate"] = nullptr;
  if (auto store = ctx.store()) {
    if (auto recent = (*store)->recent_runs(d.id, 1); recent && !recent->empty()) j["last_run"] = run_json(recent->front());
    // The last 24 hours, and the newest runs' outcomes for a sparkline.
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(ctx.now());
    if (auto health = task::recent_health(**store, d.id, now - std::chrono::hours(24), now + std::chrono::minutes(1),
                                          status_outcomes)) {
      const auto& c = health->counts;
      j["runs"] = {{"window", "24h"},      {"total", c.runs},       {"succeeded", c.succeeded}, {"failed", c.failed},
                   {"timed_out", c.timed_out}, {"skipped", c.skipped}, {"lost", c.lost},         {"cancelled", c.cancelled}};
      if (auto rate = c.success_rate()) j["success_rate"] = *rate;
      nlohmann::json outcomes = nlohmann::json::array();
      for (auto o : health->outcomes) outcomes.push_back(task::to_string(o));
      j["recent_outcomes"] = outcomes;
    }
  }
  return j;
}

std::string revision_changes(const std::optional<task::DeploymentRecord>& current, const task::RevisionRecord& next) {
  if (!current) return "new deployment";
  const auto& c = current->revision;
  std::vector<std::string> what;
  if (c.image_id != next.image_id) what.push_back("image");
  if (c.schedule != next.schedule) what.push_back("schedule");
  if (c.timezone != next.timezone) what.push_back("time zone");
  if (policy_json(c.policy) != policy_json(next.policy)) what.push_back("run policy");
  std::vector<std::string> keys;
  for (const auto& [key, v] : next.config) {
    auto it = c.config.find(key);
    if (it == c.config.end() || !(it->second == v)) keys.push_back(key);
  }
  for (const auto& [key, v] : c.config) {
    if (!next.config.contains(key)) keys.push_back(key);
  }
  if (!keys.empty()) {
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "" : " ") + k;
    what.push_back("config " + list);
  }
  if (current->state != task::DeploymentState::active) what.push_back("resumed");
  std::string text;
  for (const auto& w : what) text += (text.empty() ? "" : ", ") + w;
  return text;
}

task::Result<void> commit_revision(Context& ctx, task::Store& store, const std::string& task_name,
                                   const task::EnvironmentRecord& env, const std::string& project_dir,
                                   task::RevisionRecord revision, std::string_view verb) {
  auto schedule = task::parse_schedule(revision.schedule, revision.timezone);
  if (!schedule) return std::unexpected(schedule.error());
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(ctx.now());
  auto deployed = store.deploy(task_name, env.name, project_dir, revision, now);
  if (!deployed) return std::unexpected(deployed.error());
  const auto next = task::next_fire_times(*schedule, std::chrono::floor<std::chrono::seconds>(now), 3);
  nlohmann::json next_json = nlohmann::json::array();
  for (auto t : next) next_json.push_back(task::format_rfc3339(t, *schedule));
  auto agent = ensure_agent(ctx, env);
  ctx.out.emit(
      {{"deployment", deployment_json(*deployed, ctx)}, {"change", revision.change}, {"next", next_json},
       {"agent", {{"running", agent.running}, {"pid", agent.pid}}}},
      [&](std::string& out) {
        out += fmt::format("{} {} to {}: revision {} ({})\n", ctx.out.paint(Style::success, verb), task_name, env.name,
                           deployed->revision.number, revision.change);
        out += fmt::format("  image     {} ({})\n", revision.image_ref, revision.image_id.substr(0, 19));
        out += fmt::format("  schedule  {}: {}\n", revision.schedule, task::describe(*schedule));
        for (std::size_t i = 0; i < next.size(); ++i) {
          out += fmt::format("  {}  {}\n", i == 0 ? "next runs" : "         ", next_json[i].get<std::string>());
        }
        out += agent.running ? fmt::format("  agent     running (pid {})\n", agent.pid)
                             : "  agent     not running: start it with `task agent start`\n";
      });
  return {};
}

task::Result<std::map<std::string, task::ConfigValue>> parse_config_pairs(const std::vector<std::string>& pairs,
                                                                          bool secret) {
  std::map<std::string, task::ConfigValue> out;
  for (const auto& pair : pairs) {
    auto eq = pair.find('=');
    const std::string key = pair.substr(0, eq);
    if (eq == std::string::npos) {
      return task::fail(task::Errc::usage, fmt::format("`{}` is not KEY=VALUE", key), "e.g. task config set TARGET_URL=https://example.org");
    }
    if (!task::is_env_name(key)) {
      return task::fail(task::Errc::invalid_input, fmt::format("`{}` is not a valid environment variable name", key),
                        "use letters, digits and _, not starting with a digit");
    }
    const std::string value = pair.substr(eq + 1);
    if (value.find_first_of("\n\r") != std::string::npos || value.find('\0') != std::string::npos) {
      return task::fail(task::Errc::invalid_input, fmt::format("the value of {} has a line break", key),
                        "configuration values are single lines");
    }
    out[key] = task::ConfigValue{value, secret};
  }
  return out;
}

Style outcome_style(std::string_view outcome) {
  if (outcome == "succeeded") return Style::success;
  if (outcome == "failed" || outcome == "timed-out" || outcome == "lost") return Style::failure;
  if (outcome == "skipped" || outcome == "cancelled") return Style::warning;
  return Style::accent;
}

}  // namespace cli
