// Failure notices: the message, the POST, the retry policy, and the sender thread.
#include "platform/local/agent/notify.hpp"

#include <algorithm>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http/transport.hpp"
#include "task/schedule.hpp"

namespace task {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {


Json time_or_null(const std::optional<Timestamp>& t) { return t ? Json(format_rfc3339_ms(*t)) : Json(nullptr); }

constexpr std::size_t kLineBytes = 1000;

}  // namespace

std::optional<std::string> notice_kind(RunOutcome outcome, int attempt, int retries) {
  switch (outcome) {
    case RunOutcome::failed:
    case RunOutcome::timed_out:
      if (attempt <= retries) return std::nullopt;  // a retry follows
      return "failure";
    case RunOutcome::lost: return "failure";
    case RunOutcome::succeeded: return "recovery";
    default: return std::nullopt;
  }
}

std::vector<RunLogLine> run_log_tail(const fs::path& log, std::size_t count) {
  std::vector<RunLogLine> lines;
  std::ifstream in(log, std::ios::binary);
  if (!in || count == 0) return lines;
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(in.tellg());
  // Enough for `count` long lines; a longer last line is cut anyway.
  const std::streamoff tail = std::min<std::streamoff>(size, static_cast<std::streamoff>(count * (kLineBytes + 64) + 1));
  in.seekg(size - tail);
  std::string text(static_cast<std::size_t>(tail), '\0');
  in.read(text.data(), tail);
  std::size_t start = 0;
  if (tail < size) {  // the first line read is probably partial
    auto nl = text.find('\n');
    start = nl == std::string::npos ? text.size() : nl + 1;
  }
  std::vector<std::string_view> raw;
  std::string_view view(text);
  while (start < view.size()) {
    auto end = view.find('\n', start);
    if (end == std::string_view::npos) end = view.size();
    if (end > start) raw.push_back(view.substr(start, end - start));
    start = end + 1;
  }
  const std::size_t first = raw.size() > count ? raw.size() - count : 0;
  for (std::size_t i = first; i < raw.size(); ++i) {
    auto line = parse_run_log_line(raw[i]);
    if (line.text.size() > kLineBytes) {
      line.text.resize(kLineBytes);
      line.text += "…";
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string resolve_webhook(const std::string& webhook, const Config& config) {
  if (!webhook.starts_with("${") || !webhook.ends_with("}")) return webhook;
  auto it = config.find(webhook.substr(2, webhook.size() - 3));
  return it == config.end() ? std::string{} : it->second.value;
}

std::string url_origin(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "(a URL)";
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);  // credentials
  return fmt::format("{}://{}", url.substr(0, scheme_end), rest);
}

std::string notice_payload(std::string_view kind, const RunRecord& run, RunOutcome outcome,
                           std::optional<int> exit_code, const std::string& error, Timestamp finished_at,
                           const std::vector<RunLogLine>& tail) {
  const std::string logs_command = fmt::format("task logs --run {}", run.id);
  Json lines = Json::array();
  for (const auto& line : tail) {
    lines.push_back({{"time", line.timestamp}, {"stream", line.stream}, {"text", line.text}});
  }
  std::string what = std::string(to_string(outcome));
  if (outcome == RunOutcome::timed_out) what = "timed out";
  if (exit_code && outcome != RunOutcome::succeeded) what += fmt::format(" (exit code {})", *exit_code);
  std::string text =
      kind == "recovery"
          ? fmt::format("{} in {}: run {} succeeded after failures. Its log: {}", run.task, run.env, run.id, logs_command)
          : fmt::format("{} in {}: run {} {}{}. Its log: {}", run.task, run.env, run.id, what,
                        error.empty() || outcome == RunOutcome::failed ? std::string{} : ": " + error, logs_command);
  Json j = {{"kind", kind},
            {"task", run.task},
            {"env", run.env},
            {"run_id", run.id},
            {"revision", run.revision},
            {"trigger", to_string(run.trigger)},
            {"attempt", run.attempt},
            {"outcome", to_string(outcome)},
            {"exit_code", exit_code ? Json(*exit_code) : Json(nullptr)},
            {"error", error},
            {"scheduled_at", format_rfc3339_ms(run.scheduled_at)},
            {"started_at", time_or_null(run.started_at)},
            {"finished_at", format_rfc3339_ms(finished_at)},
            {"log_tail", std::move(lines)},
            {"logs_command", logs_command},
            {"text", text}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Delivery post_notice(const std::string& url, const std::string& payload, std::chrono::milliseconds timeout,
                     const std::function<bool()>& cancelled) {
  Delivery d;
  auto transport = http::Transport::open({});
  if (!transport) {
    d.detail = transport.error().message;
    return d;
  }
  http::Call call;
  call.method = "POST";
  call.target = url;
  call.headers = {"Content-Type: application/json"};
  call.body = payload;
  call.cancelled = cancelled;
  call.timeout_ms = static_cast<long>(timeout.count());
  auto response = transport->perform(call);
  if (!response) {
    d.detail = response.error().detail;
    return d;
  }
  d.status = response->status;
  d.detail = fmt::format("HTTP {}", d.status);
  d.delivered = d.status >= 200 && d.status < 300;
  // A request the endpoint refuses stays refused; a timeout, a rate limit, or the
  // server's own trouble may pass.
  d.final = d.status >= 400 && d.status < 500 && d.status != 408 && d.status != 425 && d.status != 429;
  return d;
}

std::string settle_notice(NoticeRecord& notice, const Delivery& delivery, Timestamp now) {
  notice.attempts += 1;
  const std::string what = fmt::format("{} notice of run {} to {}", notice.kind, notice.run_id, url_origin(notice.url));
  if (delivery.delivered) {
    notice.state = NoticeState::delivered;
    notice.last_error.clear();
    return fmt::format("{} delivered ({}, attempt {})", what, delivery.detail, notice.attempts);
  }
  notice.last_error = delivery.detail;
  if (delivery.final || notice.attempts >= notice_attempts) {
    notice.state = NoticeState::failed;
    return fmt::format("{} not delivered: {} (attempt {}, given up{})", what, delivery.detail, notice.attempts,
                       delivery.final ? ": the endpoint refuses it" : "");
  }
  std::chrono::milliseconds wait = 2s;
  for (int i = 1; i < notice.attempts; ++i) wait *= 3;
  notice.next_at = now + wait;
  return fmt::format("{} not delivered: {} (attempt {} of {}; next at {})", what, delivery.detail, notice.attempts,
                     notice_attempts, format_rfc3339_ms(notice.next_at));
}

NoticeSender::NoticeSender(fs::path state_dir, std::function<void(std::string_view)> log)
    : state_dir_(std::move(state_dir)), log_(std::move(log)) {
  thread_.start([this] { loop(); }, log_);
}

void NoticeSender::loop() {
  auto say = [&](std::string_view line) {
    if (log_) log_(line);
  };
  auto store = Store::open(state_dir_);
  if (!store) {
    say("notices: cannot open the state store: " + store.error().message);
    return;
  }
  const std::function<bool()> cancelled = [this] { return thread_.stopping(); };
  while (!thread_.stopping()) {
    if (auto due = store->due_notices(system_now(), 16); due) {
      for (auto& notice : *due) {
        if (thread_.stopping()) break;
        auto delivery = post_notice(notice.url, notice.payload, 10s, cancelled);
        if (thread_.stopping() && !delivery.delivered) break;  // stopped mid-call: the next agent sends it
        const auto event = settle_notice(notice, delivery, system_now());
        say(fmt::format("{} in {}: {}", notice.task, notice.env, event));
        if (auto r = store->update_notice(notice, event, system_now()); !r) {
          say("notices: cannot record a delivery: " + r.error().message);
        }
      }
    } else {
      say("notices: " + due.error().message);
    }
    auto wait_until = std::chrono::system_clock::now() + 60s;
    if (auto next = store->next_notice_at(); next && *next) {
      wait_until = std::min<std::chrono::system_clock::time_point>(wait_until, **next);
    }
    thread_.sleep_until(wait_until);
  }
}

}  // namespace task
