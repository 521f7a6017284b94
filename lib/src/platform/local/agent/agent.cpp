// The agent's scheduler: it sleeps until the next fire time or a wake-up, fires what is
// due (once: the fire time and the run are one transaction), applies the concurrency and
// catch-up policies, starts pending manual and retry runs, and hands each run to a worker
// thread (agent/worker.cpp).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "platform/local/agent/agent_impl.hpp"
#include "platform/local/agent/notify.hpp"
#include "platform/local/agent/summaries.hpp"
#include "platform/local/agent/worker.hpp"
#include "task/docker.hpp"
#include "task/schedule.hpp"
#include "platform/local/store.hpp"

namespace task {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::atomic<int> g_signalled{0};
std::atomic<int> g_wake_fd{-1};

extern "C" void on_stop_signal(int) {
  g_signalled.store(1);
  // Wake the main loop: write to the agent's own socket pair (async-signal-safe).
  int fd = g_wake_fd.load();
  if (fd >= 0) {
    const char byte = 's';
    [[maybe_unused]] auto n = ::write(fd, &byte, 1);
  }
}

Timestamp now_ms() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }
Instant floor_seconds(Timestamp t) { return std::chrono::floor<std::chrono::seconds>(t); }

class Agent {
 public:
  explicit Agent(const AgentOptions& options) : options_(options) {}
  ~Agent() {
    if (socket_ >= 0) ::close(socket_);
    if (pipe_[0] >= 0) ::close(pipe_[0]);
    if (pipe_[1] >= 0) ::close(pipe_[1]);
    if (lock_ >= 0) ::close(lock_);
  }

  Result<void> run() {
    if (auto r = take_lock(); !r) return r;
    if (auto r = open_socket(); !r) return r;
    auto store = Store::open(options_.state_dir);
    if (!store) return std::unexpected(store.error());
    store_.emplace(std::move(*store));
    auto endpoint = resolve_docker_endpoint(options_.env);
    if (!endpoint) return std::unexpected(endpoint.error());
    context_.state_dir = options_.state_dir;
    context_.endpoint = *endpoint;
    context_.stopping = &stopping_;
    context_.log = options_.log;
    notices_.emplace(options_.state_dir, options_.log);
    context_.notice_queued = [this] { notices_->wake(); };
    summaries_.emplace(options_.state_dir, options_.log);
    started_ = now_ms();
    say(fmt::format("agent started (pid {}) for {}", ::getpid(), options_.state_dir.string()));
    store_->add_event("", "", "agent", fmt::format("agent started (pid {})", ::getpid()), started_);
    reconcile();
    bool reload = true;
    auto last_load = std::chrono::steady_clock::now();
    while (!should_stop()) {
      reap();
      // Changes arrive as wake-ups; without a socket, look every minute.
      if (reload || (socket_ < 0 && std::chrono::steady_clock::now() - last_load > 60s)) {
        load();
        last_load = std::chrono::steady_clock::now();
        reload = false;
      }
      Timestamp now = now_ms();
      release(now);
      for (auto& entry : entries_) process(entry, now);
      flush_recorded();
      now = now_ms();
      for (auto& entry : entries_) prepare(entry, now);
      auto next_pending = start_pending(now);
      reload = wait_until(next_wake(now, next_pending));
    }
    say("agent stopping: running containers are left to be re-attached");
    // Runs made ready for a fire time still to come are skipped, their containers
    // removed: the next agent treats those fire times as missed (catch_up decides).
    for (auto& [deployment, worker] : prepared_) {
      worker->skip_reason = "the agent stopped before its fire time";
      worker->decide(Worker::skip);
    }
    prepared_.clear();
    stopping_.store(true);
    for (auto& [id, worker] : workers_) {
      if (worker->thread.joinable()) worker->thread.join();
    }
    stop_writer();
    notices_.reset();
    summaries_.reset();
    store_->add_event("", "", "agent", fmt::format("agent stopped (pid {})", ::getpid()), now_ms());
    return {};
  }

 private:
  struct Entry {
    DeploymentRecord deployment;
    std::optional<Schedule> schedule;
    EnvironmentRecord environment;
    std::optional<Instant> next;  // the next fire time after what was handled
  };

