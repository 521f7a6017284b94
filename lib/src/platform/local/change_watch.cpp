#include "platform/local/change_watch.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <thread>

namespace task {

namespace {
constexpr std::uint32_t kWrites = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE;
}  // namespace

ChangeWatch::ChangeWatch(std::filesystem::path state_dir) : state_dir_(std::move(state_dir)) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) return;
  if (::inotify_add_watch(fd_, state_dir_.c_str(), kWrites) < 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  watch_runs();
}

ChangeWatch::~ChangeWatch() {
  if (fd_ >= 0) ::close(fd_);
}

void ChangeWatch::watch_runs() {
  if (runs_watch_ < 0) runs_watch_ = ::inotify_add_watch(fd_, (state_dir_ / "runs").c_str(), kWrites);
}

ChangeWatch::Woken ChangeWatch::wait(std::chrono::milliseconds at_most) {
  if (fd_ < 0) {  // no inotify here: a pause, and the caller asks again
    std::this_thread::sleep_for(std::min(at_most, std::chrono::milliseconds(100)));
    return Woken::state;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(at_most.count())) <= 0) return Woken::timeout;
  Woken woken = Woken::log;
  alignas(inotify_event) std::array<char, 16 * 1024> buffer{};
  for (;;) {
    const auto n = ::read(fd_, buffer.data(), buffer.size());
    if (n <= 0) break;
    for (std::size_t at = 0; at < static_cast<std::size_t>(n);) {
      inotify_event event{};
      std::memcpy(&event, buffer.data() + at, sizeof event);
      const char* name = buffer.data() + at + sizeof event;
      if (event.wd == runs_watch_ && (event.mask & IN_IGNORED) != 0) runs_watch_ = -1;  // runs/ went
      // In $TASK_HOME itself: the database, or runs/ being made; a lost event: anything.
      if (event.wd != runs_watch_ || (event.mask & IN_Q_OVERFLOW) != 0) {
        if (event.len == 0 || std::strncmp(name, "task.db", 7) == 0 || (event.mask & IN_Q_OVERFLOW) != 0) woken = Woken::state;
        if (event.len > 0 && std::strcmp(name, "runs") == 0) watch_runs();
      }
      at += sizeof event + event.len;
    }
  }
  return woken;
}

}  // namespace task
