#include "platform.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "task/schedule.hpp"

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
    if (auto counts = (*store)->count_runs(d.id, task::Timestamp{})) {
      j["runs"] = {{"total", counts->total},     {"succeeded", counts->succeeded}, {"failed", counts->failed},
                   {"timed_out", counts->timed_out}, {"skipped", counts->skipped},   {"lost", counts->lost}};
      const auto judged = counts->total - counts->skipped;
      if (judged > 0) j["success_rate"] = static_cast<double>(counts->succeeded) / static_cast<double>(judged);
    }
  }
  return j;
}

Style outcome_style(std::string_view outcome) {
  if (outcome == "succeeded") return Style::success;
  if (outcome == "failed" || outcome == "timed-out" || outcome == "lost") return Style::failure;
  if (outcome == "skipped" || outcome == "cancelled") return Style::warning;
  return Style::accent;
}

}  // namespace cli
