#include "interrupt.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>

namespace cli {

namespace {
// A signal handler can reach nothing but a lock-free flag of static duration.
volatile std::sig_atomic_t interrupted_flag = 0;
extern "C" void note_interrupt(int) { interrupted_flag = 1; }

volatile std::sig_atomic_t stop_flag = 0;
int stop_pipe[2] = {-1, -1};
extern "C" void note_stop(int) {
  stop_flag = 1;
  const char byte = 's';
  [[maybe_unused]] auto n = ::write(stop_pipe[1], &byte, 1);  // async-signal-safe
}
}  // namespace

std::function<bool()> watch_interrupts() {
  struct sigaction action {};
  action.sa_handler = note_interrupt;
  action.sa_flags = static_cast<int>(SA_RESETHAND);
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return [] { return interrupted_flag != 0; };
}

StopSignals watch_stop_signals() {
  if (stop_pipe[0] < 0 && ::pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) stop_pipe[0] = stop_pipe[1] = -1;
  struct sigaction action {};
  action.sa_handler = note_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return {[] { return stop_flag != 0; }, stop_pipe[0]};
}

}  // namespace cli
