// promote, rollback, history, schedule set.
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

struct PromoteFlags {
  std::string from, to, env;
  std::string interval, timezone;
  bool dry_run = false;
  bool resume = false;
  bool force = false;
  int revision = 0;
  std::vector<std::string> pairs;
};

task::Result<void> run_promote(Context& ctx, const PromoteFlags& o) {
  // task.yaml's schedules when the project is here; by --task, the target's own.
  task::ProjectConfig project;
  if (task_named()) {
    project.name = project_task();
  } else if (auto here = task::load_project(fs::current_path())) {
    project = std::move(*here);
  } else {
    return std::unexpected(here.error());
  }
  auto result = task::promote(ctx.workspace(), {project.name, o.from, o.to, o.interval, o.timezone, o.force, o.dry_run,
                                                o.resume, project.schedule});
  if (!result) return std::unexpected(result.error());
  const auto& r = *result;
  if (r.kept_schedule) {
    ctx.out.note(fmt::format("{} keeps its schedule {}{}; --interval changes it", r.env.name, r.revision.schedule,
                             r.revision.timezone == "UTC" ? "" : " (" + r.revision.timezone + ")"));
  }
  if (!r.dry_run) return print_revision(ctx, r, "Promoted");
  ctx.out.essential("").emit({{"dry_run", true}, {"from", r.from.name}, {"to", r.env.name}, {"image_id", r.revision.image.digest},
                {"schedule", r.revision.schedule}, {"timezone", r.revision.timezone}, {"changes", r.revision.change}},
               [&](std::string& out) {
                 out += fmt::format("{} would promote {} revision {} from {} to {} ({}): {} {}\nnothing was changed\n",
                                    ctx.out.paint(Style::warning, "Dry run:"), r.task, r.source_revision, r.from.name,
                                    r.env.name, r.revision.change.empty() ? "no change" : r.revision.change,
                                    r.revision.image.digest.substr(0, 19), r.revision.schedule);
               });
  return {};
}

task::Result<void> run_rollback(Context& ctx, const PromoteFlags& o) {
  auto name = required_project_task();
  if (!name) return std::unexpected(name.error());
  auto result = task::rollback(ctx.workspace(), {*name, o.env, o.revision, o.dry_run, o.resume});
  if (!result) return std::unexpected(result.error());
  const auto& r = *result;
  if (!r.dry_run) return print_revision(ctx, r, fmt::format("Rolled back to revision {}:", r.restored));
  ctx.out.essential("").emit({{"dry_run", true}, {"task", r.task}, {"env", r.env.name}, {"restored", r.restored},
                {"revision", r.revision.number}, {"image_id", r.revision.image.digest}, {"schedule", r.revision.schedule},
                {"timezone", r.revision.timezone}, {"changes", r.revision.change}},
               [&](std::string& out) {
                 out += fmt::format("{} would roll {} in {} back to revision {} as revision {} ({}): {} {}\nnothing was "
                                    "changed\n",
                                    ctx.out.paint(Style::warning, "Dry run:"), r.task, r.env.name, r.restored,
                                    r.revision.number, r.revision.change.empty() ? "no change" : r.revision.change,
                                    r.revision.image.digest.substr(0, 19), r.revision.schedule);
               });
  return {};
}

