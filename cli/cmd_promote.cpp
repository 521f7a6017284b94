// promote, rollback, history, schedule set, config set/unset/list, env add/remove.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "task/name.hpp"
#include "task/project.hpp"
#include "task/schedule.hpp"

namespace cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct PromoteFlags {
  std::string from, to, env;
  std::string interval, timezone;
  bool dry_run = false;
  bool force = false;
  int revision = 0;
  bool secret = false;
  bool reveal = false;
  std::vector<std::string> pairs;
  std::string name, after, platform = "local", network = "host";
  bool allow_direct = false;
};

task::Result<task::ProjectConfig> project() { return task::load_project(fs::current_path()); }

// The project here, the store, the environment and the project's deployment there.
struct Target {
  task::ProjectConfig config;
  task::Store* store = nullptr;
  task::EnvironmentRecord env;
  task::DeploymentRecord current;
  std::vector<task::RevisionRecord> revisions;  // of `current`, oldest first
};

task::Result<Target> deployment_here(Context& ctx, const std::string& env_name) {
  Target t;
  auto config = project();
  if (!config) return std::unexpected(config.error());
  t.config = std::move(*config);
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  t.store = *store;
  auto env = resolve_env(*t.store, env_name);
  if (!env) return std::unexpected(env.error());
  t.env = std::move(*env);
  auto current = t.store->get_deployment(t.config.name, t.env.name);
  if (!current) return std::unexpected(current.error());
  t.current = std::move(*current);
  auto revisions = t.store->list_revisions(t.current.id);
  if (!revisions) return std::unexpected(revisions.error());
  t.revisions = std::move(*revisions);
  return t;
}

task::Result<void> run_promote(Context& ctx, const PromoteFlags& o) {
  auto config = project();
  if (!config) return std::unexpected(config.error());
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto envs = (*store)->list_environments();
  if (!envs) return std::unexpected(envs.error());
  auto from = resolve_env(**store, o.from);
  if (!from) return std::unexpected(from.error());
  task::Result<task::EnvironmentRecord> to = [&]() -> task::Result<task::EnvironmentRecord> {
    if (!o.to.empty()) return (*store)->get_environment(o.to);
    for (const auto& e : *envs) {
      if (e.position == from->position + 1) return e;
    }
    return task::fail(task::Errc::invalid_input, fmt::format("{} is the last environment: there is none to promote to", from->name),
                      "give --to ENV, or add one with `task env add`");
  }();
  if (!to) return std::unexpected(to.error());
  if (to->name == from->name) {
    return task::fail(task::Errc::invalid_input, fmt::format("cannot promote from {} to itself", from->name),
                      "give another environment with --to");
  }
  auto source = (*store)->get_deployment(config->name, from->name);
  if (!source) {
    return task::fail(task::Errc::not_found, fmt::format("{} is not deployed to {}: nothing to promote", config->name, from->name),
                      fmt::format("deploy it there first: `task deploy --interval SCHEDULE --env {}`", from->name));
  }
  // The image's last run where it comes from must not have failed, unless forced.
  if (auto recent = (*store)->recent_runs(source->id, 20); recent && !o.force) {
    for (const auto& r : *recent) {
      if (r.revision != source->revision.number || r.outcome == task::RunOutcome::skipped) continue;
      if (r.outcome != task::RunOutcome::succeeded) {
        return task::fail(task::Errc::conflict,
                          fmt::format("the last run of revision {} in {} {} (run {}{})", source->revision.number,
                                      from->name, task::to_string(r.outcome), r.id,
                                      r.exit_code ? fmt::format(", exit code {}", *r.exit_code) : std::string{}),
                          fmt::format("see `task logs --run {}`; promote anyway with --force", r.id));
      }
      break;
    }
  }
  std::optional<task::DeploymentRecord> current;
  if (auto d = (*store)->get_deployment(config->name, to->name)) current = *d;
  task::RevisionRecord revision = source->revision;
  revision.schedule = o.interval.empty() ? source->revision.schedule : o.interval;
  revision.timezone = o.timezone.empty() ? (o.interval.empty() ? source->revision.timezone : "") : o.timezone;
  auto schedule = task::parse_schedule(revision.schedule, revision.timezone);
  if (!schedule) return std::unexpected(schedule.error());
  revision.schedule = schedule->text();
  revision.timezone = schedule->timezone();
  // The target keeps its own configuration and secrets.
  auto target_config = (*store)->get_config(config->name, to->name);
  if (!target_config) return std::unexpected(target_config.error());
  revision.config = *target_config;
  revision.command = "promote";
  revision.note = fmt::format("from {} revision {}", from->name, source->revision.number);
  revision.change = revision_changes(current, revision);
  if (o.dry_run) {
    ctx.out.emit({{"dry_run", true}, {"from", from->name}, {"to", to->name}, {"image_id", revision.image_id},
                  {"schedule", revision.schedule}, {"timezone", revision.timezone}, {"changes", revision.change}},
                 [&](std::string& out) {
                   out += fmt::format("{} would promote {} revision {} from {} to {} ({}): {} {}\nnothing was changed\n",
                                      ctx.out.paint(Style::warning, "Dry run:"), config->name, source->revision.number,
                                      from->name, to->name, revision.change.empty() ? "no change" : revision.change,
                                      revision.image_id.substr(0, 19), revision.schedule);
                 });
    return {};
  }
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(ctx.now());
  (*store)->add_event(config->name, from->name, "promoted",
                      fmt::format("revision {} promoted to {}: {}", source->revision.number, to->name,
                                  revision.image_id.substr(0, 19)),
                      now);
  return commit_revision(ctx, **store, config->name, *to, fs::current_path().string(), std::move(revision), "Promoted");
}

