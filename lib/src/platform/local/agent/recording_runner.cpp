#include "platform/local/agent/recording_runner.hpp"

namespace task {

RecordingRunner::RecordingRunner(Store& store, std::filesystem::path state_dir, Clock now,
                                 std::function<void(std::string_view)> log)
    : store_(store), state_dir_(std::move(state_dir)), now_(std::move(now)), log_(std::move(log)) {}

RecordingRunner::~RecordingRunner() { stop(); }

void RecordingRunner::launch(Worker& worker, const RunRecord& run, const Revision&, const EnvironmentRecord&, bool) {
  if (!is_finished(run.outcome)) {
    const auto now = now_();
    store_.set_run_started(run.id, now);
    store_.finish_run(run.id, RunOutcome::succeeded, 0, "", now);
  }
  worker.done.store(true);
}

bool RecordingRunner::record(const NewRun& run, Timestamp at) {
  NewRun done = run;
  done.outcome = RunOutcome::succeeded;
  recorded_.push_back({done, at});
  return true;
}

void RecordingRunner::flush() {
  if (recorded_.empty()) return;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(recorded_));
  }
  wake_.notify_one();
  recorded_.clear();
  if (writer_.joinable()) return;
  writer_ = std::thread([this] { guarded(log_, "the run recorder", [this] { write(); }); });
}

void RecordingRunner::write() {
  {
    auto store = Store::open(state_dir_);
    if (!store) return;
    for (;;) {
      std::vector<std::vector<Store::RecordedRun>> batches;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty() && done_) return;
        batches.swap(queue_);
      }
      for (const auto& batch : batches) {
        if (auto r = store->add_recorded_runs(batch); !r && log_) log_("cannot record runs: " + r.error().message);
      }
    }
  }
}

void RecordingRunner::stop() {
  flush();
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

}  // namespace task
