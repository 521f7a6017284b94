// agent run, start, stop, status.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "interrupt.hpp"
#include "platform.hpp"
#include "task/local_platform.hpp"
#include "task/metrics.hpp"

namespace cli {

namespace {

using Json = nlohmann::json;

Json status_json(const task::AgentStatus& s, Context& ctx) {
  return {{"running", s.running},
          {"pid", s.running ? Json(s.pid) : Json()},
          {"state_dir", ctx.paths.state.string()},
          {"log", (ctx.paths.state / "agent.log").string()},
          {"metrics", s.metrics.empty() ? Json() : Json(s.metrics)}};
}

// --metrics ADDR, else the setting; "off": none.
std::string metrics_listen(Context& ctx, const std::string& flag) {
  const auto listen = flag.empty() ? task::agent_metrics_setting(ctx.paths.state) : flag;
  return listen == "off" ? std::string() : listen;
}

task::Result<void> run_agent_foreground(Context& ctx, bool record_only, const std::string& metrics) {
  // SIGTERM and SIGINT stop it cleanly: running containers are left for the next agent
  // to re-attach.
  const auto signals = watch_stop_signals();
  task::AgentOptions options;
  options.stop = signals.stopped;
  options.wake_fd = signals.fd;
  options.state_dir = ctx.paths.state;
  options.env = ctx.env;
  options.record_only = record_only;
  options.metrics = metrics_listen(ctx, metrics);
  options.log = [](std::string_view line) {
    // A full or closed stderr loses the line, never the agent: no write here throws.
    const auto text = fmt::format("{} {}\n", rfc3339_ms(task::system_now()), line);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  };
  return task::run_agent(options);
}

task::Result<void> run_agent_start(Context& ctx, const std::string& metrics) {
  auto before = task::agent_status(ctx.paths.state);
  if (!metrics.empty()) {
    if (auto set = task::set_agent_metrics_setting(ctx.paths.state, metrics == "off" ? "" : metrics); !set) return set;
  }
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return task::fail(task::Errc::failure, "cannot find task's own executable to start the agent");
  auto status = task::start_agent(ctx.paths.state, self);
  if (!status) return std::unexpected(status.error());
  ctx.out.essential("").emit(status_json(*status, ctx), [&](std::string& out) {
    out += before.running ? fmt::format("the agent already runs (pid {}){}\n", status->pid,
                                        metrics.empty() ? "" : "; the metrics setting applies when it next starts")
                          : fmt::format("{} the agent (pid {}); its log: {}\n", ctx.out.paint(Style::success, "Started"),
                                        status->pid, (ctx.paths.state / "agent.log").string());
    if (!status->metrics.empty()) out += fmt::format("metrics at {}\n", status->metrics);
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
    out += status.running ? fmt::format("{} (pid {}), state in {}{}\n", ctx.out.paint(Style::success, "running"), status.pid,
                                        ctx.paths.state.string(),
                                        status.metrics.empty() ? "" : fmt::format(", metrics at {}", status.metrics))
                          : fmt::format("{}: `task agent start` starts it (a deploy does too)\n",
                                        ctx.out.paint(Style::warning, "not running"));
  });
  return {};
}

}  // namespace

void add_agent_commands(Commands& commands) {
  auto record_only = std::make_shared<bool>(false);
  auto metrics = std::make_shared<std::string>();
  const std::string metrics_help =
      "Serve Prometheus metrics (OpenMetrics) of the local environments at http://HOST:PORT/metrics; "
      "port 0 takes any free one, `task agent status` says which; off: none";
  commands.push_back({.words = {"agent"},
                      .summary = "The local platform's scheduler: runs deployed tasks on their schedules",
                      .description = "One agent serves one TASK_HOME. A deploy to a local environment starts it in "
                                     "the background when it is not running."});
  commands.push_back({
      .words = {"agent", "run"},
      .summary = "Run the agent in the foreground (for a service manager)",
      .description =
          "Logs to standard error. SIGTERM or Ctrl-C stops it cleanly; running containers are left running "
          "and re-attached by the next agent. A second agent for the same TASK_HOME refuses to start.\n\n"
          "Metrics (--metrics): OpenMetrics for Prometheus (which asks for it), the classic text format for anything "
          "else, labelled task and env: task_runs_total{outcome} (finished runs; outcome error is a platform fault, "
          "not the task's), task_run_duration_seconds and task_run_lateness_seconds (histograms), "
          "task_runs_in_progress, task_last_success_timestamp_seconds, task_last_failure_timestamp_seconds, "
          "task_deployment_info{revision,schedule,timezone,image,state}, task_deployment_suspended, and "
          "task_platform_up{platform}. Counters only grow while the agent runs: what the store held when it started "
          "is read once and later runs are added to it.",
      .flags = {{"--record-only", "", "Benchmarks of the scheduler: record runs as started instead of starting containers",
                 record_only.get()},
                {"--metrics", "HOST:PORT", metrics_help + " (default: the setting `task agent start --metrics` keeps)",
                 metrics.get()}},
      .examples = {{"task agent run", ""},
                   {"task agent run --metrics 127.0.0.1:9464", "Also serve metrics for Prometheus to scrape"}},
      .run = [record_only, metrics](Context& ctx) { return run_agent_foreground(ctx, *record_only, *metrics); },
  });
  commands.push_back({
      .words = {"agent", "start"},
      .summary = "Start the agent in the background unless it runs",
      .description = "With --metrics, the address is kept as a setting: every agent started afterwards, by this "
                     "command or by a deploy, serves metrics there, until `--metrics off`.",
      .flags = {{"--metrics", "HOST:PORT", metrics_help, metrics.get()}},
      .examples = {{"task agent start", ""},
                   {"task agent start --metrics 127.0.0.1:9464", "Serve metrics from now on"},
                   {"task agent status -o json | jq -r .metrics", "Where they are served"}},
      .run = [metrics](Context& ctx) { return run_agent_start(ctx, *metrics); },
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
