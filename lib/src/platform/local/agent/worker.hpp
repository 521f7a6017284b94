#pragma once
// The Docker runner: each run, from its container's creation to its stored outcome, on a
// thread of its own.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>
#include <thread>

#include "task/docker.hpp"
#include "platform/local/agent/runner.hpp"
#include "platform/local/store.hpp"

namespace task {

struct WorkerContext {
  std::filesystem::path state_dir;
  DockerEndpoint endpoint;
  const std::atomic<bool>* stopping = nullptr;  // the agent stops: leave the container running
  std::function<void(std::string_view)> log;
  std::function<void()> notice_queued;  // wakes the notice sender
};

// Creates and starts the run's container (or, with `reattach`, finds the one a previous
// agent started), streams its output into the run's log, enforces the timeout, records
// the outcome, removes the container, and queues a retry when the policy asks for one.
void run_worker(const WorkerContext& context, Worker& worker, RunRecord run, const Revision& revision,
                const EnvironmentRecord& environment, bool reattach);

class DockerRunner final : public Runner {
 public:
  explicit DockerRunner(WorkerContext context);
  void launch(Worker& worker, const RunRecord& run, const Revision& revision, const EnvironmentRecord& environment,
              bool reattach) override;
  // Three seconds ahead, or three quarters of the gap: making a container can be slow.
  std::chrono::milliseconds lead(std::chrono::milliseconds gap) const override;
  // Containers of finished runs that a crash left behind are removed.
  void clean_up(Store& store) override;
  // Running containers are left to the next agent.
  void stop() override;

 private:
  WorkerContext context_;
  std::atomic<bool> stopping_{false};
};


}  // namespace task
