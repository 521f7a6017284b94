// env list, deploy, suspend, resume, undeploy.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "task/project.hpp"
#include "task/schedule.hpp"

namespace cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct DeployFlags {
  std::string interval;
  std::string timezone;
  std::string env;
  int build_id = 0;
  std::string image;
  bool dry_run = false;
  bool resume = false;
};

task::Result<void> run_set_state(Context& ctx, const std::string& env_name, task::DeploymentState state, bool yes);

task::Result<void> run_deploy(Context& ctx, const DeployFlags& o) {
  task::DeployOptions options;
  if (!(o.build_id > 0 && !o.image.empty())) {
    auto config = task::load_project(fs::current_path());
    if (!config) return std::unexpected(config.error());
    options.project = std::move(*config);
  }
  if (task_named() && project_task() != options.project.name && !options.project.name.empty()) {
    return task::fail(task::Errc::usage,
                      fmt::format("deploy works on the project here ({}), not on --task {}", options.project.name,
                                  project_task()),
                      "run it in that task's project directory, or with -C DIR");
  }
  options.project_dir = fs::current_path();
  options.env = o.env;
  options.interval = o.interval;
  options.timezone = o.timezone;
  options.build = o.build_id;
  options.image = o.image;
  options.dry_run = o.dry_run;
  options.resume = o.resume;
  options.git = {ctx.paths.cache, ctx.env};
  options.note = [&ctx](const std::string& line) { ctx.out.note(line); };
  options.build_now = [&]() {
    ctx.out.note(fmt::format("no build of {} for its current source yet: building it", options.project.name));
    return build_for_deploy(ctx);
  };
  auto result = task::deploy(ctx.workspace(), options);
  if (!result) return std::unexpected(result.error());
  const auto& r = *result;
  const std::string zone = r.revision.timezone == "UTC" ? "" : " (" + r.revision.timezone + ")";
  if (r.schedule_source == task::ScheduleSource::kept) {
    ctx.out.note(fmt::format("{} keeps its schedule {}{}; --interval or task.yaml's `schedule:` changes it", r.env.name,
                             r.revision.schedule, zone));
  } else if (r.schedule_source == task::ScheduleSource::file) {
    ctx.out.note(fmt::format("the schedule for {} from task.yaml: {}{}", r.env.name, r.revision.schedule, zone));
  } else if (!r.overridden.empty()) {
    ctx.out.note(fmt::format("--interval overrides task.yaml's schedule for {} ({})", r.env.name, r.overridden));
  }
  if (!r.dry_run && r.changed) return print_revision(ctx, r, "Deployed");
  if (!r.dry_run && o.resume && r.before && r.before->state == task::DeploymentState::suspended) {
    return run_set_state(ctx, r.env.name, task::DeploymentState::active, false);  // nothing else to change
  }
  const std::int64_t current = r.before ? r.before->revision.number : 0;
  Json next_json = Json::array();
  for (const auto& t : r.next_runs) next_json.push_back(t);
  Json data{{"dry_run", r.dry_run},
            {"task", r.task},
            {"env", r.env.name},
            {"changes", r.changed ? r.revision.change : "nothing"},
            {"revision", r.revision.number},
            {"image", r.revision.image.ref},
            {"image_id", r.revision.image.digest},
            {"schedule", r.revision.schedule},
            {"timezone", r.revision.timezone},
            {"next", next_json}};
  ctx.out.essential("").emit(data, [&](std::string& out) {
    if (!r.changed) {
      out += fmt::format("{} in {} is already at revision {} with this image, schedule and run policy; nothing to do\n",
                         r.task, r.env.name, current);
      return;
    }
    out += fmt::format("{} would deploy {} to {} as revision {} ({})\n", ctx.out.paint(Style::warning, "Dry run:"), r.task,
                       r.env.name, r.revision.number, r.revision.change);
    out += fmt::format("  image     {}{}\n", r.revision.image.ref,
                       r.revision.image.digest.empty() ? "" : " (" + r.revision.image.digest.substr(0, 19) + ")");
    out += fmt::format("  schedule  {}: {}\n", r.revision.schedule, r.schedule_words);
    out += "  next      " + (r.next_runs.empty() ? std::string("-") : r.next_runs[0]) + "\n";
    out += "nothing was changed\n";
  });
  return {};
}

