// builds, and the log of a build.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
#include "task/builds.hpp"
#include "task/project.hpp"

namespace cli {

nlohmann::json build_json(const task::BuildRecord& b) {
  nlohmann::json j{{"id", b.id},
                   {"task", b.task},
                   {"project_dir", b.project_dir},
                   {"commit", b.commit},
                   {"dirty", b.dirty},
                   {"source_url", b.source_url},
                   {"image", b.image_ref},
                   {"image_id", b.image_id},
                   {"pushed", b.pushed_ref},
                   {"status", task::to_string(b.status)},
                   {"error", b.error},
                   {"started_at", rfc3339(b.started_at)},
                   {"finished_at", b.finished_at ? nlohmann::json(rfc3339(*b.finished_at)) : nlohmann::json()},
                   {"duration_ms", b.finished_at ? nlohmann::json((*b.finished_at - b.started_at).count()) : nlohmann::json()},
                   {"log", b.log_path.string()}};
  return j;
}

Style status_style(task::BuildStatus s) {
  switch (s) {
    case task::BuildStatus::succeeded: return Style::success;
    case task::BuildStatus::failed: return Style::failure;
    case task::BuildStatus::cancelled: return Style::warning;
    case task::BuildStatus::running: return Style::accent;
  }
  return Style::plain;
}

// The task of the project in the current directory, or "" outside a project.
namespace {

struct BuildsFlags {
  int limit = 20;
  int build_id = 0;
};

std::string current_task() { return project_task(); }

task::Result<void> run_builds(Context& ctx, const BuildsFlags& o) {
  if (o.limit < 1) return task::fail(task::Errc::usage, "--limit must be at least 1");
  auto store = ctx.workspace().builds();
  if (!store) return std::unexpected(store.error());
  auto builds = (*store)->list_builds(current_task(), static_cast<std::size_t>(o.limit));
  if (!builds) return std::unexpected(builds.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : *builds) list.push_back(build_json(b));
  std::string ids;
  for (const auto& b : *builds) ids += std::to_string(b.id) + "\n";
  ctx.out.essential(ids).emit({{"builds", list}}, [&](std::string& out) {
    if (builds->empty()) {
      out += "no builds yet: run `task build` in a task project\n";
      return;
    }
    Table table({"ID", "TASK", "COMMIT", "STATUS", "IMAGE", "DURATION", "AGE"});
    auto now = ctx.now();
    for (const auto& b : *builds) {
      table.add({std::to_string(b.id), b.task, b.commit.substr(0, 7) + (b.dirty ? "+" : ""),
                 ctx.out.paint(status_style(b.status), task::to_string(b.status)), b.image_ref,
                 b.finished_at ? short_duration(*b.finished_at - b.started_at) : "-", age(b.started_at, now)});
    }
    table.render(out, ctx.out);
  });
  return {};
}

task::Result<void> run_logs(Context& ctx, const BuildsFlags& o) {
  auto store = ctx.workspace().builds();
  if (!store) return std::unexpected(store.error());
  task::Result<task::BuildRecord> build = o.build_id > 0 ? (*store)->get_build(o.build_id) : [&]() -> task::Result<task::BuildRecord> {
    auto name = current_task();
    if (name.empty()) {
      return task::fail(task::Errc::not_found, "no task project here to show the latest build of",
                        "run this in a task project, pass -C DIR, or give --build ID (see `task builds`)");
    }
    return (*store)->latest_build(name, false);
  }();
  if (!build) return std::unexpected(build.error());
  std::ifstream in(build->log_path, std::ios::binary);
  if (!in) return task::fail(task::Errc::not_found, fmt::format("the log of build {} is gone", build->id));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ctx.out.emit({{"build", build_json(*build)}, {"log", text}}, [&](std::string& out) { out += text; });
  return {};
}

}  // namespace

task::Result<void> show_build_log(Context& ctx, int build_id) {
  BuildsFlags flags;
  flags.build_id = build_id;
  return run_logs(ctx, flags);
}

void add_builds_commands(Commands& commands) {
  auto list = std::make_shared<BuildsFlags>();
  commands.push_back({
      .words = {"builds"},
      .summary = "List builds, newest first",
      .description = "In a task project, its builds; elsewhere, the builds of every task.",
      .flags = {{"-n,--limit", "N", "Show at most N builds (default 20)", &list->limit}},
      .examples = {{"task builds", ""}, {"task builds -o json | jq '.builds[0].status'", ""}},
      .run = [list](Context& ctx) { return run_builds(ctx, *list); },
  });
}

}  // namespace cli
