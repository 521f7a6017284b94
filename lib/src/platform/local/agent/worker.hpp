#pragma once
// One run, from its container's creation to its stored outcome, on its own thread.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>
#include <thread>

#include "task/docker.hpp"
#include "platform/local/store.hpp"

namespace task {

struct WorkerContext {
  std::filesystem::path state_dir;
  DockerEndpoint endpoint;
  const std::atomic<bool>* stopping = nullptr;  // the agent stops: leave the container running
  std::function<void(std::string_view)> log;
  std::function<void()> notice_queued;  // wakes the notice sender
};

struct Worker {
  std::int64_t run_id = 0;
  std::int64_t deployment_id = 0;
  std::thread thread;
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> replaced_by{0};  // a newer run replaces this one: stop it
  // A run prepared ahead of its fire time waits, its container made, for the agent's word
  // at the fire time: start, skip (skip_reason, written before), or leave it (stopping).
  enum Go : int { wait = 0, start = 1, skip = 2, leave = 3 };
  std::atomic<int> go{start};
  std::string skip_reason;
  Timestamp start_at{};  // the fire time of a prepared run

  void decide(Go decision) {
    go.store(decision);
    go.notify_all();
  }
};

// Creates and starts the run's container (or, with `reattach`, finds the one a previous
// agent started), streams its output into the run's log, enforces the timeout, records
// the outcome, removes the container, and queues a retry when the policy asks for one.
void run_worker(const WorkerContext& context, Worker& worker, RunRecord run, const Revision& revision,
                const EnvironmentRecord& environment, bool reattach);

// "2026-11-28T12:00:00.123456789Z"
std::string rfc3339_nanos(std::chrono::system_clock::time_point t);

}  // namespace task
