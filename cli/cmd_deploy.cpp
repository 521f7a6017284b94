// env list, deploy, status, suspend, resume, undeploy.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "stats_view.hpp"
#include "task/agent.hpp"
#include "task/git.hpp"
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
};

task::Result<void> run_env_list(Context& ctx) {
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto envs = (*store)->list_environments();
  if (!envs) return std::unexpected(envs.error());
  Json list = Json::array();
  for (const auto& e : *envs) {
    list.push_back({{"name", e.name},
                    {"position", e.position},
                    {"platform", e.platform},
                    {"allow_direct_deploy", e.allow_direct_deploy},
                    {"network", e.network}});
  }
  ctx.out.emit({{"environments", list}}, [&](std::string& out) {
    Table table({"NAME", "ORDER", "PLATFORM", "DIRECT DEPLOY", "NETWORK"});
    for (const auto& e : *envs) {
      table.add({e.name, std::to_string(e.position + 1), e.platform,
                 e.allow_direct_deploy ? "yes" : "no (promotions only)", e.network});
    }
    table.render(out, ctx.out);
  });
  return {};
}

// The build to deploy: the one given, or the newest successful build of the project's
// current commit, building it first when there is none.
task::Result<task::BuildRecord> build_to_deploy(Context& ctx, task::Store& store, const task::ProjectConfig& config,
                                                int build_id) {
  if (build_id > 0) {
    auto build = store.get_build(build_id);
    if (!build) return build;
    if (build->task != config.name) {
      return task::fail(task::Errc::invalid_input, fmt::format("build {} is of {}, not {}", build_id, build->task, config.name),
                        "`task builds` lists this task's builds");
    }
    if (build->status != task::BuildStatus::succeeded) {
      return task::fail(task::Errc::invalid_input, fmt::format("build {} {}: only a successful build can be deployed", build_id,
                                                               task::to_string(build->status)),
                        "`task builds` lists this task's builds");
    }
    return build;
  }
  if (config.source.git.empty()) {
    auto scratch = fs::temp_directory_path() / "task-deploy-unused";
    auto source = task::resolve_local_source(fs::current_path(), "", scratch);
    if (source && !source->dirty) {
      auto existing = store.build_for_commit(config.name, source->commit.id);
      if (!existing) return std::unexpected(existing.error());
      if (*existing) return **existing;
    }
  } else if (auto latest = store.latest_build(config.name, true)) {
    return latest;
  }
  ctx.out.note(fmt::format("no build of {} for its current source yet: building it", config.name));
  return build_for_deploy(ctx);
}

