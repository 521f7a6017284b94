#pragma once
// What the scheduler hands a run to. The Docker runner (worker.cpp) runs it as a container
// on a thread of its own; the recording runner (recording_runner.cpp) only records runs,
// for benchmarks of the scheduler alone; tests give a runner of their own and finish runs
// when they choose.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <thread>

#include "platform/local/store.hpp"

namespace task {

// One run in a runner's hands, as the scheduler sees it.
struct Worker {
  std::int64_t run_id = 0;
  std::int64_t deployment_id = 0;
  std::thread thread;  // the Docker runner's; joined by the scheduler once done
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> replaced_by{0};  // a newer run replaces this one: stop it
  // A run prepared ahead of its fire time waits, its container made, for the scheduler's
  // word at the fire time: start, skip (skip_reason, written before), or leave it (stopping).
  enum Go : int { wait = 0, start = 1, skip = 2, leave = 3 };
  std::atomic<int> go{start};
  std::string skip_reason;
  Timestamp start_at{};  // the fire time of a prepared run

  void decide(Go decision) {
    go.store(decision);
    go.notify_all();
  }
};

class Runner {
 public:
  virtual ~Runner() = default;
  // Carries out `run` on `worker`: starts it (or waits for the word of a prepared run, or
  // with `reattach` finds what a previous agent started), stores its outcome and, when the
  // policy asks, its retry (store.hpp: finish_run), then sets worker.done.
  virtual void launch(Worker& worker, const RunRecord& run, const Revision& revision, const EnvironmentRecord& environment,
                      bool reattach) = 0;
  // How long before its fire time a run is handed over to start exactly at it, given the
  // time since the previous fire time; zero: at the fire time.
  virtual std::chrono::milliseconds lead(std::chrono::milliseconds gap) const = 0;
  // A runner that records runs itself, at once, as started and finished at the instant
  // given (benchmarks of the scheduler): true when it took the run.
  virtual bool record(const NewRun& /*run*/, Timestamp /*at*/) { return false; }
  virtual bool records_itself() const { return false; }
  virtual void flush() {}
  // After a restart: removes what runs that are finished left behind.
  virtual void clean_up(Store& /*store*/) {}
  // The scheduler stops: the runner's own threads end.
  virtual void stop() {}
};

// Runs `body`, an exception becoming a line of `log` naming `what`: one of the agent's
// threads never ends the process (nor leaves it to std::terminate).
void guarded(const std::function<void(std::string_view)>& log, std::string_view what, const std::function<void()>& body);

// The wait after a failed or timed-out attempt before the next: 1s, 2s, 4s … at most 5 min.
std::chrono::milliseconds retry_backoff(int attempt);
// The next attempt that the policy asks for after `outcome`, due after its backoff.
std::optional<NewRun> retry_of(const RunRecord& run, const RunPolicy& policy, RunOutcome outcome, Timestamp now);

}  // namespace task
