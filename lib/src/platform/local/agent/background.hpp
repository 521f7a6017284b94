// A thread of the agent that works in rounds until its owner goes: the owner's loop sleeps
// between rounds with sleep_until, which returns early on wake() and on stop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "platform/local/agent/runner.hpp"

namespace task {

class BackgroundThread {
 public:
  BackgroundThread() = default;
  ~BackgroundThread() { stop(); }
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  // An exception from `body` ends the thread with a line in the log, never the process.
  void start(std::function<void()> body, std::function<void(std::string_view)> log = {}) {
    thread_ = std::thread([body = std::move(body), log = std::move(log)] { guarded(log, "a background thread", body); });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      done_.store(true);
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    cv_.notify_one();
  }
  bool stopping() const { return done_.load(); }
  void sleep_until(std::chrono::system_clock::time_point until) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, until, [&] { return woken_ || done_.load(); });
    woken_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace task
