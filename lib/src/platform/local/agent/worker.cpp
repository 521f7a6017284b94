// A run's life on its worker thread: container, log, timeout, outcome, retry.
#include "platform/local/agent/worker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <cstring>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "core/secret_mask.hpp"
#include "platform/local/agent/notify.hpp"
#include "task/local_platform.hpp"
#include "task/schedule.hpp"

namespace task {
namespace fs = std::filesystem;
using namespace std::chrono_literals;


namespace {


// Appends whole lines to the run's log, each in one write so readers never see half.
// A line that cannot be written whole (the disk is full) is cut back out, and the log is
// `behind` from there: later lines are not written until the worker fills the gap from
// the engine, which keeps the container's output until the container is removed.
class RunLog {
 public:
  explicit RunLog(const fs::path& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {}
  ~RunLog() {
    if (fd_ >= 0) ::close(fd_);
  }
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  void mask(const Config& config) { mask_ = SecretMask(config); }
  std::string masked(std::string_view raw) const { return mask_(raw); }

  // The engine's output: dropped while behind (the gap is filled from the engine).
  void output(const LogLine& line) {
    if (!behind_) write_line(line.timestamp, line.stderr_stream ? "err" : "out", line.text);
  }
  // The agent's own notes about the run.
  void note(std::string_view text) { write_line({}, "task", text); }

  bool behind() const { return behind_; }
  const std::string& write_error() const { return error_; }
  void caught_up() { behind_ = false; }
  void fell_behind() { behind_ = true; }

 private:
  void write_line(const std::string& timestamp, std::string_view stream, std::string_view raw) {
    if (fd_ < 0) return;
    const std::string out = fmt::format(
        "{} {} {}\n", timestamp.empty() ? format_rfc3339_ns(std::chrono::system_clock::now()) : timestamp, stream, masked(raw));
    const off_t before = ::lseek(fd_, 0, SEEK_END);
    for (std::size_t at = 0; at < out.size();) {
      auto n = ::write(fd_, out.data() + at, out.size() - at);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        error_ = std::strerror(n < 0 ? errno : ENOSPC);
        if (before >= 0) {
          [[maybe_unused]] const int cut = ::ftruncate(fd_, before);  // never half a line
        }
        if (stream != "task") behind_ = true;
        return;
      }
      at += static_cast<std::size_t>(n);
    }
  }

  int fd_;
  SecretMask mask_;
  bool behind_ = false;
  std::string error_;
};

// The engine's timestamp of the last output line already in the log: a re-attached run
// asks the engine only for what came after it.
std::string last_output_timestamp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(in.tellg());
  // The last 256 KiB, and further back (to 64 MiB) while they hold no whole output line:
  // the last line may be a long one.
  for (std::streamoff window = 256 * 1024;; window *= 4) {
    const std::streamoff tail = std::min<std::streamoff>(size, window);
    in.clear();
    in.seekg(size - tail);
    std::string text(static_cast<std::size_t>(tail), '\0');
    in.read(text.data(), tail);
    std::string last;
    // A window that does not start the file starts inside a line: from the next one.
    std::size_t start = 0;
    if (tail < size) {
      const auto first = text.find('\n');
      start = first == std::string::npos ? text.size() : first + 1;
    }
    while (start < text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) break;
      auto parsed = parse_run_log_line(std::string_view(text).substr(start, end - start));
      if (parsed.stream == "out" || parsed.stream == "err") last = parsed.timestamp;
      start = end + 1;
    }
    if (!last.empty() || tail == size || window >= 64 * 1024 * 1024) return last;
  }
}


