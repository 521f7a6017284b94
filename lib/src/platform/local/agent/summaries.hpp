// The agent's background keeper of hour and day summaries: after each UTC hour ends, the
// figures of the hours and days whose runs are all done are summarized and stored, so that
// `task stats` reads summaries instead of every run.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "platform/local/agent/background.hpp"

namespace task {

class Summarizer {
 public:
  Summarizer(std::filesystem::path state_dir, std::function<void(std::string_view)> log);

 private:
  void loop();
  std::filesystem::path state_dir_;
  std::function<void(std::string_view)> log_;
  BackgroundThread thread_;  // last: stopped and joined before the rest goes
};

}  // namespace task