task::Result<void> run_deploy(Context& ctx, const DeployFlags& o) {
  if (o.interval.empty()) {
    return task::fail(task::Errc::usage, "--interval is required", "e.g. --interval \"*/5 * * * *\" or --interval @every 30s");
  }
  if (o.build_id > 0 && !o.image.empty()) return task::fail(task::Errc::usage, "give --build or --image, not both");
  auto config = task::load_project(fs::current_path());
  if (!config) return std::unexpected(config.error());
  // The schedule first: nothing is built or written for a schedule that cannot run.
  auto schedule = task::parse_schedule(o.interval, o.timezone);
  if (!schedule) return std::unexpected(schedule.error());
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto env = resolve_env(**store, o.env);
  if (!env) return std::unexpected(env.error());
  if (!env->allow_direct_deploy) {
    return task::fail(task::Errc::conflict, fmt::format("{} takes promotions only", env->name),
                      fmt::format("deploy to an earlier environment and promote the same image with `task promote --to {}`",
                                  env->name));
  }
  std::optional<task::DeploymentRecord> current;
  if (auto d = (*store)->get_deployment(config->name, env->name)) {
    current = *d;
  } else if (d.error().code != task::Errc::not_found) {
    return std::unexpected(d.error());
  }

  task::RevisionRecord revision;
  if (!o.image.empty()) {
    auto docker = ctx.docker();
    if (!docker) return std::unexpected(docker.error());
    auto image = (*docker)->inspect_image(o.image);
    if (!image) return std::unexpected(image.error());
    revision.image_id = image->id;
    revision.image_ref = o.image;
  } else if (o.dry_run && o.build_id == 0) {
    if (auto latest = (*store)->latest_build(config->name, true)) {
      revision.image_id = latest->image_id;
      revision.image_ref = latest->image_ref;
      revision.build_id = latest->id;
    } else {
      revision.image_ref = "(built from the current commit first)";
    }
  } else {
    auto build = build_to_deploy(ctx, **store, *config, o.build_id);
    if (!build) return std::unexpected(build.error());
    revision.image_id = build->image_id;
    revision.image_ref = build->image_ref;
    revision.build_id = build->id;
  }
  revision.schedule = schedule->text();
  revision.timezone = schedule->timezone();
  revision.policy = config->run;
  revision.command = "deploy";
  auto env_config = (*store)->get_config(config->name, env->name);
  if (!env_config) return std::unexpected(env_config.error());
  revision.config = *env_config;
  revision.change = revision_changes(current, revision);

  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(ctx.now());
  const auto next = task::next_fire_times(*schedule, std::chrono::floor<std::chrono::seconds>(now), 3);
  Json next_json = Json::array();
  for (auto t : next) next_json.push_back(task::format_rfc3339(t, *schedule));

  if (o.dry_run || (current && revision.change.empty())) {
    const bool unchanged = revision.change.empty();
    Json data{{"dry_run", o.dry_run},
              {"task", config->name},
              {"env", env->name},
              {"changes", unchanged ? "nothing" : revision.change},
              {"revision", current ? current->revision.number + (unchanged ? 0 : 1) : 1},
              {"image", revision.image_ref},
              {"image_id", revision.image_id},
              {"schedule", revision.schedule},
              {"timezone", revision.timezone},
              {"next", next_json}};
    ctx.out.emit(data, [&](std::string& out) {
      if (unchanged) {
        out += fmt::format("{} in {} is already at revision {} with this image, schedule and run policy; nothing to do\n",
                           config->name, env->name, current->revision.number);
        return;
      }
      out += fmt::format("{} would deploy {} to {} as revision {} ({})\n", ctx.out.paint(Style::warning, "Dry run:"),
                         config->name, env->name, current ? current->revision.number + 1 : 1, revision.change);
      out += fmt::format("  image     {}{}\n", revision.image_ref,
                         revision.image_id.empty() ? "" : " (" + revision.image_id.substr(0, 19) + ")");
      out += fmt::format("  schedule  {}: {}\n", revision.schedule, task::describe(*schedule));
      out += "  next      " + next_json[0].get<std::string>() + "\n";
      out += "nothing was changed\n";
    });
    return {};
  }

  return commit_revision(ctx, **store, config->name, *env, fs::current_path().string(), std::move(revision), "Deployed");
}

// The newest runs' outcomes, oldest first, one cell each.
std::string recent_sparkline(const Json& deployment, bool fancy) {
  if (!deployment.contains("recent_outcomes") || deployment["recent_outcomes"].empty()) return "-";
  std::vector<task::RunOutcome> outcomes;
  for (const auto& o : deployment["recent_outcomes"]) {
    const auto text = o.get<std::string>();
    for (auto candidate : {task::RunOutcome::succeeded, task::RunOutcome::failed, task::RunOutcome::timed_out,
                           task::RunOutcome::skipped, task::RunOutcome::lost, task::RunOutcome::cancelled}) {
      if (task::to_string(candidate) == text) outcomes.push_back(candidate);
    }
  }
  return outcome_sparkline(outcomes, fancy);
}

task::Result<void> run_status(Context& ctx) {
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto deployments = (*store)->list_deployments(false);
  if (!deployments) return std::unexpected(deployments.error());
  auto agent = task::agent_status(ctx.paths.state);
  Json list = Json::array();
  for (const auto& d : *deployments) list.push_back(deployment_json(d, ctx));
  ctx.out.emit({{"deployments", list}, {"agent", {{"running", agent.running}, {"pid", agent.pid}}}},
               [&](std::string& out) {
                 if (deployments->empty()) {
                   out += "nothing deployed yet: run `task deploy --interval SCHEDULE` in a task project\n";
                 } else {
                   Table table({"TASK", "ENV", "REV", "SCHEDULE", "STATE", "NEXT RUN", "LAST RUN", "OUTCOME",
                                "SUCCESS 24H", "RECENT"});
                   for (std::size_t i = 0; i < deployments->size(); ++i) {
                     const auto& d = (*deployments)[i];
                     const Json& j = list[i];
                     std::string last = "-", outcome = "-";
                     if (j["last_run"].is_object()) {
                       const auto& r = j["last_run"];
                       last = fmt::format("#{} {}", r["id"].get<std::int64_t>(),
                                          age(task::Timestamp(std::chrono::milliseconds(r["scheduled_ms"].get<std::int64_t>())),
                                              ctx.now()));
                       outcome = ctx.out.paint(outcome_style(r["outcome"].get<std::string>()), r["outcome"].get<std::string>());
                     }
                     table.add({d.task, d.env, std::to_string(d.revision.number),
                                d.revision.schedule + (d.revision.timezone == "UTC" ? "" : " " + d.revision.timezone),
                                std::string(task::to_string(d.state)),
                                j["next_run"].is_string() ? j["next_run"].get<std::string>() : "-", last, outcome,
                                j["success_rate"].is_number()
                                    ? fmt::format("{:.1f}% of {}", j["success_rate"].get<double>() * 100,
                                                  j["runs"]["succeeded"].get<std::int64_t>() +
                                                      j["runs"]["failed"].get<std::int64_t>() +
                                                      j["runs"]["timed_out"].get<std::int64_t>() +
                                                      j["runs"]["lost"].get<std::int64_t>())
                                    : "-",
                                recent_sparkline(j, ctx.out.color())});
                   }
                   table.render(out, ctx.out);
                 }
                 out += agent.running ? fmt::format("agent: running (pid {})\n", agent.pid)
                                      : std::string("agent: not running; `task agent start` starts it\n");
               });
  return {};
}