// A run's timeout, kept on a thread of its own rather than by the log stream's checks
// (which come as output does, or once a second when there is none): at the deadline it
// kills the container through a connection of its own, within milliseconds. `killed` says
// whether it did; a container that ended by itself first cannot be killed, and its run
// ends as its exit code says.
class Watchdog {
 public:
  Watchdog(const DockerEndpoint& endpoint, std::string container, Timestamp deadline)
      : thread_([this, endpoint, container = std::move(container), deadline] {
          std::unique_lock lock(mutex_);
          if (ended_.wait_until(lock, deadline, [this] { return done_; })) return;
          lock.unlock();
          auto client = DockerClient::connect(endpoint);
          if (client && client->kill_container(container)) killed_ = true;
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    ended_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool killed() const { return killed_.load(); }

 private:
  std::mutex mutex_;
  std::condition_variable ended_;
  bool done_ = false;
  std::atomic<bool> killed_{false};
  std::thread thread_;  // last: it starts once the rest is made
};

}  // namespace

void run_worker(const WorkerContext& context, Worker& worker, RunRecord run, const Revision& revision,
                const EnvironmentRecord& environment, bool reattach) {
  auto say = [&](const std::string& line) {
    if (context.log) context.log(fmt::format("{} in {}: run {}: {}", run.task, run.env, run.id, line));
  };
  auto opened = Store::open(context.state_dir);
  if (!opened) {
    say("cannot open the state store: " + opened.error().message);
    return;
  }
  Store& store = *opened;
  RunLog log(run.log_path);
  log.mask(revision.config);
  const auto& policy = revision.policy;
  const auto stopping = [&] { return context.stopping != nullptr && context.stopping->load(); };
  // The outcome, its failure notice and its retry: one transaction, so none is lost or
  // stored without the others. Only a run that ran to an outcome of its own is tried
  // again. Written until it is stored (a full disk is waited out, never a reason to drop
  // an outcome); false only when the agent stops first: the container is then left for
  // the next agent, which finds it ended and records it.
  auto finish = [&](RunOutcome outcome, std::optional<int> exit_code, const std::string& error, bool ran = false) {
    const auto finished_at = system_now();
    const auto retry = ran ? retry_of(run, policy, outcome, finished_at) : std::nullopt;
    // The failure notice, when the task asks for one, is queued with the outcome: one
    // transaction, so a notice is never lost nor sent for an outcome not stored.
    std::optional<NewNotice> notice;
    const std::string webhook = resolve_webhook(policy.failure_webhook, revision.config);
    if (!policy.failure_webhook.empty()) {
      if (auto kind = notice_kind(outcome, run.attempt, policy.retries); kind && webhook.empty()) {
        if (*kind == "failure") {
          say(fmt::format("no failure notice: {} is not in the configuration of {} (`task config set`)",
                          policy.failure_webhook, run.env));
        }
      } else if (kind) {
        auto tail = run_log_tail(run.log_path, 20);
        for (auto& line : tail) line.text = log.masked(line.text);
        notice = NewNotice{*kind, webhook,
                           notice_payload(*kind, run, outcome, exit_code, log.masked(error), finished_at, tail)};
      }
    }
    for (int attempt = 0;; ++attempt) {
      auto r = store.finish_run(run.id, outcome, exit_code, error, finished_at, notice ? &*notice : nullptr,
                                retry ? &*retry : nullptr);
      if (r) break;
      if (attempt == 0) say("cannot record the outcome: " + r.error().message + "; trying again every second");
      if (stopping()) return false;
      std::this_thread::sleep_for(1s);
    }
    if (notice && context.notice_queued) context.notice_queued();
    say(fmt::format("{}{}", to_string(outcome), exit_code ? fmt::format(" (exit code {})", *exit_code) : std::string{}));
    if (retry) {
      say(fmt::format("retry {} of {} at {}", run.attempt, policy.retries,
                      format_rfc3339(std::chrono::floor<std::chrono::seconds>(retry->scheduled_at))));
    }
    return true;
  };

  auto docker = DockerClient::connect(context.endpoint);
  if (!docker) {
    if (reattach) {
      // Leave it for the next start of the agent: the container may well be running.
      say("cannot reach the Docker engine to re-attach: " + docker.error().message);
      return;
    }
    // The engine, not the task: outcome error, not counted against the task.
    log.note("cannot start: " + docker.error().message);
    finish(RunOutcome::error, std::nullopt, docker.error().message);
    return;
  }

  // Find the container a previous agent made (by id, or by label when it died between
  // making the container and recording its id), or make one.
  std::string id = run.container_id;
  if (id.empty()) {
    if (auto found = docker->list_containers("task.run", std::to_string(run.id)); found && !found->empty()) {
      id = found->front().id;
      store.set_run_container(run.id, id);
    }
  }
  bool started = run.started_at.has_value();
  if (id.empty()) {
    // Never started (the agent stopped before making its container): start it now, late.
    if (reattach) log.note("starting late: the agent stopped before it could start this run");
    ContainerSpec spec;
    spec.name = fmt::format("task-{}-{}-{}", run.task, run.env, run.id);
    spec.image = revision.image.digest;
    spec.command = policy.command;
    spec.env = policy.env;
    for (const auto& [key, v] : revision.config) spec.env[key] = v.value;  // the environment's own
    spec.env["TASK_NAME"] = run.task;
    spec.env["TASK_ENV"] = run.env;
    spec.env["TASK_RUN_ID"] = std::to_string(run.id);
    spec.env["TASK_SCHEDULED_AT"] = format_rfc3339(std::chrono::floor<std::chrono::seconds>(run.scheduled_at));
    spec.labels = {{"task.name", run.task}, {"task.env", run.env}, {"task.run", std::to_string(run.id)},
                   {"task.revision", std::to_string(revision.number)}};
    spec.network_mode = environment.network.empty() ? "host" : environment.network;
    auto created = docker->create_container(spec);
    if (!created && created.error().code == Errc::conflict) {
      // Its name is the run's own: a previous agent's request made it after all (it died
      // before it could record the id). That container is this run's. The engine holds
      // the name before the container can be looked up: a request still under way may
      // need a moment to finish, or be given up by the engine (then the name is free).
      for (int i = 0; i < 100 && !stopping() && !created && created.error().code == Errc::conflict; ++i) {
        if (auto existing = docker->inspect_container(spec.name)) {
          log.note("adopting the container a previous agent made for this run");
          created = existing->id;
          break;
        }
        std::this_thread::sleep_for(100ms);
        created = docker->create_container(spec);
      }
      if (!created && stopping()) return;  // the next agent adopts or makes it
    }
    if (!created) {
      // Its image gone, the disk full, the engine down: the platform could not run it.
      log.note("cannot create the container: " + created.error().message);
      finish(RunOutcome::error, std::nullopt, created.error().message);
      return;
    }
    id = *created;
    store.set_run_container(run.id, id);
  }
  // Prepared ahead of its fire time: wait for the agent's word.
  if (worker.go.load() == Worker::wait) worker.go.wait(Worker::wait);
  switch (worker.go.load()) {
    case Worker::skip:
      if (finish(RunOutcome::skipped, std::nullopt, worker.skip_reason)) docker->remove_container(id, true);
      return;
    case Worker::leave: return;  // the agent stops; the next one starts it
    default: break;
  }
  auto state = docker->inspect_container(id);
  if (!state) {
    if (state.error().code == Errc::not_found) {
      log.note("lost: its container is gone");
      finish(RunOutcome::lost, std::nullopt, "its container " + id.substr(0, 12) + " is gone");
    } else {
      say("cannot inspect its container: " + state.error().message);  // left for the next start
    }
    return;
  }
  if (state->status == "created") {
    // Made ahead of its fire time, maybe by an agent that died since: it starts at its
    // fire time, never before.
    while (system_now() < run.scheduled_at && !(context.stopping != nullptr && context.stopping->load())) {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(run.scheduled_at - system_now(), 100ms));
    }
    if (context.stopping != nullptr && context.stopping->load()) return;  // the next agent starts it
    // The start is when it was asked for: what the run's lateness measures.
    // Recorded before the request, so that followers see the run as soon as it can
    // print; a start that fails is recorded as failed right after.
    run.started_at = system_now();
    store.set_run_started(run.id, *run.started_at);
    if (auto r = docker->start_container(id); !r) {
      log.note("cannot start the container: " + r.error().message);
      if (finish(RunOutcome::failed, std::nullopt, r.error().message)) docker->remove_container(id, true);
      return;
    }
    started = true;
  } else if (!started) {
    run.started_at = system_now();
    store.set_run_started(run.id, *run.started_at);
  }
  (void)started;
  if (reattach) log.note(fmt::format("re-attached to container {} by a new agent", id.substr(0, 12)));

