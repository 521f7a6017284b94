#pragma once
// A fetch's progress as one line on standard error, rewritten in place: objects, bytes
// and speed while receiving, then deltas. Drawn only when enabled (a terminal, no -q).
#include <chrono>
#include <string>

#include "task/connect.hpp"

namespace cli {

class TransferMeter {
 public:
  explicit TransferMeter(bool enabled)
      : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  TransferMeter(const TransferMeter&) = delete;
  TransferMeter& operator=(const TransferMeter&) = delete;
  ~TransferMeter() { finish(); }

  void update(const task::TransferProgress& progress);
  // Draws the last state and ends the line, if anything was drawn.
  void finish();

 private:
  void draw(bool final = false);
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  task::TransferProgress last_;
};

// "Receiving objects:  45% (450/1000), 1.20 MiB | 3.40 MiB/s"
std::string transfer_line(const task::TransferProgress& progress, double elapsed_seconds, bool final = false);

}  // namespace cli