task::Result<void> run_history(Context& ctx, const PromoteFlags& o) {
  auto name = required_project_task();
  if (!name) return std::unexpected(name.error());
  auto at = task::locate(ctx.workspace(), *name, o.env);
  if (!at) return std::unexpected(at.error());
  auto revisions = at->platform->revisions(at->key);
  if (!revisions) return std::unexpected(revisions.error());
  auto now = at->platform->current(at->key);
  const bool deployed = now && now->deployment;
  const std::int64_t current = revisions->empty() || !deployed ? 0 : revisions->back().number;
  if (!deployed && !revisions->empty()) ctx.out.note(fmt::format("{} is not deployed in {}; its kept revisions:", *name, at->env.name));
  Json list = Json::array();
  for (const auto& r : *revisions) {
    Json keys = Json::array();
    for (const auto& [key, v] : r.config) keys.push_back(key);
    list.push_back({{"revision", r.number},
                    {"created_at", rfc3339(r.created_at)},
                    {"image", r.image.ref},
                    {"image_id", r.image.digest},
                    {"schedule", r.schedule},
                    {"timezone", r.timezone},
                    {"config_keys", keys},
                    {"change", r.change},
                    {"command", r.command},
                    {"current", r.number == current}});
  }
  std::string numbers;
  for (const auto& r : *revisions) numbers += std::to_string(r.number) + "\n";
  ctx.out.essential(numbers).emit({{"task", *name}, {"env", at->env.name}, {"revisions", list}}, [&](std::string& out) {
    Table table({"REV", "WHEN", "IMAGE", "SCHEDULE", "CHANGE", "BY"});
    for (const auto& r : *revisions) {
      table.add({std::to_string(r.number) + (r.number == current ? "*" : ""), rfc3339(r.created_at),
                 r.image.digest.substr(7, 12), r.schedule + (r.timezone == "UTC" ? "" : " " + r.timezone), r.change,
                 "task " + r.command});
    }
    table.render(out, ctx.out);
  });
  return {};
}

task::Result<void> run_schedule_set(Context& ctx, const PromoteFlags& o) {
  if (o.pairs.empty()) return task::fail(task::Errc::usage, "give the schedule", "e.g. task schedule set \"*/10 * * * *\"");
  auto name = required_project_task();
  if (!name) return std::unexpected(name.error());
  // `task schedule set @every 30s` unquoted arrives as two words.
  std::string text;
  for (const auto& word : o.pairs) text += (text.empty() ? "" : " ") + word;
  auto result = task::set_schedule(ctx.workspace(), {*name, o.env, text, o.timezone});
  if (!result) return std::unexpected(result.error());
  if (!result->changed) {
    ctx.out.note(fmt::format("{} in {} already runs on {}; nothing to do", *name, result->env.name, result->revision.schedule));
    return {};
  }
  return print_revision(ctx, *result, "Rescheduled");
}

}  // namespace

void add_promote_commands(Commands& commands) {
  auto p = std::make_shared<PromoteFlags>();
  commands.push_back({
      .words = {"promote"},
      .summary = "Promote the very image of one environment to the next, never rebuilding it",
      .description = "Copies the current revision of the deployment in --from (default: the first environment) to the next "
                     "environment in promotion order (default: production) as a new revision there: the same image id, "
                     "and its own schedule (the source's, for a first promotion there) unless --interval or --timezone "
                     "change it, saying which it kept. The target keeps its own configuration and secrets. An "
                     "image whose last run failed is promoted only with --force.",
      .flags = {{"--from", "ENV", "Where the image runs now (default: the first environment)", &p->from},
                {"--to", "ENV", "Where it goes (default: the next environment)", &p->to},
                {"--interval", "SCHEDULE", "Another schedule in the target", &p->interval},
                {"--timezone,--tz", "TZ", "Another time zone in the target", &p->timezone},
                {"--force", "", "Promote even though the image's last run failed", &p->force},
                {"--resume", "", "Resume the target if it is suspended (else it stays suspended)", &p->resume},
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
                {"--to", "REV", "The revision to go back to (default: the previous one)", &r->revision},
                {"--resume", "", "Resume the deployment if it is suspended (else it stays suspended)", &r->resume},
                {"--dry-run", "", "Show what would change; change nothing", &r->dry_run}},
      .examples = {{"task rollback --env production", ""}, {"task rollback --to 3 --dry-run", "what would change"}},
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
                {"--timezone,--tz", "TZ", "IANA time zone (default UTC)", &s->timezone}},
      .examples = {{"task schedule set \"*/10 * * * *\" --env production", ""}},
      .run = [s](Context& ctx) { return run_schedule_set(ctx, *s); },
  });
  add_config_commands(commands);
}

}  // namespace cli
