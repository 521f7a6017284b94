// The agent's background keeper of hour summaries: after each UTC hour ends, the figures of
// the hours whose runs are all done are summarized and stored, so that `task stats` reads
// summaries instead of every run.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

namespace task {

class HourSummarizer {
 public:
  HourSummarizer(std::filesystem::path state_dir, std::function<void(std::string_view)> log);
  ~HourSummarizer();
  HourSummarizer(const HourSummarizer&) = delete;
  HourSummarizer& operator=(const HourSummarizer&) = delete;

 private:
  void loop();
  std::filesystem::path state_dir_;
  std::function<void(std::string_view)> log_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> done_{false};
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace task
