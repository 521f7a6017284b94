#pragma once
// The local platform's agent (DESIGN §6): one process per $TASK_HOME that sleeps until
// the next fire time, starts each run as a container through the Docker Engine API,
// keeps its output, enforces the run policy, and after a restart re-attaches what still
// runs. Commands that change deployments wake it through a datagram socket.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "task/deployment.hpp"
#include "task/error.hpp"
#include "task/paths.hpp"
#include "task/time.hpp"

namespace task {

struct AgentOptions {
  std::filesystem::path state_dir;  // $TASK_HOME
  Environment env;                  // finds the Docker engine (DOCKER_HOST …)
  std::function<bool()> stop;       // true: stop cleanly, leaving running containers
  int wake_fd = -1;                 // readable when `stop` may have become true (a signal)
  Clock now = system_now;
  std::function<void(std::string_view)> log;  // the agent's own messages, one line each
  // For benchmarks of the scheduler alone: record each run as started and succeeded at
  // the instant it would have been started, instead of starting a container.
  bool record_only = false;
  // HOST:PORT where it serves Prometheus metrics of the local environments (metrics.hpp);
  // "": none.
  std::string metrics = {};
};

// Runs the agent in this process until `stop` says so. Errc::conflict when another agent
// holds $TASK_HOME.
Result<void> run_agent(const AgentOptions& options);

struct AgentStatus {
  bool running = false;
  long pid = 0;
  std::string metrics = {};  // the URL of its metrics, while it serves them
};
AgentStatus agent_status(const std::filesystem::path& state_dir);

// Tells a running agent that deployments or runs changed. Best effort: no agent, no-op.
void wake_agent(const std::filesystem::path& state_dir);

// Starts `executable agent run` in the background (its own session, output appended to
// $TASK_HOME/agent.log) unless an agent runs already; waits until it holds the lock.
Result<AgentStatus> start_agent(const std::filesystem::path& state_dir,
                                const std::filesystem::path& executable);

// SIGTERM to the agent, then waits up to `wait` for it to let go of the lock.
Result<AgentStatus> stop_agent(const std::filesystem::path& state_dir, std::chrono::milliseconds wait);

// How the lines of a run's log file look: "<RFC 3339 ns> <out|err|task> <text>".
RunLogLine parse_run_log_line(std::string_view line);

}  // namespace task