  const auto deadline = *run.started_at + policy.timeout;
  Watchdog watchdog(context.endpoint, id, deadline);
  bool timed_out = false;
  std::int64_t replaced_by = 0;
  auto cancelled = [&] {
    if (context.stopping != nullptr && context.stopping->load()) return true;
    if (watchdog.killed() || system_now() >= deadline) {
      timed_out = true;
      return true;
    }
    if (auto by = worker.replaced_by.load(); by != 0) {
      replaced_by = by;
      return true;
    }
    return false;
  };
  auto streamed = docker->container_logs(
      id, true, reattach ? last_output_timestamp(run.log_path) : std::string{},
      [&](const LogLine& line) { log.output(line); }, cancelled);
  if (!streamed && streamed.error().code != Errc::interrupted) {
    say("lost the log stream: " + streamed.error().message);
  }
  if (watchdog.killed()) timed_out = true;  // its stream ended as the container was killed
  if (context.stopping != nullptr && context.stopping->load() && !timed_out && replaced_by == 0) {
    return;  // the agent stops; the next one re-attaches
  }
  // Timed out: killed at its deadline, by the watchdog or here. A container that ended by
  // itself first is not (the engine answers that it is not running, or gone): its exit
  // code says how it ended, and a timed-out run's exit code is always the kill's (137),
  // never 0. The watchdog stays until the container has ended: a log stream that broke
  // off early does not take the deadline with it.
  if (timed_out && !watchdog.killed()) {
    auto killed = docker->kill_container(id);
    timed_out = killed || (killed.error().code != Errc::conflict && killed.error().code != Errc::not_found);
  }
  if (replaced_by != 0) docker->kill_container(id);
  if (timed_out || replaced_by != 0) {
    // What it printed until it was stopped.
    docker->container_logs(id, false, last_output_timestamp(run.log_path), [&](const LogLine& line) { log.output(line); });
  }
  auto exit_code = docker->wait_container(id, stopping);
  // The engine went away under the run (stopped, restarted, crashed): wait for it to come
  // back, then find what became of the container. What happened to the run is the
  // platform's doing, not the task's.
  bool engine_lost = false;
  while (!exit_code && exit_code.error().code == Errc::platform && !stopping()) {
    if (!engine_lost) {
      log.note("the Docker engine went away while it ran: " + exit_code.error().message);
      say("lost the Docker engine: " + exit_code.error().message + "; waiting for it to come back");
    }
    engine_lost = true;
    std::this_thread::sleep_for(1s);
    auto again = DockerClient::connect(context.endpoint);
    if (!again) continue;
    docker = std::move(again);
    auto state_now = docker->inspect_container(id);
    if (!state_now && state_now.error().code == Errc::not_found) {
      finish(RunOutcome::error, std::nullopt, "the Docker engine went away while it ran, and its container with it");
      return;
    }
    exit_code = docker->wait_container(id, stopping);
  }
  watchdog.stop();
  if (watchdog.killed()) timed_out = true;
  if (!exit_code && exit_code.error().code == Errc::interrupted) return;
  if (stopping() && !exit_code) return;  // the next agent re-attaches
  if (exit_code && *exit_code != 0 && !engine_lost && !timed_out && replaced_by == 0) {
    // Ended by a signal it did not send itself: the engine stopping (its shutdown stops
    // every container) or someone stopping the container. Not the task's failure.
    using std::chrono::duration_cast;
    const auto since = duration_cast<std::chrono::seconds>(run.started_at->time_since_epoch()).count() - 1;
    const auto until = duration_cast<std::chrono::seconds>(system_now().time_since_epoch()).count() + 1;
    auto signals = docker->kill_signals(id, since, until);
    if (!signals || !signals->empty()) {
      engine_lost = true;
      log.note(signals ? fmt::format("stopped from outside (signal {}), not by itself", signals->front())
                       : "the Docker engine went away as it ended");
    }
  }
  RunOutcome outcome = RunOutcome::failed;
  std::string error;
  std::optional<int> code;
  if (exit_code) code = *exit_code;
  if (engine_lost && !(exit_code && *exit_code == 0)) {
    outcome = RunOutcome::error;
    error = exit_code ? fmt::format("stopped by the Docker engine, not by itself (its container ended with code {})", *exit_code)
                      : "the Docker engine went away while it ran";
    log.note(error);
  } else if (timed_out) {
    outcome = RunOutcome::timed_out;
    error = fmt::format("killed after its timeout of {}", policy.timeout.count() >= 60 && policy.timeout.count() % 60 == 0
                                                              ? fmt::format("{}m", policy.timeout.count() / 60)
                                                              : fmt::format("{}s", policy.timeout.count()));
    log.note("timed out: " + error);
  } else if (replaced_by != 0) {
    outcome = RunOutcome::cancelled;
    error = fmt::format("stopped: replaced by run {} (concurrency: replace)", replaced_by);
    log.note(error);
  } else if (!exit_code) {
    error = exit_code.error().message;
  } else if (*exit_code == 0) {
    outcome = RunOutcome::succeeded;
  } else {
    error = fmt::format("exited with code {}", *exit_code);
  }
  // Lines the disk had no room for, from the engine, before the outcome: the log is whole
  // when the run is finished.
  for (bool said = false; log.behind() && !stopping(); std::this_thread::sleep_for(1s)) {
    if (!said) say("its log could not be written (" + log.write_error() + "); filling it from the engine");
    said = true;
    log.caught_up();
    auto refilled =
        docker->container_logs(id, false, last_output_timestamp(run.log_path), [&](const LogLine& line) { log.output(line); });
    if (!refilled) log.fell_behind();  // the engine did not answer: the gap is still there
  }
  if (log.behind()) return;  // the agent stops: the next one fills it
  if (!finish(outcome, code, error, true)) return;
  // The log and the outcome are stored: the container can go.
  docker->remove_container(id, true);