  void say(std::string_view line) const {
    if (options_.log) options_.log(line);
  }

  bool should_stop() const { return g_signalled.load() != 0 || (options_.stop && options_.stop()); }

  Result<void> take_lock() {
    lock_ = ::open(agent_detail::lock_path(options_.state_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_ < 0) {
      return fail(Errc::io, fmt::format("cannot open {}: {}", agent_detail::lock_path(options_.state_dir).string(),
                                        std::strerror(errno)),
                  "check the permissions of $TASK_HOME (see `task doctor`)");
    }
    if (::flock(lock_, LOCK_EX | LOCK_NB) != 0) {
      auto status = agent_status(options_.state_dir);
      return fail(Errc::conflict,
                  fmt::format("an agent already runs for {} (pid {})", options_.state_dir.string(), status.pid),
                  "one agent serves one TASK_HOME; `task agent status` shows it, `task agent stop` stops it");
    }
    const std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(lock_, 0) != 0 || ::pwrite(lock_, pid.data(), pid.size(), 0) < 0) {
      return fail(Errc::io, "cannot write the agent's lock file");
    }
    return {};
  }

  Result<void> open_socket() {
    if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return fail(Errc::failure, "cannot make a pipe");
    g_wake_fd.store(pipe_[1]);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    const fs::path path = agent_detail::socket_path(options_.state_dir);
    sockaddr_un address{};
    if (!agent_detail::fill_address(path, address)) {
      say(fmt::format("warning: {} is too long for a socket; changes are noticed within a minute", path.string()));
      return {};
    }
    socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (socket_ < 0) return fail(Errc::failure, fmt::format("cannot make a socket: {}", std::strerror(errno)));
    ::unlink(path.c_str());  // ours: we hold the lock
    if (::bind(socket_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return fail(Errc::io, fmt::format("cannot bind {}: {}", path.string(), std::strerror(errno)));
    }
    ::chmod(path.c_str(), 0600);
    return {};
  }

  // Sleeps until `until` or a wake-up; true when woken by a command (reload).
  bool wait_until(Timestamp until) {
    auto delay = until - now_ms();
    if (delay < 0ms) delay = 0ms;
    if (delay > 60s) delay = 60s;
    timespec timeout{};
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count() + 500'000;  // not early
    timeout.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    timeout.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    pollfd fds[2] = {{socket_, POLLIN, 0}, {pipe_[0], POLLIN, 0}};
    const int n = ::ppoll(fds, socket_ >= 0 ? 2 : 1, &timeout, nullptr);
    if (socket_ < 0) fds[1] = fds[0];
    bool woken = false;
    char buffer[64];
    if (n > 0 && socket_ >= 0 && (fds[0].revents & POLLIN)) {
      while (::recv(socket_, buffer, sizeof buffer, 0) > 0) woken = true;
    }
    while (::read(pipe_[0], buffer, sizeof buffer) > 0) woken = true;
    return woken;
  }

  Timestamp next_wake(Timestamp now, std::optional<Timestamp> pending) const {
    Timestamp wake = now + 60s;
    for (const auto& e : entries_) {
      // Prepare ahead of the fire time …
      if (e.deployment.state == DeploymentState::active && e.next && !prepared_.contains(e.deployment.id)) {
        // Nothing is prepared ahead when only recording runs: wake at the fire time.
        wake = std::min(wake, to_ms(*e.next) - (options_.record_only ? 0ms : lead(e)));
      }
    }
    // … then start at it.
    for (const auto& [deployment, worker] : prepared_) wake = std::min(wake, worker->start_at);
    if (pending) wake = std::min(wake, *pending);
    return wake;
  }

  void load() {
    auto deployments = store_->list_deployments(false);
    auto environments = store_->list_environments();
    if (!deployments || !environments) {
      say(fmt::format("cannot read deployments: {}", (!deployments ? deployments.error() : environments.error()).message));
      return;
    }
    std::vector<Entry> entries;
    for (auto& d : *deployments) {
      Entry e;
      e.deployment = std::move(d);
      for (auto& env : *environments) {
        if (env.name == e.deployment.env) e.environment = env;
      }
      auto schedule = parse_schedule(e.deployment.revision.schedule, e.deployment.revision.timezone);
      if (!schedule) {
        say(fmt::format("{} in {}: {}", e.deployment.task, e.deployment.env, schedule.error().message));
      } else {
        e.schedule = std::move(*schedule);
        e.next = next_fire_after(*e.schedule, floor_seconds(baseline(e)));  // the first fire time not handled
      }
      entries.push_back(std::move(e));
    }
    entries_ = std::move(entries);
  }

  // Fire times up to this instant are handled: the later of the newest handled fire time
  // and when the current revision was made (a new schedule never catches up the old one's).
  static Timestamp baseline(const Entry& e) {
    Timestamp base = e.deployment.revision.created_at;
    if (e.deployment.scheduled_through && *e.deployment.scheduled_through > base) base = *e.deployment.scheduled_through;
    return base;
  }

  void process(Entry& e, Timestamp now) {
    if (e.deployment.state != DeploymentState::active || !e.schedule) return;
    const Instant from = floor_seconds(baseline(e)) + 1s;
    const Instant to = floor_seconds(now) + 1s;
    if (from >= to) return;
    if (e.next && *e.next >= to) return;  // nothing due yet (the common case: no work)
    constexpr std::size_t kLimit = 1000;
    auto due = fire_times_between(*e.schedule, from, to, kLimit + 1);
    bool truncated = false;
    if (due.size() > kLimit) {
      // A long outage: find the newest due instants, looking back further and further.
      truncated = true;
      for (auto window : {120s, 3600s, 86400s, 31 * 86400s, 400 * 86400s}) {
        auto recent = fire_times_between(*e.schedule, std::max(from, to - window), to, kLimit);
        if (!recent.empty()) {
          due = std::move(recent);
          break;
        }
      }
    }
    if (due.empty()) {
      e.next = next_fire_after(*e.schedule, floor_seconds(now));
      return;
    }
    // A fire time before this agent started fell due while no agent could start it.
    std::vector<Instant> missed, on_time;
    for (auto t : due) (to_ms(t) < started_ ? missed : on_time).push_back(t);
    const Instant newest = due.back();
    if (!on_time.empty()) {
      if (on_time.size() > 1) {
        event(e, "late", fmt::format("{} fire times passed at once; ran the newest ({})", on_time.size(),
                                     format_rfc3339(on_time.back())));
      }
      fire(e, on_time.back(), RunTrigger::schedule, now);
    }
    if (!missed.empty()) handle_missed(e, missed, truncated, !on_time.empty(), now);
    if (on_time.empty() && !options_.record_only) store_->set_scheduled_through(e.deployment.id, to_ms(newest));
    e.deployment.scheduled_through = to_ms(newest);
    e.next = next_fire_after(*e.schedule, std::max(newest, floor_seconds(now)));
  }

  // How long before a fire time its container is made, so that the start at the fire
  // time is only the start: three seconds, or three quarters of the time since the
  // previous fire time.
  static std::chrono::milliseconds lead(const Entry& e) {
    if (!e.next) return 0ms;
    const auto gap = to_ms(*e.next) - baseline(e);
    return std::clamp<std::chrono::milliseconds>(gap * 3 / 4, 0ms, 3000ms);
  }

  // Makes the run of the next fire time ahead of it: the run is recorded (the fire time
  // is then handled, exactly once) and its worker makes the container and waits.
  void prepare(Entry& e, Timestamp now) {
    if (options_.record_only) return;
    if (e.deployment.state != DeploymentState::active || !e.schedule || !e.next) return;
    if (prepared_.contains(e.deployment.id)) return;
    const Timestamp at = to_ms(*e.next);
    if (now >= at || now < at - lead(e)) return;  // due already (process fires it), or not yet
    NewRun run;
    run.deployment_id = e.deployment.id;
    run.revision = e.deployment.revision.number;
    run.scheduled_at = at;
    auto record = store_->add_run(run, now, at);
    e.deployment.scheduled_through = at;
    if (!record) {
      if (record.error().code != Errc::conflict) say(fmt::format("cannot record a run: {}", record.error().message));
      e.next = next_fire_after(*e.schedule, *e.next);
      return;
    }
    Worker* worker = spawn(*record, e, false, Worker::wait);
    worker->start_at = at;
    prepared_[e.deployment.id] = worker;
  }

  // At their fire times, prepared runs start, or are skipped by the concurrency policy or
  // because the deployment was suspended or removed meanwhile.
  void release(Timestamp now) {
    for (auto it = prepared_.begin(); it != prepared_.end();) {
      Worker* worker = it->second;
      if (now < worker->start_at) {
        ++it;
        continue;
      }
      Entry* entry = nullptr;
      for (auto& e : entries_) {
        if (e.deployment.id == it->first) entry = &e;
      }
      if (entry == nullptr || entry->deployment.state != DeploymentState::active) {
        worker->skip_reason = fmt::format("the deployment was {} before the run started",
                                          entry == nullptr ? "removed" : to_string(entry->deployment.state));
        worker->decide(Worker::skip);
      } else {
        std::string why;
        if (admit(*entry, worker->run_id, false, why)) {
          worker->decide(Worker::start);
        } else {
          say(fmt::format("{} in {}: run {} skipped: {}", entry->deployment.task, entry->deployment.env,
                          worker->run_id, why));
          worker->skip_reason = why;
          worker->decide(Worker::skip);
        }
        if (entry->schedule) {
          entry->next = next_fire_after(*entry->schedule, std::chrono::floor<std::chrono::seconds>(worker->start_at));
        }
      }
      it = prepared_.erase(it);
    }
  }

  // record_only: the runs go to a writer thread with its own connection, so storing a
  // large batch never delays the next fire time.
  void flush_recorded() {
    if (recorded_.empty()) return;
    {
      std::lock_guard lock(writer_mutex_);
      writer_queue_.push_back(std::move(recorded_));
    }
    writer_wake_.notify_one();
    recorded_.clear();
    if (!writer_.joinable()) {
      writer_ = std::thread([this] {
        auto store = Store::open(options_.state_dir);
        if (!store) return;
        for (;;) {
          std::vector<std::vector<Store::RecordedRun>> batches;
          {
            std::unique_lock lock(writer_mutex_);
            writer_wake_.wait(lock, [&] { return !writer_queue_.empty() || writer_done_; });
            if (writer_queue_.empty() && writer_done_) return;
            batches.swap(writer_queue_);
          }
          for (const auto& batch : batches) {
            if (auto r = store->add_recorded_runs(batch); !r) say("cannot record runs: " + r.error().message);
          }
        }
      });
    }
  }

  void stop_writer() {
    if (!writer_.joinable()) return;
    {
      std::lock_guard lock(writer_mutex_);
      writer_done_ = true;
    }
    writer_wake_.notify_one();
    writer_.join();
  }

  static Timestamp to_ms(Instant t) { return Timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch())); }

  void handle_missed(Entry& e, const std::vector<Instant>& missed, bool truncated, bool ran_on_time, Timestamp now) {
    const auto& policy = e.deployment.revision.policy;
    const std::string count = truncated ? fmt::format("over {}", missed.size()) : std::to_string(missed.size());
    event(e, "missed", fmt::format("{} fire time{} passed while the agent was down (catch_up: {}), the newest {}", count,
                                   missed.size() == 1 && !truncated ? "" : "s", to_string(policy.catch_up),
                                   format_rfc3339(missed.back())));
    auto too_old = [&](Instant t) {
      return policy.starting_deadline && now - to_ms(t) > *policy.starting_deadline;
    };
    auto skip = [&](Instant t, const std::string& why) {
      NewRun run;
      run.deployment_id = e.deployment.id;
      run.revision = e.deployment.revision.number;
      run.scheduled_at = to_ms(t);
      run.trigger = RunTrigger::catch_up;
      run.outcome = RunOutcome::skipped;
      run.error = why;
      store_->add_run(run, now, to_ms(t));
    };
    switch (policy.catch_up) {
      case CatchUp::none:
        skip(missed.back(), "missed while the agent was down (catch_up: none)");
        break;
      case CatchUp::latest:
        if (ran_on_time) break;  // a run on time covers it
        if (too_old(missed.back())) {
          skip(missed.back(), fmt::format("missed by more than its starting_deadline ({}s)",
                                          policy.starting_deadline->count()));
        } else {
          fire(e, missed.back(), RunTrigger::catch_up, now);
        }
        break;
      case CatchUp::all: {
        // Never a flood: the newest ten at most.
        const std::size_t first = missed.size() > 10 ? missed.size() - 10 : 0;
        for (std::size_t i = first; i < missed.size(); ++i) {
          if (too_old(missed[i])) {
            skip(missed[i], "missed by more than its starting_deadline");
          } else {
            fire(e, missed[i], RunTrigger::catch_up, now);
          }
        }
        break;
      }
    }
  }

  void event(const Entry& e, const std::string& kind, const std::string& message) {
    store_->add_event(e.deployment.task, e.deployment.env, kind, message, now_ms());
    say(fmt::format("{} in {}: {}", e.deployment.task, e.deployment.env, message));
  }

  std::vector<Worker*> active_workers(std::int64_t deployment_id) {
    std::vector<Worker*> out;
    for (auto& [id, w] : workers_) {
      if (w->deployment_id == deployment_id && !w->done.load() && w->go.load() == Worker::start) out.push_back(w.get());
    }
    return out;
  }

  // Applies the concurrency policy to a new run; false when the run is skipped.
  bool admit(const Entry& e, std::int64_t run_id, bool forced, std::string& skipped_because) {
    auto active = active_workers(e.deployment.id);
    std::erase_if(active, [&](Worker* w) { return w->run_id == run_id; });
    if (active.empty() || forced) return true;
    switch (e.deployment.revision.policy.concurrency) {
      case Concurrency::allow: return true;
      case Concurrency::forbid:
        skipped_because = fmt::format("run {} was still running (concurrency: forbid)", active.front()->run_id);
        return false;
      case Concurrency::replace:
        for (auto* w : active) w->replaced_by.store(run_id);
        return true;
    }
    return true;
  }

  void fire(Entry& e, Instant t, RunTrigger trigger, Timestamp now) {
    if (options_.record_only) {
      // The instant the run would have been started; stored with the others at once.
      NewRun run;
      run.deployment_id = e.deployment.id;
      run.revision = e.deployment.revision.number;
      run.scheduled_at = to_ms(t);
      run.trigger = trigger;
      run.outcome = RunOutcome::succeeded;
      recorded_.push_back({run, now_ms()});
      return;
    }
    NewRun run;
    run.deployment_id = e.deployment.id;
    run.revision = e.deployment.revision.number;
    run.scheduled_at = to_ms(t);
    run.trigger = trigger;
    auto active = active_workers(e.deployment.id);
    if (!active.empty() && e.deployment.revision.policy.concurrency == Concurrency::forbid) {
      run.outcome = RunOutcome::skipped;
      run.error = fmt::format("run {} was still running (concurrency: forbid)", active.front()->run_id);
    }
    auto record = store_->add_run(run, now, to_ms(t));
    if (!record) {
      if (record.error().code != Errc::conflict) say(fmt::format("cannot record a run: {}", record.error().message));
      return;
    }
    if (record->outcome == RunOutcome::skipped) {
      say(fmt::format("{} in {}: run {} skipped: {}", e.deployment.task, e.deployment.env, record->id, record->error));
      return;
    }
    std::string ignored;
    admit(e, record->id, false, ignored);
    spawn(*record, e, false);
  }

  // Pending manual and retry runs that are due; returns when the next one falls due.
  std::optional<Timestamp> start_pending(Timestamp now) {
    std::optional<Timestamp> next;
    auto runs = store_->unfinished_runs();
    if (!runs) return next;
    for (auto& run : *runs) {
      if (run.outcome != RunOutcome::pending || workers_.contains(run.id)) continue;
      if (run.scheduled_at > now) {
        next = next ? std::min(*next, run.scheduled_at) : run.scheduled_at;
        continue;
      }
      Entry* entry = nullptr;
      for (auto& e : entries_) {
        if (e.deployment.id == run.deployment_id) entry = &e;
      }
      if (entry == nullptr) {
        load();
        for (auto& e : entries_) {
          if (e.deployment.id == run.deployment_id) entry = &e;
        }
      }
      if (entry == nullptr) {
        store_->finish_run(run.id, RunOutcome::skipped, std::nullopt, "its deployment was removed", now);
        continue;
      }
      std::string why;
      if (!admit(*entry, run.id, run.forced || run.trigger == RunTrigger::retry, why)) {
        store_->finish_run(run.id, RunOutcome::skipped, std::nullopt, why, now);
        say(fmt::format("{} in {}: run {} skipped: {}", run.task, run.env, run.id, why));
        continue;
      }
      store_->set_run_container(run.id, "");
      run.outcome = RunOutcome::starting;
      spawn(run, *entry, false);
    }
    return next;
  }

  Worker* spawn(const RunRecord& run, const Entry& e, bool reattach, Worker::Go go = Worker::start) {
    auto worker = std::make_unique<Worker>();
    worker->go.store(go);
    worker->run_id = run.id;
    worker->deployment_id = run.deployment_id;
    Worker* raw = worker.get();
    Revision revision = e.deployment.revision;
    EnvironmentRecord environment = e.environment;
    const WorkerContext* context = &context_;
    worker->thread = std::thread([raw, run, revision, environment, context, reattach] {
      run_worker(*context, *raw, run, revision, environment, reattach);
      raw->done.store(true);
      wake_agent(context->state_dir);
    });
    workers_[run.id] = std::move(worker);
    return raw;
  }

  void reap() {
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->second->done.load()) {
        if (it->second->thread.joinable()) it->second->thread.join();
        std::erase_if(prepared_, [&](const auto& p) { return p.second == it->second.get(); });
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // After a restart: runs that were starting or running are re-attached to their
  // containers (or marked lost when those are gone); containers of finished runs that a
  // crash left behind are removed.
  void reconcile() {
    load();
    auto runs = store_->unfinished_runs();
    if (!runs) return;
    for (auto& run : *runs) {
      if (run.outcome == RunOutcome::pending) continue;
      const Entry* entry = nullptr;
      for (auto& e : entries_) {
        if (e.deployment.id == run.deployment_id) entry = &e;
      }
      Entry fallback;
      if (entry == nullptr) {
        auto d = store_->get_deployment(run.deployment_id);
        if (!d) continue;
        fallback.deployment = *d;
        if (auto env = store_->get_environment(d->env)) fallback.environment = *env;
        entry = &fallback;
      }
      say(fmt::format("re-attaching run {} of {} in {}", run.id, run.task, run.env));
      spawn(run, *entry, true);
    }
    if (options_.record_only) return;
    auto docker = DockerClient::connect(context_.endpoint);
    if (!docker) {
      say(fmt::format("warning: {}", docker.error().message));
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
      auto run = store_->get_run(id);
      if (run && is_finished(run->outcome) && !c.running) {
        docker->remove_container(c.id, true);
      }
    }
  }

  AgentOptions options_;
  std::optional<Store> store_;
  WorkerContext context_;
  std::optional<NoticeSender> notices_;  // after context_: gone before the workers' context
  std::optional<HourSummarizer> summaries_;
  std::atomic<bool> stopping_{false};
  std::map<std::int64_t, std::unique_ptr<Worker>> workers_;
  std::map<std::int64_t, Worker*> prepared_;  // deployment id → its run waiting for its fire time
  std::vector<Store::RecordedRun> recorded_;  // record_only: runs not yet stored
  std::thread writer_;
  std::mutex writer_mutex_;
  std::condition_variable writer_wake_;
  std::vector<std::vector<Store::RecordedRun>> writer_queue_;
  bool writer_done_ = false;
  std::vector<Entry> entries_;
  Timestamp started_{};
  int lock_ = -1;
  int socket_ = -1;
  int pipe_[2] = {-1, -1};
};

}  // namespace

Result<void> run_agent(const AgentOptions& options) {
  Agent agent(options);
  auto result = agent.run();
  g_wake_fd.store(-1);
  return result;
}

}  // namespace task
