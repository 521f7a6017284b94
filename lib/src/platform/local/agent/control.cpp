// Finding, starting, stopping and waking the agent of a $TASK_HOME.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "platform/local/agent/agent_impl.hpp"

namespace task {
namespace fs = std::filesystem;

namespace agent_detail {

fs::path lock_path(const fs::path& state_dir) { return state_dir / "agent.lock"; }
fs::path socket_path(const fs::path& state_dir) { return state_dir / "agent.sock"; }
fs::path metrics_url_path(const fs::path& state_dir) { return state_dir / "agent.metrics-url"; }

bool fill_address(const fs::path& path, sockaddr_un& address) {
  std::memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  return true;
}

}  // namespace agent_detail

using namespace agent_detail;

namespace {

// Alive, and not a process the kernel is ending: a zombie, one whose exit is under way
// (PF_EXITING in its flags), or one a SIGKILL is pending for. A killed agent is in that
// state for a moment before its lock goes.
bool process_alive(long pid) {
  if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) != 0) return false;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return true;  // no /proc to ask: kill said it is there
  const char state = text[paren + 2];
  if (state == 'Z' || state == 'X' || state == 'x') return false;
  // After ") ": state, ppid, pgrp, session, tty_nr, tpgid, flags.
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  unsigned long flags = 0;
  for (int i = 0; i < 7 && fields >> field; ++i) {
    if (i == 6) flags = std::strtoul(field.c_str(), nullptr, 10);
  }
  constexpr unsigned long kExiting = 0x4;  // PF_EXITING
  if (flags & kExiting) return false;
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  constexpr unsigned long long kSigkill = 1ULL << (SIGKILL - 1);
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("SigPnd:") || line.starts_with("ShdPnd:")) {
      if (std::strtoull(line.c_str() + 7, nullptr, 16) & kSigkill) return false;
    }
  }
  return true;
}

}  // namespace

AgentStatus agent_status(const fs::path& state_dir) {
  AgentStatus status;
  int fd = ::open(lock_path(state_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return status;
  // Whoever holds the lock is the agent; if we can take it, nobody does. A dead agent's
  // lock goes with its last file descriptor, a moment after SIGKILL: wait for that
  // (a second at most) rather than call a dead process running.
  for (int i = 0;; ++i) {
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
      ::flock(fd, LOCK_UN);
      ::close(fd);
      return status;
    }
    char buffer[32] = {};
    auto n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    status.pid = n > 0 ? std::strtol(buffer, nullptr, 10) : 0;
    if (status.pid <= 0 || process_alive(status.pid) || i == 100) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::close(fd);
  status.running = true;
  std::ifstream url(metrics_url_path(state_dir));
  std::getline(url, status.metrics);
  return status;
}

void wake_agent(const fs::path& state_dir) {
  sockaddr_un address{};
  if (!fill_address(socket_path(state_dir), address)) return;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  const char byte = 'w';
  ::sendto(fd, &byte, 1, MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  ::close(fd);
}

Result<AgentStatus> start_agent(const fs::path& state_dir, const fs::path& executable) {
  if (auto status = agent_status(state_dir); status.running) return status;
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  const fs::path log = state_dir / "agent.log";
  pid_t child = ::fork();
  if (child < 0) return fail(Errc::failure, fmt::format("cannot start the agent: {}", std::strerror(errno)));
  if (child == 0) {
    // A grandchild in its own session, so it outlives this command and its terminal.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    ::setenv("TASK_HOME", state_dir.c_str(), 1);
    ::execl(executable.c_str(), executable.c_str(), "agent", "run", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int ignored = 0;
  ::waitpid(child, &ignored, 0);
  for (int i = 0; i < 250; ++i) {
    // Running once it holds the lock and has written its pid there.
    if (auto status = agent_status(state_dir); status.running && status.pid > 0) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fail(Errc::failure, "the agent did not start", fmt::format("see {}", log.string()));
}

Result<AgentStatus> stop_agent(const fs::path& state_dir, std::chrono::milliseconds wait) {
  auto status = agent_status(state_dir);
  if (!status.running) return status;
  if (status.pid <= 0 || ::kill(static_cast<pid_t>(status.pid), SIGTERM) != 0) {
    return fail(Errc::failure, fmt::format("cannot signal the agent (pid {}): {}", status.pid, std::strerror(errno)));
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!agent_status(state_dir).running) return AgentStatus{};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fail(Errc::failure, fmt::format("the agent (pid {}) did not stop within {} ms", status.pid, wait.count()),
              fmt::format("kill it with `kill -9 {}`; its runs are re-attached when it starts again", status.pid));
}

RunLogLine parse_run_log_line(std::string_view line) {
  RunLogLine out;
  auto first = line.find(' ');
  if (first == std::string_view::npos) {
    out.text = std::string(line);
    return out;
  }
  out.timestamp = std::string(line.substr(0, first));
  auto rest = line.substr(first + 1);
  auto second = rest.find(' ');
  out.stream = std::string(rest.substr(0, second));
  out.text = second == std::string_view::npos ? std::string{} : std::string(rest.substr(second + 1));
  return out;
}

}  // namespace task
