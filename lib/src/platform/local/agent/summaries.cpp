#include "platform/local/agent/summaries.hpp"

#include <fmt/format.h>

#include "stats/local_stats.hpp"
#include "platform/local/store.hpp"

namespace task {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Summarizer::Summarizer(fs::path state_dir, std::function<void(std::string_view)> log)
    : state_dir_(std::move(state_dir)), log_(std::move(log)) {
  thread_.start([this] { loop(); }, log_);
}

void Summarizer::loop() {
  auto say = [&](std::string_view line) {
    if (log_) log_(line);
  };
  auto store = Store::open(state_dir_);
  if (!store) {
    say("stats: cannot open the state store: " + store.error().message);
    return;
  }
  const std::function<bool()> stop = [this] { return thread_.stopping(); };
  while (!thread_.stopping()) {
    const auto now = system_now();
    Summarized looked;
    if (auto deployments = store->list_deployments(true); deployments) {
      for (const auto& d : *deployments) {
        if (thread_.stopping()) break;
        if (auto n = summarize_finished(*store, d.id, now, stop); n) {
          looked.hours += n->hours;
          looked.days += n->days;
        } else {
          say(fmt::format("stats: cannot summarize the runs of {} in {}: {}", d.task, d.env,
                          n.error().message));
        }
      }
    } else {
      say("stats: " + deployments.error().message);
    }
    if (looked.hours + looked.days > 0) {
      say(fmt::format("stats: looked at {} hour(s) and {} day(s) of runs and stored their summaries", looked.hours,
                      looked.days));
    }
    // Again just after the next hour ends; runs still going then are summarized an hour later.
    const auto next_hour = std::chrono::floor<std::chrono::hours>(now) + 1h + 30s;
    thread_.sleep_until(next_hour);
  }
}

}  // namespace task
