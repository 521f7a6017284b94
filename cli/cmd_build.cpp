#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "progress.hpp"
#include "task/build.hpp"
#include "task/duration.hpp"
#include "task/project.hpp"

namespace cli {

namespace {

struct BuildFlags {
  bool no_cache = false;
  std::string commit;
  std::vector<std::string> build_args;
  std::string platform;
  bool push = false;
  std::string builder;
  int limit = 20;
  int build_id = 0;
};

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
std::string current_task() {
  auto config = task::load_project(std::filesystem::current_path());
  return config ? config->name : std::string{};
}

task::Result<task::BuildRecord> build_with_progress(Context& ctx, const BuildFlags& o) {
  std::map<std::string, std::string> args;
  for (const auto& item : o.build_args) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return task::fail(task::Errc::usage, fmt::format("--build-arg `{}` is not KEY=VALUE", item),
                        "e.g. --build-arg BASE_IMAGE=busybox:1.36");
    }
    args[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (auto config = task::load_project(std::filesystem::current_path()); !config) return std::unexpected(config.error());
  auto store = ctx.workspace().builds();
  if (!store) return std::unexpected(store.error());

  const bool live = !ctx.out.quiet();
  const bool terminal = isatty(2) == 1;
  bool status_line_open = false;
  TransferMeter meter(live && terminal);
  task::BuildObserver observer;
  observer.cancelled = ctx.interrupted;
  observer.fetching = [&](const task::TransferProgress& p) { meter.update(p); };
  observer.started = [&](const task::BuildRecord& b) {
    meter.finish();
    ctx.out.note(fmt::format("{} build {} of {} ({})", ctx.out.paint_err(Style::bold, "Building"), b.id, b.task, b.image_ref));
  };
  observer.event = [&](const task::BuildEvent& e) {
    if (!live) return;
    if (e.kind == task::BuildEvent::Kind::status && terminal) {
      // On a terminal, layer progress rewrites one line instead of scrolling.
      std::string line = e.id.empty() ? e.text : e.id + ": " + e.text;
      if (e.total > 0) line += fmt::format(" {}%", e.current * 100 / e.total);
      fmt::print(stderr, "\r\x1b[2K{}", line.substr(0, 100));
      status_line_open = true;
      return;
    }
    if (status_line_open) {
      fmt::print(stderr, "\n");
      status_line_open = false;
    }
    if (e.kind == task::BuildEvent::Kind::stream) fmt::print(stderr, "{}", e.text);
    if (e.kind == task::BuildEvent::Kind::status && !terminal) fmt::print(stderr, "{}\n", e.text);
  };
  task::BuildOptions options{std::filesystem::current_path(), o.commit, o.no_cache, args, o.platform, o.push,
                             ctx.paths.cache};
  std::string builder = o.builder;
  if (builder.empty()) {
    if (auto it = ctx.env.find("TASK_BUILDER"); it != ctx.env.end()) builder = it->second;
  }
  if (builder == "buildkit") {
    options.builder = task::Builder::buildkit;
  } else if (builder == "classic") {
    options.builder = task::Builder::classic;
  } else if (!builder.empty() && builder != "auto") {
    return task::fail(task::Errc::invalid_input, fmt::format("unknown builder `{}` (from TASK_BUILDER)", builder),
                      "use auto, buildkit or classic");
  }
  auto record = task::build_project(**store, options, ctx.env, observer);
  meter.finish();
  if (status_line_open) fmt::print(stderr, "\n");
  return record;
}

task::Result<void> run_build(Context& ctx, const BuildFlags& o) {
  auto record = build_with_progress(ctx, o);
  if (!record) return std::unexpected(record.error());
  ctx.out.emit(build_json(*record), [&](std::string& out) {
    out += fmt::format("{} {} {}\n", ctx.out.paint(Style::success, "Built"), record->image_ref, record->image_id);
    if (!record->pushed_ref.empty()) out += fmt::format("{} {}\n", ctx.out.paint(Style::success, "Pushed"), record->pushed_ref);
  });
  return {};
}

task::Result<void> run_builds(Context& ctx, const BuildFlags& o) {
  if (o.limit < 1) return task::fail(task::Errc::usage, "--limit must be at least 1");
  auto store = ctx.workspace().builds();
  if (!store) return std::unexpected(store.error());
  auto builds = (*store)->list_builds(current_task(), static_cast<std::size_t>(o.limit));
  if (!builds) return std::unexpected(builds.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : *builds) list.push_back(build_json(b));
  ctx.out.emit({{"builds", list}}, [&](std::string& out) {
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

task::Result<void> run_logs(Context& ctx, const BuildFlags& o) {
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

task::Result<task::BuildRecord> build_for_deploy(Context& ctx) { return build_with_progress(ctx, BuildFlags{}); }

task::Result<void> show_build_log(Context& ctx, int build_id) {
  BuildFlags flags;
  flags.build_id = build_id;
  return run_logs(ctx, flags);
}

void add_build_commands(Commands& commands) {
  auto o = std::make_shared<BuildFlags>();
  commands.push_back({
      .words = {"build"},
      .summary = "Build the task's Docker image from its exact source revision",
      .description =
          "Sends the project's build context (honouring .dockerignore) to the Docker engine, streams the "
          "build log to standard error, and records the build: commit, image, outcome and the whole log, "
          "kept even when the build fails or is interrupted. Images are tagged task/NAME:COMMIT12, with "
          "-dirty.N when the work tree has uncommitted changes, and labelled task.name, task.commit, task.dirty, "
          "task.source and task.build (the build that made the image). When every step of a rebuild of the same "
          "commit comes from the engine's cache, the image is the very same one, and its task.build still names "
          "the build that first made it. BuildKit builds set the labels as image configuration; the classic builder "
          "adds them as one LABEL step.",
      .flags = {{"--no-cache", "", "Build every step again, ignoring the engine's cache", &o->no_cache},
                {"--commit", "SHA", "Build this commit (a clean checkout) instead of the work tree", &o->commit},
                {"--build-arg", "KEY=VALUE", "A build argument, over task.yaml's build.args; repeatable", &o->build_args},
                {"--platform", "OS/ARCH", "Target platform, e.g. linux/amd64", &o->platform},
                {"--push", "", "Push the image to the registry named in task.yaml", &o->push},
                {"--builder", "NAME",
                 "The engine's builder: auto (BuildKit where the engine has it, else classic), buildkit or classic; "
                 "default $TASK_BUILDER, else auto",
                 &o->builder,
                 {"auto", "buildkit", "classic"}}},
      .examples = {{"task build", ""},
                   {"task build --no-cache --build-arg BASE_IMAGE=busybox:1.36", ""},
                   {"task build -o json | jq -r .image_id", "the image id, for scripts"}},
      .run = [o](Context& ctx) { return run_build(ctx, *o); },
  });
  auto list = std::make_shared<BuildFlags>();
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