  // Logs to the history limits; records (for `task stats`) for 90 days.
  store.prune_runs(run.deployment_id, policy.keep_succeeded, policy.keep_failed, system_now() - std::chrono::hours(24 * 90));
}

DockerRunner::DockerRunner(WorkerContext context) : context_(std::move(context)) { context_.stopping = &stopping_; }

void DockerRunner::launch(Worker& worker, const RunRecord& run, const Revision& revision,
                          const EnvironmentRecord& environment, bool reattach) {
  worker.thread = std::thread([this, &worker, run, revision, environment, reattach] {
    // Its outcome stays unstored when it throws: the next agent re-attaches the run.
    guarded(context_.log, fmt::format("run {}", run.id),
            [&] { run_worker(context_, worker, run, revision, environment, reattach); });
    worker.done.store(true);
    wake_agent(context_.state_dir);
  });
}

std::chrono::milliseconds DockerRunner::lead(std::chrono::milliseconds gap) const {
  return std::clamp<std::chrono::milliseconds>(gap * 3 / 4, 0ms, 3000ms);
}

void DockerRunner::clean_up(Store& store) {
  auto docker = DockerClient::connect(context_.endpoint);
  if (!docker) {
    if (context_.log) context_.log(fmt::format("warning: {}", docker.error().message));
    return;
  }
  auto containers = docker->list_containers("task.run");
  if (!containers) return;
  for (auto& c : *containers) {
    std::int64_t id = 0;
    try {
      id = std::stoll(c.labels["task.run"]);
    } catch (...) {
      continue;
    }
    auto run = store.get_run(id);
    if (run && is_finished(run->outcome) && !c.running) docker->remove_container(c.id, true);
  }
}

void DockerRunner::stop() { stopping_.store(true); }

}  // namespace task
