#pragma once
// The recording runner, for benchmarks of the scheduler alone (`task agent run
// --record-only`): each run is stored as started and succeeded at the instant it would
// have started, with no container. Runs go to a writer thread with its own connection,
// so storing a large batch never delays the next fire time.
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "platform/local/agent/runner.hpp"

namespace task {

class RecordingRunner final : public Runner {
 public:
  RecordingRunner(Store& store, std::filesystem::path state_dir, Clock now, std::function<void(std::string_view)> log);
  ~RecordingRunner() override;

  // Manual, retry and re-attached runs: succeeded at once, without running anything.
  void launch(Worker& worker, const RunRecord& run, const Revision& revision, const EnvironmentRecord& environment,
              bool reattach) override;
  std::chrono::milliseconds lead(std::chrono::milliseconds) const override { return std::chrono::milliseconds(0); }
  bool record(const NewRun& run, Timestamp at) override;
  bool records_itself() const override { return true; }
  void flush() override;
  void stop() override;

 private:
  void write();  // the writer thread

  Store& store_;
  std::filesystem::path state_dir_;
  Clock now_;
  std::function<void(std::string_view)> log_;
  std::vector<Store::RecordedRun> recorded_;  // not yet handed to the writer
  std::thread writer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::vector<Store::RecordedRun>> queue_;
  bool done_ = false;
};

}  // namespace task
