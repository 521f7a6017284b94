#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "platform.hpp"
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
};


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
  const bool terminal = ctx.out.live_err();
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
  ctx.out.essential(std::to_string(record->id)).emit(build_json(*record), [&](std::string& out) {
    out += fmt::format("{} {} {}\n", ctx.out.paint(Style::success, "Built"), record->image_ref, record->image_id);
    if (!record->pushed_ref.empty()) out += fmt::format("{} {}\n", ctx.out.paint(Style::success, "Pushed"), record->pushed_ref);
  });
  return {};
}

}  // namespace

task::Result<task::BuildRecord> build_for_deploy(Context& ctx) { return build_with_progress(ctx, BuildFlags{}); }

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
  add_builds_commands(commands);
}

}  // namespace cli
