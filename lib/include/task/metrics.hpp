#pragma once
// Prometheus metrics of the deployments and runs of a workspace's platforms, in the
// OpenMetrics text format (DESIGN §9). The agent serves them at `--metrics HOST:PORT`.
//
// The families (the man page of task-agent lists the same):
//   task_runs_total{task,env,outcome}                  counter: finished runs (outcome
//       succeeded, failed, timed_out, skipped, lost, cancelled, or error: a platform fault)
//   task_run_duration_seconds{task,env}                histogram: finished - started
//   task_run_lateness_seconds{task,env}                histogram: started - fire time
//   task_runs_in_progress{task,env}                    gauge: pending, starting or running
//   task_last_success_timestamp_seconds{task,env}      gauge: when the newest success ended
//   task_last_failure_timestamp_seconds{task,env}      gauge: when the newest failure ended
//   task_deployment_info{task,env,revision,schedule,timezone,image,state}   info
//   task_deployment_suspended{task,env}                gauge: 1 while suspended
//   task_platform_up{platform,env}                     gauge: 0 while its runner cannot run tasks
//       (env: the first environment on that platform)
//
// Counters only grow while the exporter lives: what the platform recorded before it began
// is read once, and later runs are added, so a platform forgetting old runs (the local
// one keeps 90 days) never makes a counter fall.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "task/error.hpp"
#include "task/workspace.hpp"

namespace task {

struct MetricsOptions {
  // Which environments' deployments to export; empty: every one.
  std::function<bool(const EnvironmentRecord&)> environments = {};
};

// OpenMetrics 1.0, which Prometheus asks for, or the classic text format 0.0.4, for
// anything else that asks (curl, promtool).
enum class MetricsFormat { openmetrics, text };

class MetricsExporter {
 public:
  MetricsExporter(Workspace& workspace, MetricsOptions options);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // The exposition (OpenMetrics ends in `# EOF`). Not for two threads at once.
  Result<std::string> scrape(MetricsFormat format = MetricsFormat::openmetrics);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves a MetricsExporter of a workspace of its own at http://HOST:PORT/metrics, on a
// thread of its own, until destroyed.
class MetricsServer {
 public:
  // `listen`: HOST:PORT (port 0: any free one); Errc::usage when malformed, Errc::conflict
  // when it cannot listen there.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen, WorkspaceOptions workspace,
                                                      MetricsOptions options);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  std::string url() const;  // http://127.0.0.1:9464/metrics

  struct Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The local agent's setting: where an agent started without --metrics listens ("" : it
// serves none), kept in $TASK_HOME/agent-metrics.
std::string agent_metrics_setting(const std::filesystem::path& state_dir);
Result<void> set_agent_metrics_setting(const std::filesystem::path& state_dir, const std::string& listen);

// The media types of the two formats.
inline constexpr const char* openmetrics_content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
inline constexpr const char* text_metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace task
