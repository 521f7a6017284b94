#pragma once
// What a reader of the local platform waits on instead of asking again and again: the
// kernel's word (inotify) that the agent wrote the state database or a run's log.
#include <chrono>
#include <filesystem>

namespace task {

class ChangeWatch {
 public:
  // Watches $TASK_HOME (task.db and its write-ahead log) and $TASK_HOME/runs (the logs).
  explicit ChangeWatch(std::filesystem::path state_dir);
  ChangeWatch(const ChangeWatch&) = delete;
  ChangeWatch& operator=(const ChangeWatch&) = delete;
  ~ChangeWatch();

  enum class Woken { timeout, log, state };
  // Until a write under the state directory, or `at_most`. What was written since the
  // last wait counts too: a change between a read and this wait is not missed. `state`
  // when the database was written (a run begun or ended, a deployment changed), `log`
  // when only logs were.
  Woken wait(std::chrono::milliseconds at_most);

 private:
  void watch_runs();

  std::filesystem::path state_dir_;
  int fd_ = -1;
  int runs_watch_ = -1;
};

}  // namespace task
