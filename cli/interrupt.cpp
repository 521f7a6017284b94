#include "interrupt.hpp"

#include <csignal>

namespace cli {

namespace {
// A signal handler can reach nothing but a lock-free flag of static duration.
volatile std::sig_atomic_t interrupted_flag = 0;
extern "C" void note_interrupt(int) { interrupted_flag = 1; }
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

}  // namespace cli
