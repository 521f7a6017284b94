// Failure notices: the message, the POST, the retry policy, and the sender thread.
#include "platform/local/agent/notify.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "task/schedule.hpp"

namespace task {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

Timestamp now_ms() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

std::string rfc3339_ms(Timestamp t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  std::string whole = format_rfc3339(seconds);
  whole.pop_back();  // "Z"
  return fmt::format("{}.{:03}Z", whole, (t - seconds).count());
}

Json time_or_null(const std::optional<Timestamp>& t) { return t ? Json(rfc3339_ms(*t)) : Json(nullptr); }

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
            {"scheduled_at", rfc3339_ms(run.scheduled_at)},
            {"started_at", time_or_null(run.started_at)},
            {"finished_at", rfc3339_ms(finished_at)},
            {"log_tail", std::move(lines)},
            {"logs_command", logs_command},
            {"text", text}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

extern "C" std::size_t discard_body(char*, std::size_t size, std::size_t n, void*) { return size * n; }

extern "C" int on_progress(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancelled = static_cast<const std::function<bool()>*>(data);
  return (*cancelled && (*cancelled)()) ? 1 : 0;
}

}  // namespace

Delivery post_notice(const std::string& url, const std::string& payload, std::chrono::milliseconds timeout,
                     const std::function<bool()>& cancelled) {
  Delivery d;
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) {
    d.detail = "cannot initialise libcurl";
    return d;
  }
  std::unique_ptr<curl_slist, CurlFree> headers;
  for (const char* h : {"Content-Type: application/json", "Expect:"}) {
    if (auto* grown = curl_slist_append(headers.get(), h)) {
      (void)headers.release();
      headers.reset(grown);
    }
  }
  char error_text[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "task");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &discard_body);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::function<bool()>*>(&cancelled));
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    d.detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
    return d;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &d.status);
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
                     notice_attempts, rfc3339_ms(notice.next_at));
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
    if (auto due = store->due_notices(now_ms(), 16); due) {
      for (auto& notice : *due) {
        if (thread_.stopping()) break;
        auto delivery = post_notice(notice.url, notice.payload, 10s, cancelled);
        if (thread_.stopping() && !delivery.delivered) break;  // stopped mid-call: the next agent sends it
        const auto event = settle_notice(notice, delivery, now_ms());
        say(fmt::format("{} in {}: {}", notice.task, notice.env, event));
        if (auto r = store->update_notice(notice, event, now_ms()); !r) {
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
