// The agent's process: one per $TASK_HOME (it holds agent.lock), woken by commands through
// agent.sock, sleeping until its scheduler (scheduler.cpp) wants the next pass, and
// handing runs to the Docker runner (worker.cpp) or, for benchmarks, the recording runner.
// Signals are the caller's: it says through `stop` (and `wake_fd`) when to stop.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "platform/local/agent/agent_impl.hpp"
#include "platform/local/agent/notify.hpp"
#include "platform/local/agent/recording_runner.hpp"
#include "platform/local/agent/scheduler.hpp"
#include "platform/local/agent/summaries.hpp"
#include "platform/local/agent/worker.hpp"
#include "platform/local/store.hpp"
#include "core/staging.hpp"
#include "task/docker.hpp"
#include "task/metrics.hpp"

namespace task {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

class Agent {
 public:
  explicit Agent(const AgentOptions& options) : options_(options) {}
  ~Agent() {
    if (socket_ >= 0) ::close(socket_);
    if (lock_ >= 0) ::close(lock_);
  }

  Result<void> run() {
    // The store first: it makes $TASK_HOME (mode 0700) when it is new.
    auto store = Store::open(options_.state_dir);
    if (!store) return std::unexpected(store.error());
    store_.emplace(std::move(*store));
    if (auto r = take_lock(); !r) return r;
    if (auto r = open_socket(); !r) return r;
    auto endpoint = resolve_docker_endpoint(options_.env);
    if (!endpoint) return std::unexpected(endpoint.error());
    std::unique_ptr<MetricsServer> metrics;
    const auto metrics_url = agent_detail::metrics_url_path(options_.state_dir);
    std::error_code gone;
    fs::remove(metrics_url, gone);  // a killed agent's
    if (!options_.metrics.empty()) {
      auto served = MetricsServer::start(options_.metrics, WorkspaceOptions{options_.state_dir, options_.env, {}, options_.now},
                                         MetricsOptions{[](const EnvironmentRecord& e) { return e.platform == "local"; }});
      if (!served) return std::unexpected(served.error());
      metrics = std::move(*served);
      (void)write_text_file(metrics_url, metrics->url() + "\n", fs::perms::owner_read | fs::perms::owner_write);
      say(fmt::format("metrics at {}", metrics->url()));
    }
    notices_.emplace(options_.state_dir, options_.log);
    summaries_.emplace(options_.state_dir, options_.log);
    std::unique_ptr<Runner> runner;
    if (options_.record_only) {
      runner = std::make_unique<RecordingRunner>(*store_, options_.state_dir, options_.now, options_.log);
    } else {
      WorkerContext context;
      context.state_dir = options_.state_dir;
      context.endpoint = *endpoint;
      context.log = options_.log;
      context.notice_queued = [this] { notices_->wake(); };
      runner = std::make_unique<DockerRunner>(std::move(context));
    }
    const auto started = options_.now();
    say(fmt::format("agent started (pid {}) for {}", ::getpid(), options_.state_dir.string()));
    store_->add_event("", "", "agent", fmt::format("agent started (pid {})", ::getpid()), started);
    {
      Scheduler scheduler(*store_, *runner, SchedulerOptions{options_.now, options_.log});
      scheduler.start();
      // Wake-ups are coalesced: the deployments are read again at most every 20 ms, and
      // while a reload is due the socket is left unread, so a flood of datagrams costs
      // one reload per 20 ms, not one per datagram.
      constexpr auto kSpacing = 20ms;
      using steady = std::chrono::steady_clock;
      bool pending = true;
      auto last_reload = steady::now() - kSpacing;
      while (!should_stop()) {
        const auto now = steady::now();
        // Without a socket, changes are looked for every minute.
        if (socket_ < 0 && now - last_reload > 60s) pending = true;
        const bool reload = pending && now - last_reload >= kSpacing;
        if (reload) {
          pending = false;
          last_reload = now;
        }
        auto until = scheduler.tick(reload);
        if (pending) {
          until = std::min(until, options_.now() + std::chrono::ceil<std::chrono::milliseconds>(kSpacing - (now - last_reload)));
        }
        if (wait_until(until, !pending)) pending = true;
      }
      say("agent stopping: running containers are left to be re-attached");
      scheduler.stop();
    }
    runner.reset();
    if (metrics) {
      metrics.reset();
      fs::remove(metrics_url, gone);
    }
    notices_.reset();
    summaries_.reset();
    store_->add_event("", "", "agent", fmt::format("agent stopped (pid {})", ::getpid()), options_.now());
    return {};
  }

 private:
  void say(std::string_view line) const {
    if (options_.log) options_.log(line);
  }

  bool should_stop() const { return options_.stop && options_.stop(); }

  Result<void> take_lock() {
    lock_ = ::open(agent_detail::lock_path(options_.state_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_ < 0) {
      return fail(Errc::io, fmt::format("cannot open {}: {}", agent_detail::lock_path(options_.state_dir).string(),
                                        std::strerror(errno)),
                  "check the permissions of $TASK_HOME (see `task doctor`)");
    }
    // A killed agent's lock goes a moment after it is gone: agent_status waits for that,
    // so only a live agent keeps this one from starting.
    for (int i = 0; ::flock(lock_, LOCK_EX | LOCK_NB) != 0; ++i) {
      auto status = agent_status(options_.state_dir);
      if (!status.running && i < 3) continue;
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

  // Sleeps until `until` or (with `listen`) a wake-up; true when woken by a command.
  bool wait_until(Timestamp until, bool listen) {
    auto delay = until - options_.now();
    if (delay < 0ms) delay = 0ms;
    if (delay > 60s) delay = 60s;
    timespec timeout{};
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count() + 500'000;  // not early
    timeout.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    timeout.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    // The socket for commands' wake-ups, and the caller's descriptor for a stop.
    pollfd fds[2] = {{listen ? socket_ : -1, POLLIN, 0}, {options_.wake_fd, POLLIN, 0}};
    const int n = ::ppoll(fds, 2, &timeout, nullptr);
    bool woken = false;
    char buffer[64];
    if (n > 0 && listen && socket_ >= 0 && (fds[0].revents & POLLIN)) {
      while (::recv(socket_, buffer, sizeof buffer, 0) > 0) woken = true;
    }
    return woken;
  }

  AgentOptions options_;
  std::optional<Store> store_;
  std::optional<NoticeSender> notices_;
  std::optional<Summarizer> summaries_;
  int lock_ = -1;
  int socket_ = -1;
};

}  // namespace

Result<void> run_agent(const AgentOptions& options) {
  Agent agent(options);
  return agent.run();
}

}  // namespace task
