#include "platform.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "task/project.hpp"

namespace cli {

using Json = nlohmann::json;

Json policy_json(const task::RunPolicy& p) {
  Json j{{"command", p.command},
         {"env", p.env},
         {"timeout_s", p.timeout.count()},
         {"retries", p.retries},
         {"concurrency", task::to_string(p.concurrency)},
         {"catch_up", task::to_string(p.catch_up)},
         {"history", {{"succeeded", p.keep_succeeded}, {"failed", p.keep_failed}}}};
  j["starting_deadline_s"] = p.starting_deadline ? Json(p.starting_deadline->count()) : Json();
  return j;
}

Json run_id_json(const std::string& id) {
  const bool number = !id.empty() && id.size() < 19 && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
  return number ? Json(std::stoll(id)) : Json(id);
}

Json run_json(const task::Run& r) {
  auto opt = [](const std::optional<task::Timestamp>& t) { return t ? Json(rfc3339_ms(*t)) : Json(); };
  Json j{{"id", run_id_json(r.id)},
         {"task", r.task},
         {"env", r.env},
         {"revision", r.revision},
         {"scheduled_at", rfc3339_ms(r.scheduled_at)},
         {"scheduled_ms", r.scheduled_at.time_since_epoch().count()},
         {"started_at", opt(r.started_at)},
         {"finished_at", opt(r.finished_at)},
         {"outcome", task::to_string(r.outcome)},
         {"exit_code", r.exit_code ? Json(*r.exit_code) : Json()},
         {"trigger", task::to_string(r.trigger)},
         {"attempt", r.attempt},
         {"error", r.error}};
  j["lateness_ms"] = r.started_at ? Json((*r.started_at - r.scheduled_at).count()) : Json();
  j["duration_ms"] = r.started_at && r.finished_at ? Json((*r.finished_at - *r.started_at).count()) : Json();
  return j;
}

Json deployment_json(const task::DeploymentStatus& s) {
  const auto& d = s.deployment;
  Json j{{"task", d.task},
         {"env", d.env},
         {"state", task::to_string(d.state)},
         {"revision", d.revision.number},
         {"image", d.revision.image.ref},
         {"image_id", d.revision.image.digest},
         {"build", d.revision.image.build},
         {"schedule", d.revision.schedule},
         {"timezone", d.revision.timezone},
         {"policy", policy_json(d.revision.policy)},
         {"deployed_at", rfc3339(d.revision.created_at)}};
  j["next_run"] = s.next_run ? Json(*s.next_run) : Json();
  j["last_run"] = s.last_run ? run_json(*s.last_run) : Json();
  j["success_rate"] = nullptr;
  if (s.health) {
    const auto& c = s.health->counts;
    j["runs"] = {{"window", "24h"},          {"total", c.runs},         {"succeeded", c.succeeded}, {"failed", c.failed},
                 {"timed_out", c.timed_out}, {"skipped", c.skipped},    {"lost", c.lost},           {"cancelled", c.cancelled},
                 {"error", c.errors}};
    if (auto rate = c.success_rate()) j["success_rate"] = *rate;
    Json outcomes = Json::array();
    for (auto o : s.health->outcomes) outcomes.push_back(task::to_string(o));
    j["recent_outcomes"] = outcomes;
  }
  return j;
}

Json runner_json(const task::RunnerStatus& runner) {
  Json j{{"running", runner.running}, {"pid", runner.pid}};
  if (!runner.description.empty()) j["description"] = runner.description;
  if (!runner.trouble.empty()) j["trouble"] = runner.trouble;
  return j;
}

task::Result<void> print_revision(Context& ctx, const task::RevisionResult& r, std::string_view verb) {
  if (!r.runner.note.empty()) ctx.out.note(r.runner.note);
  Json next = Json::array();
  for (const auto& t : r.next_runs) next.push_back(t);
  task::DeploymentStatus status;
  status.deployment.task = r.task;
  status.deployment.env = r.env.name;
  status.deployment.revision = r.revision;
  if (auto platform = ctx.workspace().platform(r.env); platform && r.after) {
    if (auto s = task::deployment_status(ctx.workspace(), **platform, *r.after)) status = std::move(*s);
  }
  ctx.out.essential(std::to_string(r.revision.number)).emit({{"deployment", deployment_json(status)}, {"change", r.revision.change}, {"next", next},
                {"agent", runner_json(r.runner)}},
               [&](std::string& out) {
                 out += fmt::format("{} {} to {}: revision {} ({})\n", ctx.out.paint(Style::success, verb), r.task,
                                    r.env.name, r.revision.number, r.revision.change);
                 out += fmt::format("  image     {} ({})\n", r.revision.image.ref, r.revision.image.digest.substr(0, 19));
                 out += fmt::format("  schedule  {}: {}\n", r.revision.schedule, r.schedule_words);
                 const bool suspended = r.after && r.after->state == task::DeploymentState::suspended;
                 if (suspended) {
                   out += "  state     suspended: no runs until `task resume` (or this command with --resume)\n";
                 }
                 for (std::size_t i = 0; !suspended && i < r.next_runs.size(); ++i) {
                   out += fmt::format("  {}  {}\n", i == 0 ? "next runs" : "         ", r.next_runs[i]);
                 }
                 if (!r.runner.description.empty()) {
                   out += fmt::format("  runs by   {}\n", r.runner.description);
                 } else {
                   out += r.runner.running ? fmt::format("  agent     running (pid {})\n", r.runner.pid)
                                           : "  agent     not running: start it with `task agent start`\n";
                 }
               });
  return {};
}

Style outcome_style(std::string_view outcome) {
  if (outcome == "succeeded") return Style::success;
  if (outcome == "failed" || outcome == "timed-out" || outcome == "lost") return Style::failure;
  if (outcome == "skipped" || outcome == "cancelled" || outcome == "error") return Style::warning;
  return Style::accent;
}

namespace {
std::string& named_task() {
  static std::string name;
  return name;
}
}  // namespace

void set_named_task(std::string name) { named_task() = std::move(name); }
bool task_named() { return !named_task().empty(); }

std::string project_task() {
  if (task_named()) return named_task();
  auto config = task::load_project(std::filesystem::current_path());
  return config ? config->name : std::string{};
}

task::Result<std::string> required_project_task() {
  if (task_named()) return named_task();
  auto config = task::load_project(std::filesystem::current_path());
  if (!config) {
    if (config.error().code == task::Errc::not_found) {
      return task::fail(config.error().code, config.error().message,
                        "run this in a task project, or name the task: --task NAME (`task status` lists them)");
    }
    return std::unexpected(config.error());
  }
  return config->name;
}

}  // namespace cli
