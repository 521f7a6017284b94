// promote, rollback, schedule set, config set/unset, suspend/resume/undeploy.
#include <fmt/format.h>

#include <algorithm>

#include "deploy/internal.hpp"
#include "task/schedule.hpp"

namespace task {

namespace {

// The environment after `from` in promotion order.
Result<EnvironmentRecord> next_environment(Workspace& workspace, const EnvironmentRecord& from) {
  auto envs = workspace.environments();
  if (!envs) return std::unexpected(envs.error());
  for (const auto& e : *envs) {
    if (e.position == from.position + 1) return e;
  }
  return fail(Errc::invalid_input, fmt::format("{} is the last environment: there is none to promote to", from.name),
              "give --to ENV, or add one with `task env add`");
}

// The image's last run where it comes from must not have failed.
Result<void> check_last_run(Platform& platform, const DeploymentKey& key, const Deployment& source) {
  auto recent = platform.finished_runs(key, 20);
  if (!recent) return {};
  for (const auto& r : *recent) {
    if (r.revision != source.revision.number || r.outcome == RunOutcome::skipped) continue;
    if (r.outcome != RunOutcome::succeeded) {
      return fail(Errc::conflict,
                  fmt::format("the last run of revision {} in {} {} (run {}{})", source.revision.number, key.env,
                              to_string(r.outcome), r.id,
                              r.exit_code ? fmt::format(", exit code {}", *r.exit_code) : std::string{}),
                  fmt::format("see `task logs --run {}`; promote anyway with --force", r.id));
    }
    break;
  }
  return {};
}

Result<Deployment> deployed(Platform& platform, const DeploymentKey& key) {
  auto current = platform.current(key);
  if (!current) return std::unexpected(current.error());
  if (!current->deployment) {
    return fail(Errc::not_found, fmt::format("{} is not deployed to {}", key.task, key.env),
                fmt::format("deploy it with `task deploy --interval SCHEDULE --env {}`", key.env));
  }
  return *current->deployment;
}

// Plans from the current revision changed by `edit`; nothing to do when it changes nothing.
RevisionPlanner edit_current(const DeploymentKey& key, std::string command, std::function<Result<void>(Revision&)> edit) {
  return [key, command = std::move(command), edit = std::move(edit)](const Current& current) -> Result<std::optional<Revision>> {
    if (!current.deployment) {
      return fail(Errc::not_found, fmt::format("{} is not deployed to {}", key.task, key.env),
                  fmt::format("deploy it with `task deploy --interval SCHEDULE --env {}`", key.env));
    }
    Revision revision = current.deployment->revision;
    revision.command = command;
    revision.note = "";
    if (auto r = edit(revision); !r) return std::unexpected(r.error());
    revision.change = revision_changes(current.deployment, revision);
    if (revision.change.empty()) return std::optional<Revision>{};
    return std::optional<Revision>{std::move(revision)};
  };
}

}  // namespace

Result<PromoteResult> promote(Workspace& workspace, const PromoteOptions& o) {
  auto from = locate(workspace, o.task, o.from);
  if (!from) return std::unexpected(from.error());
  auto to_env = o.to.empty() ? next_environment(workspace, from->env) : workspace.environment(o.to);
  if (!to_env) return std::unexpected(to_env.error());
  if (to_env->name == from->env.name) {
    return fail(Errc::invalid_input, fmt::format("cannot promote from {} to itself", from->env.name),
                "give another environment with --to");
  }
  auto to = locate(workspace, o.task, to_env->name);
  if (!to) return std::unexpected(to.error());
  auto source = deployed(*from->platform, from->key);
  if (!source) {
    if (source.error().code != Errc::not_found) return std::unexpected(source.error());
    return fail(Errc::not_found, fmt::format("{} is not deployed to {}: nothing to promote", o.task, from->env.name),
                fmt::format("deploy it there first: `task deploy --interval SCHEDULE --env {}`", from->env.name));
  }
  if (!o.force) {
    if (auto r = check_last_run(*from->platform, from->key, *source); !r) return std::unexpected(r.error());
  }
  // The schedule given is checked before anything is written; without one the target
  // keeps its own (DESIGN §1b), read inside the change.
  Revision promoted = source->revision;
  if (!o.interval.empty()) {
    auto schedule = parse_schedule(o.interval, o.timezone);
    if (!schedule) return std::unexpected(schedule.error());
    promoted.schedule = schedule->text();
    promoted.timezone = schedule->timezone();
  }
  if (!o.dry_run) {
    // The very same image, made available where the target's runs start.
    auto published = to->platform->publish(o.task, promoted.image);
    if (!published) return std::unexpected(published.error());
    promoted.image = std::move(*published);
  }
  bool kept = false;
  promoted.command = "promote";
  promoted.note = fmt::format("from {} revision {}", from->env.name, source->revision.number);
  auto applied = apply_revision(
      workspace, *to,
      [&](const Current& current) -> Result<std::optional<Revision>> {
        Revision revision = promoted;
        revision.config = current.config;  // the target keeps its own configuration and secrets
        if (o.interval.empty() && !current.deployment && !o.schedule.for_env(to->env.name).empty()) {
          // A first promotion there: task.yaml's schedule for it, if it has one.
          const auto& zone = !o.timezone.empty() ? o.timezone : o.schedule.timezone;
          auto schedule = parse_schedule(o.schedule.for_env(to->env.name), zone.empty() ? "UTC" : zone);
          if (!schedule) return std::unexpected(schedule.error());
          revision.schedule = schedule->text();
          revision.timezone = schedule->timezone();
        } else if (o.interval.empty()) {
          const Revision& own = current.deployment ? current.deployment->revision : source->revision;
          auto schedule = parse_schedule(own.schedule, o.timezone.empty() ? own.timezone : o.timezone);
          if (!schedule) return std::unexpected(schedule.error());
          revision.schedule = schedule->text();
          revision.timezone = schedule->timezone();
          kept = current.deployment.has_value();
        }
        revision.change = revision_changes(current.deployment, revision);
        return std::optional<Revision>{std::move(revision)};
      },
      o.dry_run, o.resume);
  if (!applied) return std::unexpected(applied.error());
  PromoteResult result;
  static_cast<RevisionResult&>(result) = std::move(*applied);
  result.from = from->env;
  result.source_revision = source->revision.number;
  result.kept_schedule = kept;
  if (!o.dry_run) {
    // The source's own event log says where its image went; the target's has the revision.
    from->platform->add_event(Event{{}, o.task, from->env.name, workspace.now(), "promoted",
                                    fmt::format("revision {} promoted to {}: {}", source->revision.number,
                                                to->env.name, source->revision.image.digest.substr(0, 19))});
  }
  return result;
}

Result<RollbackResult> rollback(Workspace& workspace, const RollbackOptions& o) {
  auto at = locate(workspace, o.task, o.env);
  if (!at) return std::unexpected(at.error());
  // Revisions never change once made: the list read here holds every one up to now.
  auto revisions = at->platform->revisions(at->key);
  if (!revisions) return std::unexpected(revisions.error());
  std::int64_t target = 0;
  auto applied = apply_revision(
      workspace, *at,
      [&](const Current& now) -> Result<std::optional<Revision>> {
        if (!now.deployment) {
          return fail(Errc::not_found, fmt::format("{} is not deployed to {}", o.task, at->env.name),
                      fmt::format("deploy it with `task deploy --interval SCHEDULE --env {}`", at->env.name));
        }
        const std::int64_t current = now.deployment->revision.number;
        target = o.to > 0 ? o.to : current - 1;
        auto it = std::find_if(revisions->begin(), revisions->end(), [&](const auto& r) { return r.number == target; });
        if (it == revisions->end() && target > 0 && target <= current) {
          return fail(Errc::conflict, fmt::format("{} in {} changed while rolling back", o.task, at->env.name),
                      "run the rollback again");
        }
        if (target < 1 || it == revisions->end()) {
          return fail(Errc::not_found,
                      o.to > 0 ? fmt::format("{} in {} has no revision {}", o.task, at->env.name, target)
                               : fmt::format("{} in {} has no revision before {}", o.task, at->env.name, current),
                      "`task history` lists the revisions");
        }
        if (target == current) {
          return fail(Errc::invalid_input, fmt::format("revision {} is the current one", target),
                      "`task history` lists the revisions");
        }
        Revision revision = *it;  // its configuration comes back too
        revision.command = "rollback";
        revision.note = fmt::format("to revision {}", target);
        revision.change = revision_changes(now.deployment, revision);
        return std::optional<Revision>{std::move(revision)};
      },
      o.dry_run, o.resume);
  if (!applied) return std::unexpected(applied.error());
  RollbackResult result;
  static_cast<RevisionResult&>(result) = std::move(*applied);
  result.restored = target;
  return result;
}

Result<RevisionResult> set_schedule(Workspace& workspace, const ScheduleOptions& o) {
  if (o.schedule.empty()) return fail(Errc::usage, "give the schedule", "e.g. task schedule set \"*/10 * * * *\"");
  auto schedule = parse_schedule(o.schedule, o.timezone);
  if (!schedule) return std::unexpected(schedule.error());
  auto at = locate(workspace, o.task, o.env);
  if (!at) return std::unexpected(at.error());
  return apply_revision(workspace, *at, edit_current(at->key, "schedule", [&](Revision& revision) -> Result<void> {
                          revision.schedule = schedule->text();
                          revision.timezone = schedule->timezone();
                          return {};
                        }),
                        false);
}

Result<ConfigResult> change_config(Workspace& workspace, const ConfigOptions& o) {
  auto at = locate(workspace, o.task, o.env);
  if (!at) return std::unexpected(at.error());
  ConfigResult result;
  result.task = o.task;
  result.env = at->env;
  std::vector<std::string> names;
  for (const auto& [key, v] : o.set) names.push_back(key);
  names.insert(names.end(), o.unset.begin(), o.unset.end());
  // The new configuration and the revision carrying it are made from the state inside one
  // transaction, so concurrent changes never lose one another's keys.
  auto updated = [&](const Current& current) -> Result<Config> {
    Config config = current.config;
    for (const auto& key : o.unset) {
      if (!config.erase(key)) {
        return fail(Errc::not_found, fmt::format("{} in {} has no configuration key {}", o.task, at->env.name, key),
                    fmt::format("`task config list --env {}` shows its keys", at->env.name));
      }
    }
    for (const auto& [key, v] : o.set) config[key] = v;
    return config;
  };
  RevisionResult revision_result;
  revision_result.task = o.task;
  revision_result.env = at->env;
  const Planner planner = [&](const Current& current) -> Result<std::optional<Change>> {
    auto config = updated(current);
    if (!config) return std::unexpected(config.error());
    result.config = *config;
    Change change;
    change.config = *config;
    if (current.deployment) {
      revision_result.before = current.deployment;
      Revision revision = current.deployment->revision;
      revision.config = *config;
      revision.command = "config";
      revision.note = fmt::format("{} {}", o.unset.empty() ? "set" : "unset", join(names, ", "));
      revision.change = revision_changes(current.deployment, revision);
      if (revision.change.empty()) {
        revision_result.changed = false;
        revision_result.revision = current.deployment->revision;
        return std::optional<Change>{};
      }
      revision.number = current.deployment->revision.number + 1;
      revision_result.revision = revision;
      change.revision = std::move(revision);
    }
    return std::optional<Change>{std::move(change)};
  };
  auto applied = at->platform->apply(at->key, planner);
  if (!applied) return std::unexpected(applied.error());
  if (!revision_result.before) return result;
  if (auto r = settle(workspace, *at->platform, std::move(*applied), revision_result); !r) return std::unexpected(r.error());
  result.deployment = std::move(revision_result);
  return result;
}

Result<Config> parse_config_pairs(const std::vector<std::string>& pairs, bool secret) {
  Config out;
  for (const auto& pair : pairs) {
    auto eq = pair.find('=');
    const std::string key = pair.substr(0, eq);
    if (eq == std::string::npos) {
      return fail(Errc::usage, fmt::format("`{}` is not KEY=VALUE", key), "e.g. task config set TARGET_URL=https://example.org");
    }
    if (!is_env_name(key)) {
      return fail(Errc::invalid_input, fmt::format("`{}` is not a valid environment variable name", key),
                  "use letters, digits and _, not starting with a digit");
    }
    const std::string value = pair.substr(eq + 1);
    if (value.find_first_of("\n\r") != std::string::npos || value.find('\0') != std::string::npos) {
      return fail(Errc::invalid_input, fmt::format("the value of {} has a line break", key),
                  "configuration values are single lines");
    }
    if (!is_valid_utf8(value)) {
      return fail(Errc::invalid_input, fmt::format("the value of {} is not valid UTF-8 text", key),
                  "configuration values are text; give binary data base64-encoded");
    }
    out[key] = ConfigValue{value, secret};
  }
  return out;
}

Result<StateResult> set_deployment_state(Workspace& workspace, const DeploymentKey& key, DeploymentState state) {
  auto at = locate(workspace, key.task, key.env);
  if (!at) return std::unexpected(at.error());
  auto d = at->platform->set_state(at->key, state);
  if (!d && d.error().code == Errc::conflict && state != DeploymentState::removed) {
    // Already so (maybe by another command a moment ago): nothing to do, which is success.
    auto now = at->platform->current(at->key);
    if (now && now->deployment && now->deployment->state == state) {
      return StateResult{std::move(*now->deployment), at->platform->runner(), false};
    }
  }
  if (!d) return std::unexpected(d.error());
  // Whatever runs deployments picks the change up at once; nothing is started for it.
  auto runner = at->platform->runner();
  if (runner.running) runner = at->platform->notify_changed();
  return StateResult{std::move(*d), runner, true};
}

}  // namespace task
