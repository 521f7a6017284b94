// task deploy, and what every change of a deployment shares.
#include "deploy/internal.hpp"

#include <fmt/format.h>

#include "task/git.hpp"
#include "task/schedule.hpp"

namespace task {

namespace fs = std::filesystem;

std::string revision_changes(const std::optional<Deployment>& current, const Revision& next) {
  if (!current) return "new deployment";
  const auto& c = current->revision;
  std::vector<std::string> what;
  if (c.image.digest != next.image.digest) what.push_back("image");
  if (c.schedule != next.schedule) what.push_back("schedule");
  if (c.timezone != next.timezone) what.push_back("time zone");
  if (!(c.policy == next.policy)) what.push_back("run policy");
  std::vector<std::string> keys;
  for (const auto& [key, v] : next.config) {
    auto it = c.config.find(key);
    if (it == c.config.end() || !(it->second == v)) keys.push_back(key);
  }
  for (const auto& [key, v] : c.config) {
    if (!next.config.contains(key)) keys.push_back(key);
  }
  if (!keys.empty()) what.push_back("config " + join(keys, " "));
  if (current->state != DeploymentState::active) what.push_back("resumed");
  return join(what, ", ");
}

Result<Located> locate(Workspace& workspace, const std::string& task, const std::string& env) {
  auto e = workspace.environment(env);
  if (!e) return std::unexpected(e.error());
  auto platform = workspace.platform(*e);
  if (!platform) return std::unexpected(platform.error());
  return Located{*e, *platform, DeploymentKey{task, e->name}};
}

Result<void> settle(Workspace& workspace, Platform& platform, std::optional<Deployment> applied, RevisionResult& result) {
  if (applied) {
    result.revision = applied->revision;
    result.after = std::move(applied);
    result.runner = platform.notify_changed();
  } else if (!result.changed) {
    if (result.before) result.revision = result.before->revision;
    result.runner = platform.runner();
  }
  auto schedule = parse_schedule(result.revision.schedule, result.revision.timezone);
  if (!schedule) return std::unexpected(schedule.error());
  result.schedule_words = describe(*schedule);
  for (auto t : next_fire_times(*schedule, std::chrono::floor<std::chrono::seconds>(workspace.now()), 3)) {
    result.next_runs.push_back(format_rfc3339(t, *schedule));
  }
  return {};
}

namespace {

// An image that is gone is refused before it becomes a revision, with how to make it again.
Result<void> check_image(Workspace& workspace, Platform& platform, const Revision& revision) {
  auto present = platform.has_image(revision.image);
  if (present) return {};
  std::string hint = "build it again with `task build`, then deploy that build";
  if (revision.image.build > 0) {
    if (auto builds = workspace.builds()) {
      if (auto b = (*builds)->get_build(revision.image.build); b && !b->commit.empty()) {
        hint = fmt::format("build it again from its commit: `task build --commit {}`, then `task deploy --build ID`",
                           b->commit.substr(0, 12));
      }
    }
  }
  return fail(present.error().code, fmt::format("revision {} cannot run: {}", revision.number, present.error().message),
              hint);
}

}  // namespace

Result<RevisionResult> apply_revision(Workspace& workspace, const Located& at, const RevisionPlanner& plan,
                                      bool dry_run, bool resume) {
  RevisionResult result;
  result.task = at.key.task;
  result.env = at.env;
  result.dry_run = dry_run;
  // Planned from what the platform holds inside its transaction; what it saw is kept.
  const Planner planner = [&](const Current& current) -> Result<std::optional<Change>> {
    result.before = current.deployment;
    auto revision = plan(current);
    if (!revision) return std::unexpected(revision.error());
    if (!*revision) {
      result.changed = false;
      return std::optional<Change>{};
    }
    result.revision = std::move(**revision);
    result.revision.number = current.deployment ? current.deployment->revision.number + 1 : 1;
    if (auto admitted = at.platform->admits(result.revision); !admitted) return std::unexpected(admitted.error());
    // A deploy, promote or rollback names an image to run; a change of configuration or
    // schedule keeps the one there is (and is not refused for it).
    const bool keeps_image = current.deployment && current.deployment->revision.image.digest == result.revision.image.digest &&
                             (result.revision.command == "config" || result.revision.command == "schedule");
    if (!keeps_image) {
      if (auto present = check_image(workspace, *at.platform, result.revision); !present) {
        return std::unexpected(present.error());
      }
    }
    Change change;
    change.resume = resume;
    change.revision = result.revision;
    if (!(result.revision.config == current.config)) change.config = result.revision.config;
    return std::optional<Change>{std::move(change)};
  };
  std::optional<Deployment> written;
  if (dry_run) {
    auto current = at.platform->current(at.key);
    if (!current) return std::unexpected(current.error());
    if (auto planned = planner(*current); !planned) return std::unexpected(planned.error());
  } else {
    auto applied = at.platform->apply(at.key, planner);
    if (!applied) return std::unexpected(applied.error());
    written = std::move(*applied);
  }
  if (auto r = settle(workspace, *at.platform, std::move(written), result); !r) return std::unexpected(r.error());
  return result;
}

namespace {

Result<BuildRecord> checked_build(BuildLedger& builds, const std::string& task, std::int64_t id) {
  auto build = builds.get_build(id);
  if (!build) return build;
  if (build->task != task) {
    return fail(Errc::invalid_input, fmt::format("build {} is of {}, not {}", id, build->task, task),
                "`task builds` lists this task's builds");
  }
  if (build->status != BuildStatus::succeeded) {
    return fail(Errc::invalid_input,
                fmt::format("build {} {}: only a successful build can be deployed", id, to_string(build->status)),
                "`task builds` lists this task's builds");
  }
  return build;
}

// The newest successful build of the project's current source, if there is one. For a
// connected repository that is its branch's head as the remote has it now; when the remote
// cannot be reached, the newest build (and a note says so).
Result<std::optional<BuildRecord>> build_of_current_source(BuildLedger& builds, const DeployOptions& o) {
  if (!o.project.source.git.empty()) {
    auto latest = builds.latest_build(o.project.name, true);
    if (!latest && latest.error().code != Errc::not_found) return std::unexpected(latest.error());
    const std::string where = fmt::format("branch {} of {}", o.project.source.branch.empty() ? "(default)" : o.project.source.branch,
                                          redact_credentials(o.project.source.git));
    auto head = remote_head(o.project.source, o.git, {});
    if (!head) {
      if (!latest) return std::optional<BuildRecord>{};
      o.note(fmt::format("cannot ask {} for its head ({}); deploying the newest build, of {}", where, head.error().message,
                         latest->commit.substr(0, 12)));
      return std::optional<BuildRecord>{std::move(*latest)};
    }
    auto built = builds.build_for_commit(o.project.name, head->id);
    if (!built || *built) return built;
    if (latest) {
      o.note(fmt::format("the source moved: {} is at {} ({}), the newest build is of {}", where, head->id.substr(0, 12),
                         head->summary, latest->commit.substr(0, 12)));
    }
    return std::optional<BuildRecord>{};
  }
  auto scratch = fs::temp_directory_path() / "task-deploy-unused";
  auto source = resolve_local_source(o.project_dir, "", scratch);
  if (!source || source->dirty) return std::optional<BuildRecord>{};
  return builds.build_for_commit(o.project.name, source->commit.id);
}

Image image_of(const BuildRecord& b) { return Image{.ref = b.image_ref, .digest = b.image_id, .build = b.id}; }

// The image to deploy: --image, --build, or the build of the current source (built first
// when there is none; a dry run only says so).
Result<Image> image_to_deploy(Workspace& workspace, Platform& platform, const DeployOptions& o) {
  if (!o.image.empty()) return platform.resolve_image(o.image);
  auto builds = workspace.builds();
  if (!builds) return std::unexpected(builds.error());
  if (o.build > 0) {
    auto build = checked_build(**builds, o.project.name, o.build);
    if (!build) return std::unexpected(build.error());
    return image_of(*build);
  }
  auto existing = build_of_current_source(**builds, o);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) return image_of(**existing);
  if (o.dry_run) return Image{.ref = "(built from the current source first)", .digest = "", .build = 0};
  if (!o.build_now) {
    return fail(Errc::not_found, fmt::format("{} has no build of its current source", o.project.name), "run `task build`");
  }
  auto built = o.build_now();
  if (!built) return std::unexpected(built.error());
  return image_of(*built);
}

}  // namespace