task::Result<void> run_set_state(Context& ctx, const std::string& env_name, task::DeploymentState state) {
  auto config = task::load_project(fs::current_path());
  if (!config) return std::unexpected(config.error());
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto env = resolve_env(**store, env_name);
  if (!env) return std::unexpected(env.error());
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(ctx.now());
  auto d = (*store)->set_deployment_state(config->name, env->name, state, now);
  if (!d) return std::unexpected(d.error());
  task::wake_agent(ctx.paths.state);
  const char* verb = state == task::DeploymentState::suspended ? "Suspended"
                     : state == task::DeploymentState::removed ? "Undeployed"
                                                               : "Resumed";
  ctx.out.emit({{"task", d->task}, {"env", d->env}, {"state", task::to_string(state)}, {"revision", d->revision.number}},
               [&](std::string& out) {
                 out += fmt::format("{} {} in {}", ctx.out.paint(Style::success, verb), d->task, d->env);
                 if (state == task::DeploymentState::suspended) out += ": no new runs until `task resume`";
                 if (state == task::DeploymentState::removed) out += ": no new runs; its history is kept";
                 if (state == task::DeploymentState::active) out += ": runs follow its schedule from now on";
                 out += "\n";
               });
  return {};
}

}  // namespace

void add_deploy_commands(Commands& commands) {
  commands.push_back({.words = {"env"}, .summary = "Environments: where deployments run, in promotion order"});
  commands.push_back({
      .words = {"env", "list"},
      .summary = "List the environments in promotion order",
      .examples = {{"task env list", ""}, {"task env list -o json | jq -r '.environments[].name'", ""}},
      .run = [](Context& ctx) { return run_env_list(ctx); },
  });
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
      .flags = {{"--interval", "SCHEDULE", "When to run: cron (5 or 6 fields), @hourly, @every 30s …", &o->interval},
                {"--timezone", "TZ", "IANA time zone of the schedule (default UTC)", &o->timezone},
                {"--env", "ENV", "The environment (default: the first, development)", &o->env},
                {"--build", "ID", "Deploy this build (see `task builds`)", &o->build_id},
                {"--image", "REF", "Deploy this image from the Docker engine instead of a build", &o->image},
                {"--dry-run", "", "Check everything and show what would change; change nothing", &o->dry_run}},
      .examples = {{"task deploy --interval \"*/5 * * * *\"", "every five minutes"},
                   {"task deploy --interval \"0 9 * * 1-5\" --timezone Europe/Berlin", "weekdays at 09:00 in Berlin"},
                   {"task deploy --interval @every 2s --dry-run", "what would change"}},
      .run = [o](Context& ctx) { return run_deploy(ctx, *o); },
  });
  commands.push_back({
      .words = {"status"},
      .summary = "Every deployment: revision, schedule, next run, last run and success rate",
      .examples = {{"task status", ""}, {"task status -o json | jq '.deployments[] | {task, env, next_run}'", ""}},
      .run = [](Context& ctx) { return run_status(ctx); },
  });
  struct StateFlags {
    std::string env;
  };
  for (auto [word, state, summary] :
       {std::tuple{"suspend", task::DeploymentState::suspended, "Pause a deployment: no new runs until resumed"},
        std::tuple{"resume", task::DeploymentState::active, "Resume a suspended deployment"},
        std::tuple{"undeploy", task::DeploymentState::removed, "Remove a deployment; its runs and logs are kept"}}) {
    auto f = std::make_shared<StateFlags>();
    const std::string w = word;
    const auto s = state;
    commands.push_back({
        .words = {w},
        .summary = summary,
        .flags = {{"--env", "ENV", "The environment (default: the first, development)", &f->env}},
        .examples = {{"task " + w, ""}, {"task " + w + " --env production", ""}},
        .run = [f, s](Context& ctx) { return run_set_state(ctx, f->env, s); },
    });
  }
}

}  // namespace cli
