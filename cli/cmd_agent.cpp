// agent run, start, stop, status.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "interrupt.hpp"
#include "platform.hpp"
#include "task/local_platform.hpp"

namespace cli {

namespace {

using Json = nlohmann::json;

Json status_json(const task::AgentStatus& s, Context& ctx) {
  return {{"running", s.running},
          {"pid", s.running ? Json(s.pid) : Json()},
          {"state_dir", ctx.paths.state.string()},
          {"log", (ctx.paths.state / "agent.log").string()}};
}

task::Result<void> run_agent_foreground(Context& ctx, bool record_only) {
  // SIGTERM and SIGINT stop it cleanly: running containers are left for the next agent
  // to re-attach.
  const auto signals = watch_stop_signals();
  task::AgentOptions options;
  options.stop = signals.stopped;
  options.wake_fd = signals.fd;
  options.state_dir = ctx.paths.state;
  options.env = ctx.env;
  options.record_only = record_only;
  options.log = [](std::string_view line) {
    // A full or closed stderr loses the line, never the agent: no write here throws.
    const auto text = fmt::format("{} {}\n", rfc3339_ms(task::system_now()), line);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  };
  return task::run_agent(options);
}

task::Result<void> run_agent_start(Context& ctx) {
  auto before = task::agent_status(ctx.paths.state);
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return task::fail(task::Errc::failure, "cannot find task's own executable to start the agent");
  auto status = task::start_agent(ctx.paths.state, self);
  if (!status) return std::unexpected(status.error());
  ctx.out.essential("").emit(status_json(*status, ctx), [&](std::string& out) {
    out += before.running ? fmt::format("the agent already runs (pid {})\n", status->pid)
                          : fmt::format("{} the agent (pid {}); its log: {}\n", ctx.out.paint(Style::success, "Started"),
                                        status->pid, (ctx.paths.state / "agent.log").string());
  });
  return {};
}

task::Result<void> run_agent_stop(Context& ctx) {
  auto before = task::agent_status(ctx.paths.state);
  auto status = task::stop_agent(ctx.paths.state, std::chrono::seconds(30));
  if (!status) return std::unexpected(status.error());
  ctx.out.essential("").emit(status_json(*status, ctx), [&](std::string& out) {
    out += before.running ? fmt::format("{} the agent (pid {}); running tasks go on and are re-attached when it starts\n",
                                        ctx.out.paint(Style::success, "Stopped"), before.pid)
                          : std::string("the agent was not running\n");
  });
  return {};
}

task::Result<void> run_agent_status(Context& ctx) {
  auto status = task::agent_status(ctx.paths.state);
  ctx.out.emit(status_json(status, ctx), [&](std::string& out) {
    out += status.running ? fmt::format("{} (pid {}), state in {}\n", ctx.out.paint(Style::success, "running"), status.pid,
                                        ctx.paths.state.string())
                          : fmt::format("{}: `task agent start` starts it (a deploy does too)\n",
                                        ctx.out.paint(Style::warning, "not running"));
  });
  return {};
}

}  // namespace

void add_agent_commands(Commands& commands) {
  auto record_only = std::make_shared<bool>(false);
  commands.push_back({.words = {"agent"},
                      .summary = "The local platform's scheduler: runs deployed tasks on their schedules",
                      .description = "One agent serves one TASK_HOME. A deploy to a local environment starts it in "
                                     "the background when it is not running."});
  commands.push_back({
      .words = {"agent", "run"},
      .summary = "Run the agent in the foreground (for a service manager)",
      .description = "Logs to standard error. SIGTERM or Ctrl-C stops it cleanly; running containers are left running "
                     "and re-attached by the next agent. A second agent for the same TASK_HOME refuses to start.",
      .flags = {{"--record-only", "", "Benchmarks of the scheduler: record runs as started instead of starting containers",
                 record_only.get()}},
      .examples = {{"task agent run", ""}},
      .run = [record_only](Context& ctx) { return run_agent_foreground(ctx, *record_only); },
  });
  commands.push_back({
      .words = {"agent", "start"},
      .summary = "Start the agent in the background unless it runs",
      .examples = {{"task agent start", ""}},
      .run = [](Context& ctx) { return run_agent_start(ctx); },
  });
  commands.push_back({
      .words = {"agent", "stop"},
      .summary = "Stop the background agent; running tasks go on",
      .examples = {{"task agent stop", ""}},
      .run = [](Context& ctx) { return run_agent_stop(ctx); },
  });
  commands.push_back({
      .words = {"agent", "status"},
      .summary = "Whether the agent runs, and its pid",
      .examples = {{"task agent status", ""}, {"task agent status -o json | jq .running", ""}},
      .run = [](Context& ctx) { return run_agent_status(ctx); },
  });
}

}  // namespace cli
