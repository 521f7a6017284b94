#include "platform/local/agent/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

namespace task {

using namespace std::chrono_literals;

void guarded(const std::function<void(std::string_view)>& log, std::string_view what, const std::function<void()>& body) {
  std::string failure;
  try {
    body();
    return;
  } catch (const std::exception& e) {
    failure = fmt::format("{} failed: {}", what, e.what());
  } catch (...) {
    failure = fmt::format("{} failed", what);
  }
  try {
    if (log) log(failure);
  } catch (...) {  // nowhere left to say it
  }
}

std::chrono::milliseconds retry_backoff(int attempt) {
  // 1s, 2s, 4s, … after attempts 1, 2, 3, …; at most five minutes.
  const int shift = std::clamp(attempt - 1, 0, 9);
  return std::min<std::chrono::milliseconds>(std::chrono::milliseconds(1000LL << shift), 300s);
}

std::optional<NewRun> retry_of(const RunRecord& run, const RunPolicy& policy, RunOutcome outcome, Timestamp now) {
  if ((outcome != RunOutcome::failed && outcome != RunOutcome::timed_out) || run.attempt > policy.retries) return std::nullopt;
  NewRun retry;
  retry.deployment_id = run.deployment_id;
  retry.revision = run.revision;
  retry.trigger = RunTrigger::retry;
  retry.attempt = run.attempt + 1;
  retry.outcome = RunOutcome::pending;
  retry.scheduled_at = now + retry_backoff(run.attempt);
  return retry;
}

}  // namespace task