task::Result<void> run_rollback(Context& ctx, const PromoteFlags& o) {
  auto here = deployment_here(ctx, o.env);
  if (!here) return std::unexpected(here.error());
  const auto& [config, store, env, current, revisions] = *here;
  const std::int64_t target = o.revision > 0 ? o.revision : current.revision.number - 1;
  auto it = std::find_if(revisions.begin(), revisions.end(), [&](const auto& r) { return r.number == target; });
  if (target < 1 || it == revisions.end()) {
    return task::fail(task::Errc::not_found,
                      o.revision > 0 ? fmt::format("{} in {} has no revision {}", config.name, env.name, target)
                                     : fmt::format("{} in {} has no revision before {}", config.name, env.name,
                                                   current.revision.number),
                      "`task history` lists the revisions");
  }
  if (target == current.revision.number) {
    return task::fail(task::Errc::invalid_input, fmt::format("revision {} is the current one", target),
                      "`task history` lists the revisions");
  }
  task::RevisionRecord revision = *it;
  revision.command = "rollback";
  revision.note = fmt::format("to revision {}", target);
  // Its configuration comes back too.
  auto restored = store->update_config(config.name, env.name, revision.config, {}, true);
  if (!restored) return std::unexpected(restored.error());
  revision.change = revision_changes(current, revision);
  return commit_revision(ctx, *store, config.name, env, current.project_dir, std::move(revision),
                         fmt::format("Rolled back to revision {}:", target));
}

