#pragma once
// Failure notices (run.on_failure.webhook): what one says, how it is posted, and the
// agent's sender that delivers what the workers queued, with retries.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/local/agent/background.hpp"
#include "task/local_platform.hpp"
#include "platform/local/store.hpp"

namespace task {

// A failed, timed-out or lost run on its last attempt (no retry follows) calls for a
// failure notice; a success for a recovery notice, which the store queues only when the
// deployment's last notice was a failure.
std::optional<std::string> notice_kind(RunOutcome outcome, int attempt, int retries);

// The last `count` lines of a run's log (each cut to 1000 bytes).
std::vector<RunLogLine> run_log_tail(const std::filesystem::path& log, std::size_t count);

// The JSON message: the run and its outcome, the log's last lines (already masked by the
// caller), the command that shows the rest, and a one-line `text` for chat webhooks.
std::string notice_payload(std::string_view kind, const RunRecord& run, RunOutcome outcome,
                           std::optional<int> exit_code, const std::string& error, Timestamp finished_at,
                           const std::vector<RunLogLine>& tail);

// The webhook a notice goes to: task.yaml's URL, or with `${NAME}` the value of NAME in
// the environment's configuration (a secret there, so the URL is in no file in Git); ""
// when NAME is not set there.
std::string resolve_webhook(const std::string& webhook, const Config& config);

// "https://chat.example:8443" from "https://user:pw@chat.example:8443/hooks/T0?key=…":
// what messages may show of a URL whose path or query may hold a secret.
std::string url_origin(std::string_view url);

struct Delivery {
  bool delivered = false;
  bool final = false;   // not worth retrying (the endpoint refused the message)
  long status = 0;      // the HTTP status, 0 when there was none
  std::string detail;   // "HTTP 500", "connection refused" …
};
// POSTs `payload` as application/json; `cancelled` aborts the transfer.
Delivery post_notice(const std::string& url, const std::string& payload, std::chrono::milliseconds timeout,
                     const std::function<bool()>& cancelled);

// The retry policy: 6 attempts, 2s, 6s, 18s, 54s and 162s apart. Updates the notice's
// state, attempts and next time; returns the event message.
std::string settle_notice(NoticeRecord& notice, const Delivery& delivery, Timestamp now);
inline constexpr int notice_attempts = 6;

// Delivers due notices on its own thread and store connection until destroyed.
class NoticeSender {
 public:
  NoticeSender(std::filesystem::path state_dir, std::function<void(std::string_view)> log);
  void wake() { thread_.wake(); }  // a notice was queued

 private:
  void loop();
  std::filesystem::path state_dir_;
  std::function<void(std::string_view)> log_;
  BackgroundThread thread_;  // last: stopped and joined before the rest goes
};

}  // namespace task