task::Result<void> run_set_state(Context& ctx, const std::string& env_name, task::DeploymentState state, bool yes) {
  auto name = required_project_task();
  if (!name) return std::unexpected(name.error());
  // Undeploying from an environment that takes promotions only (production) is asked.
  auto at = task::locate(ctx.workspace(), *name, env_name);
  if (auto current = at ? at->platform->current(at->key) : task::Result<task::Current>{};
      state == task::DeploymentState::removed && !yes && at && !at->env.allow_direct_deploy && current && current->deployment) {
    auto asked = ctx.confirm(fmt::format("Undeploy {} from {}? No new runs there; its history is kept.", *name, at->env.name), "--yes");
    if (!asked) return asked;
  }
  auto result = task::set_deployment_state(ctx.workspace(), {*name, env_name}, state);
  if (!result) return std::unexpected(result.error());
  const auto& d = result->deployment;
  const char* verb = state == task::DeploymentState::suspended ? "Suspended"
                     : state == task::DeploymentState::removed ? "Undeployed"
                                                               : "Resumed";
  ctx.out.essential("").emit({{"task", d.task}, {"env", d.env}, {"state", task::to_string(state)}, {"revision", d.revision.number},
                {"changed", result->changed}},
               [&](std::string& out) {
                 if (!result->changed) {
                   out += fmt::format("{} in {} is {} already; nothing to do\n", d.task, d.env, task::to_string(state));
                   return;
                 }
                 out += fmt::format("{} {} in {}", ctx.out.paint(Style::success, verb), d.task, d.env);
                 if (state == task::DeploymentState::suspended) out += ": no new runs until `task resume`";
                 if (state == task::DeploymentState::removed) out += ": no new runs; its history is kept";
                 if (state == task::DeploymentState::active) out += ": runs follow its schedule from now on";
                 out += "\n";
               });
  return {};
}

}  // namespace

void add_deploy_commands(Commands& commands) {
  add_env_commands(commands);
  auto o = std::make_shared<DeployFlags>();
  commands.push_back({
      .words = {"deploy"},
      .summary = "Deploy the task's image with a schedule to an environment",
      .description =
          "Deploys the newest successful build of the project's current commit (building it first when there "
          "is none), or the build or image given, to the environment (default: the first) as a new numbered "
          "revision holding the image id, the schedule and time zone, and task.yaml's run policy. The schedule is "
          "checked before anything is built or written. On the local platform the agent starts in the "
          "background when it is not running, and picks the change up at once. With `run.on_failure.webhook` in "
          "task.yaml, the agent posts a JSON message to that URL when a run fails, times out or is lost on its "
          "last attempt, and when a run succeeds after such a notice: task, environment, run id, outcome, exit "
          "code, the last 20 lines of the log with secrets masked, and the `task logs --run` command for the "
          "rest. A delivery that fails is tried again up to 6 times (2s, 6s, 18s, 54s and 162s apart), except "
          "when the endpoint answers 4xx; each attempt is in `task logs --events`.",
      .flags = {{"--interval", "SCHEDULE",
                 "When to run: cron (5 or 6 fields), @hourly, \"@every 30s\" … (default: task.yaml's `schedule:`, "
                 "else the deployment's own)",
                 &o->interval},
                {"--timezone,--tz", "TZ", "IANA time zone of the schedule (default: task.yaml's `timezone:`, else UTC)",
                 &o->timezone},
                {"--env", "ENV", "The environment (default: the first, development)", &o->env},
                {"--build", "ID", "Deploy this build (see `task builds`)", &o->build_id, {}, Complete::builds},
                {"--image", "REF", "Deploy this image from the Docker engine instead of a build", &o->image},
                {"--resume", "", "Resume the deployment if it is suspended (else it stays suspended)", &o->resume},
                {"--dry-run", "", "Check everything and show what would change; change nothing", &o->dry_run}},
      .examples = {{"task deploy --interval \"*/5 * * * *\"", "every five minutes"},
                   {"task deploy --interval \"0 9 * * 1-5\" --timezone Europe/Berlin", "weekdays at 09:00 in Berlin"},
                   {"task deploy --interval \"@every 2s\" --dry-run", "what would change"}},
      .run = [o](Context& ctx) { return run_deploy(ctx, *o); },
  });
  add_status_commands(commands);
  struct StateFlags {
    std::string env;
    bool yes = false;
  };
  for (auto [word, state, summary] :
       {std::tuple{"suspend", task::DeploymentState::suspended, "Pause a deployment: no new runs until resumed"},
        std::tuple{"resume", task::DeploymentState::active, "Resume a suspended deployment"},
        std::tuple{"undeploy", task::DeploymentState::removed, "Remove a deployment; its runs and logs are kept"}}) {
    auto f = std::make_shared<StateFlags>();
    const std::string w = word;
    const auto s = state;
    std::vector<Flag> flags{{"--env", "ENV", "The environment (default: the first, development)", &f->env}};
    if (s == task::DeploymentState::removed) {
      flags.push_back({"-y,--yes", "", "Do not ask first where it takes promotions only (production)", &f->yes});
    }
    commands.push_back({
        .words = {w},
        .summary = summary,
        .flags = flags,
        .examples = {{"task " + w, ""}, {"task " + w + " --env production", ""}},
        .run = [f, s](Context& ctx) { return run_set_state(ctx, f->env, s, f->yes); },
    });
  }
}

}  // namespace cli