task::Result<void> run_history(Context& ctx, const PromoteFlags& o) {
  auto here = deployment_here(ctx, o.env);
  if (!here) return std::unexpected(here.error());
  const auto& [config, store, env, current, revisions] = *here;
  Json list = Json::array();
  for (const auto& r : revisions) {
    Json keys = Json::array();
    for (const auto& [key, v] : r.config) keys.push_back(key);
    list.push_back({{"revision", r.number},
                    {"created_at", rfc3339(r.created_at)},
                    {"image", r.image_ref},
                    {"image_id", r.image_id},
                    {"schedule", r.schedule},
                    {"timezone", r.timezone},
                    {"config_keys", keys},
                    {"change", r.change},
                    {"command", r.command},
                    {"current", r.number == current.revision.number}});
  }
  ctx.out.emit({{"task", config.name}, {"env", env.name}, {"revisions", list}}, [&](std::string& out) {
    Table table({"REV", "WHEN", "IMAGE", "SCHEDULE", "CHANGE", "BY"});
    for (const auto& r : revisions) {
      table.add({std::to_string(r.number) + (r.number == current.revision.number ? "*" : ""), rfc3339(r.created_at),
                 r.image_id.substr(7, 12), r.schedule + (r.timezone == "UTC" ? "" : " " + r.timezone), r.change,
                 "task " + r.command});
    }
    table.render(out, ctx.out);
  });
  return {};
}

task::Result<void> run_schedule_set(Context& ctx, const PromoteFlags& o) {
  if (o.pairs.empty()) return task::fail(task::Errc::usage, "give the schedule", "e.g. task schedule set \"*/10 * * * *\"");
  auto config = project();
  if (!config) return std::unexpected(config.error());
  // `task schedule set @every 30s` unquoted arrives as two words.
  std::string text;
  for (const auto& word : o.pairs) text += (text.empty() ? "" : " ") + word;
  auto schedule = task::parse_schedule(text, o.timezone);
  if (!schedule) return std::unexpected(schedule.error());
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto env = resolve_env(**store, o.env);
  if (!env) return std::unexpected(env.error());
  auto current = (*store)->get_deployment(config->name, env->name);
  if (!current) return std::unexpected(current.error());
  task::RevisionRecord revision = current->revision;
  revision.schedule = schedule->text();
  revision.timezone = schedule->timezone();
  revision.command = "schedule";
  revision.note = "";
  revision.change = revision_changes(*current, revision);
  if (revision.change.empty()) {
    ctx.out.note(fmt::format("{} in {} already runs on {}; nothing to do", config->name, env->name, revision.schedule));
    return {};
  }
  return commit_revision(ctx, **store, config->name, *env, current->project_dir, std::move(revision), "Rescheduled");
}

task::Result<void> run_config_change(Context& ctx, const PromoteFlags& o, bool unset) {
  if (o.pairs.empty()) {
    return task::fail(task::Errc::usage, unset ? "give the keys to unset" : "give KEY=VALUE pairs",
                      unset ? "e.g. task config unset TARGET_URL" : "e.g. task config set TARGET_URL=https://example.org");
  }
  auto config = project();
  if (!config) return std::unexpected(config.error());
  std::map<std::string, task::ConfigValue> set;
  std::vector<std::string> keys;
  if (unset) {
    for (const auto& key : o.pairs) {
      if (!task::is_env_name(key)) {
        return task::fail(task::Errc::invalid_input, fmt::format("`{}` is not a valid environment variable name", key));
      }
      keys.push_back(key);
    }
  } else {
    auto parsed = parse_config_pairs(o.pairs, o.secret);
    if (!parsed) return std::unexpected(parsed.error());
    set = std::move(*parsed);
  }
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto env = resolve_env(**store, o.env);
  if (!env) return std::unexpected(env.error());
  auto updated = (*store)->update_config(config->name, env->name, set, keys);
  if (!updated) return std::unexpected(updated.error());
  std::string names;
  for (const auto& [key, v] : set) names += (names.empty() ? "" : ", ") + key;
  for (const auto& key : keys) names += (names.empty() ? "" : ", ") + key;
  // A deployment there gets a new revision with the new configuration.
  auto current = (*store)->get_deployment(config->name, env->name);
  if (!current) {
    ctx.out.emit({{"task", config->name}, {"env", env->name}, {"keys", Json(o.pairs.size())}}, [&](std::string& out) {
      out += fmt::format("{} {} for {} in {}; it applies from its first deploy there\n",
                         ctx.out.paint(Style::success, unset ? "Unset" : "Set"), names, config->name, env->name);
    });
    return {};
  }
  task::RevisionRecord revision = current->revision;
  revision.config = *updated;
  revision.command = "config";
  revision.note = fmt::format("{} {}", unset ? "unset" : "set", names);
  revision.change = revision_changes(*current, revision);
  if (revision.change.empty()) {
    ctx.out.note("the configuration is unchanged");
    return {};
  }
  return commit_revision(ctx, **store, config->name, *env, current->project_dir, std::move(revision), "Configured");
}