Result<RevisionResult> deploy(Workspace& workspace, const DeployOptions& o) {
  if (o.build > 0 && !o.image.empty()) return fail(Errc::usage, "give --build or --image, not both");
  auto at = locate(workspace, o.project.name, o.env);
  if (!at) return std::unexpected(at.error());
  // The schedule first: nothing is built or written for a schedule that cannot run. It is
  // --interval, or task.yaml's for the environment, or the deployment's own.
  const std::string& from_file = o.project.schedule.for_env(at->env.name);
  const std::string zone = !o.timezone.empty() ? o.timezone : o.project.schedule.timezone;
  std::optional<Schedule> schedule;
  ScheduleSource source = ScheduleSource::flag;
  if (!o.interval.empty() || !from_file.empty()) {
    auto parsed = parse_schedule(o.interval.empty() ? from_file : o.interval, zone.empty() ? "UTC" : zone);
    if (!parsed) return std::unexpected(parsed.error());
    schedule = std::move(*parsed);
    source = o.interval.empty() ? ScheduleSource::file : ScheduleSource::flag;
  } else {
    auto current = at->platform->current(at->key);
    if (!current) return std::unexpected(current.error());
    if (!current->deployment) {
      return fail(Errc::usage, fmt::format("{} has no schedule in {}", o.project.name, at->env.name),
                  "give one: --interval \"*/5 * * * *\", or `schedule:` in task.yaml");
    }
    auto parsed = parse_schedule(current->deployment->revision.schedule,
                                 o.timezone.empty() ? current->deployment->revision.timezone : o.timezone);
    if (!parsed) return std::unexpected(parsed.error());
    schedule = std::move(*parsed);
    source = ScheduleSource::kept;
  }
  if (!at->env.allow_direct_deploy) {
    return fail(Errc::conflict, fmt::format("{} takes promotions only", at->env.name),
                fmt::format("deploy to an earlier environment and promote the same image with `task promote --to {}`",
                            at->env.name));
  }
  auto image = image_to_deploy(workspace, *at->platform, o);
  if (!image) return std::unexpected(image.error());
  if (!o.dry_run) {
    image = at->platform->publish(o.project.name, *image);
    if (!image) return std::unexpected(image.error());
  }
  auto applied = apply_revision(
      workspace, *at,
      [&](const Current& current) -> Result<std::optional<Revision>> {
        Revision revision;
        revision.image = *image;
        revision.schedule = schedule->text();
        revision.timezone = schedule->timezone();
        revision.policy = o.project.run;
        revision.command = "deploy";
        revision.config = current.config;
        revision.change = revision_changes(current.deployment, revision);
        if (current.deployment && revision.change.empty()) {
          // Nothing to change, unless what it runs is gone: then that is the news.
          revision.number = current.deployment->revision.number;
          if (auto present = check_image(workspace, *at->platform, revision); !present) {
            return std::unexpected(present.error());
          }
          return std::optional<Revision>{};
        }
        return std::optional<Revision>{std::move(revision)};
      },
      o.dry_run, o.resume);
  if (!applied) return applied;
  applied->schedule_source = source;
  if (source == ScheduleSource::flag && !from_file.empty() && from_file != o.interval) applied->overridden = from_file;
  return applied;
}

}  // namespace task