task::Result<void> run_config_list(Context& ctx, const PromoteFlags& o) {
  auto config = project();
  if (!config) return std::unexpected(config.error());
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  auto env = resolve_env(**store, o.env);
  if (!env) return std::unexpected(env.error());
  auto values = (*store)->get_config(config->name, env->name);
  if (!values) return std::unexpected(values.error());
  auto shown = [&](const task::ConfigValue& v) { return v.secret && !o.reveal ? std::string("****") : v.value; };
  Json list = Json::array();
  for (const auto& [key, v] : *values) list.push_back({{"key", key}, {"value", shown(v)}, {"secret", v.secret}});
  ctx.out.emit({{"task", config->name}, {"env", env->name}, {"config", list}}, [&](std::string& out) {
    if (values->empty()) {
      out += fmt::format("no configuration for {} in {}: `task config set KEY=VALUE --env {}`\n", config->name, env->name,
                         env->name);
      return;
    }
    Table table({"KEY", "VALUE", "SECRET"});
    for (const auto& [key, v] : *values) table.add({key, shown(v), v.secret ? "yes" : ""});
    table.render(out, ctx.out);
  });
  return {};
}

task::Result<void> run_env_add(Context& ctx, const PromoteFlags& o) {
  if (auto valid = task::validate_name(o.name, "environment name"); !valid) return valid;
  if (o.platform != "local") {
    return task::fail(task::Errc::invalid_input, fmt::format("unknown platform `{}`", o.platform), "the platform is `local`");
  }
  if (o.network != "host" && o.network != "none") {
    return task::fail(task::Errc::invalid_input, fmt::format("network `{}` is not host or none", o.network));
  }
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  task::EnvironmentRecord env{o.name, 0, o.platform, o.allow_direct, o.network};
  auto added = (*store)->add_environment(env, o.after);
  if (!added) return std::unexpected(added.error());
  ctx.out.emit({{"name", added->name}, {"position", added->position}}, [&](std::string& out) {
    out += fmt::format("{} environment {} (number {} in promotion order)\n", ctx.out.paint(Style::success, "Added"),
                       added->name, added->position + 1);
  });
  return {};
}

task::Result<void> run_env_remove(Context& ctx, const PromoteFlags& o) {
  auto store = ctx.store();
  if (!store) return std::unexpected(store.error());
  if (auto r = (*store)->remove_environment(o.name); !r) return r;
  ctx.out.emit({{"removed", o.name}}, [&](std::string& out) {
    out += fmt::format("{} environment {}\n", ctx.out.paint(Style::success, "Removed"), o.name);
  });
  return {};
}

}  // namespace

void add_promote_commands(Commands& commands) {
  auto p = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"promote"},
      .summary = "Promote the very image of one environment to the next, never rebuilding it",
      .description = "Copies the current revision of the deployment in --from (default: the first environment) to the next "
                     "environment in promotion order (default: production) as a new revision there: the same image id, "
                     "the same schedule unless --interval or --timezone change it. The target keeps its own "
                     "configuration and secrets. An image whose last run failed is promoted only with --force.",
      .flags = {{"--from", "ENV", "Where the image runs now (default: the first environment)", &p->from},
                {"--to", "ENV", "Where it goes (default: the next environment)", &p->to},
                {"--interval", "SCHEDULE", "Another schedule in the target", &p->interval},
                {"--timezone", "TZ", "Another time zone in the target", &p->timezone},
                {"--force", "", "Promote even though the image's last run failed", &p->force},
                {"--dry-run", "", "Show what would change; change nothing", &p->dry_run}},
      .examples = {{"task promote", "development → production"},
                   {"task promote --interval \"0 * * * *\"", "hourly in production"}},
      .run = [p](Context& ctx) { return run_promote(ctx, *p); },
  });
  auto r = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"rollback"},
      .summary = "Go back to an earlier revision (image, schedule, configuration) as a new revision",
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &r->env},
                {"--to", "REV", "The revision to go back to (default: the previous one)", &r->revision}},
      .examples = {{"task rollback --env production", ""}, {"task rollback --to 3", ""}},
      .run = [r](Context& ctx) { return run_rollback(ctx, *r); },
  });
  auto h = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"history"},
      .summary = "The revisions of a deployment: when, image, schedule, what changed, by which command",
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &h->env}},
      .examples = {{"task history --env production", ""}},
      .run = [h](Context& ctx) { return run_history(ctx, *h); },
  });
  auto s = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"schedule", "set"},
      .summary = "Change the schedule of a deployment (a new revision); the next fire time follows at once",
      .args = {{"SCHEDULE", "cron (5 or 6 fields), @hourly, @every 30s …", &s->pairs}},
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &s->env},
                {"--timezone", "TZ", "IANA time zone (default UTC)", &s->timezone}},
      .examples = {{"task schedule set \"*/10 * * * *\" --env production", ""}},
      .run = [s](Context& ctx) { return run_schedule_set(ctx, *s); },
  });
  commands.push_back({.words = {"config"}, .summary = "Per-environment configuration and secrets, given to runs as environment variables"});
  auto cs = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"config", "set"},
      .summary = "Set configuration values (a new revision of a deployment there)",
      .args = {{"KEY=VALUE", "one or more", &cs->pairs}},
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &cs->env},
                {"--secret", "", "Secret values: never printed, masked in run logs", &cs->secret}},
      .examples = {{"task config set TARGET_URL=https://example.org/health", ""},
                   {"task config set GITHUB_TOKEN=ghp_… --secret --env production", ""}},
      .run = [cs](Context& ctx) { return run_config_change(ctx, *cs, false); },
  });
  auto cu = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"config", "unset"},
      .summary = "Remove configuration keys (a new revision of a deployment there)",
      .args = {{"KEY", "one or more", &cu->pairs}},
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &cu->env}},
      .examples = {{"task config unset TARGET_URL", ""}},
      .run = [cu](Context& ctx) { return run_config_change(ctx, *cu, true); },
  });
  auto cl = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"config", "list"},
      .summary = "The configuration of an environment; secrets as ****",
      .flags = {{"--env", "ENV", "The environment (default: the first, development)", &cl->env},
                {"--reveal", "", "Show secret values too", &cl->reveal}},
      .examples = {{"task config list --env production", ""}},
      .run = [cl](Context& ctx) { return run_config_list(ctx, *cl); },
  });
  auto ea = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"env", "add"},
      .summary = "Add an environment, in promotion order",
      .args = {{"NAME", "a DNS-1123 label", &ea->name}},
      .flags = {{"--after", "ENV", "Its place in promotion order (default: last)", &ea->after},
                {"--platform", "PLATFORM", "Where it runs: local", &ea->platform, {"local"}, Complete::choices},
                {"--network", "MODE", "The containers' network: host or none", &ea->network, {"host", "none"}, Complete::choices},
                {"--allow-direct-deploy", "", "Take `task deploy` too, not only promotions", &ea->allow_direct}},
      .examples = {{"task env add staging --after development --allow-direct-deploy", ""}},
      .run = [ea](Context& ctx) { return run_env_add(ctx, *ea); },
  });
  auto er = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"env", "remove"},
      .summary = "Remove an environment that has no deployments",
      .args = {{"NAME", "the environment", &er->name}},
      .examples = {{"task env remove staging", ""}},
      .run = [er](Context& ctx) { return run_env_remove(ctx, *er); },
  });
}

}  // namespace cli
