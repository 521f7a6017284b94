#include "progress.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace cli {

namespace {

std::string bytes(double n) {
  if (n < 1024) return fmt::format("{:.0f} B", n);
  if (n < 1024.0 * 1024) return fmt::format("{:.2f} KiB", n / 1024);
  if (n < 1024.0 * 1024 * 1024) return fmt::format("{:.2f} MiB", n / (1024.0 * 1024));
  return fmt::format("{:.2f} GiB", n / (1024.0 * 1024 * 1024));
}

std::size_t percent(std::size_t part, std::size_t whole) {
  return whole == 0 ? 0 : part * 100 / whole;
}

}  // namespace

std::string transfer_line(const task::TransferProgress& p, double elapsed_seconds, bool final) {
  if (p.total_objects > 0 && p.received_objects == p.total_objects && p.total_deltas > 0) {
    return fmt::format("Resolving deltas: {:3}% ({}/{})", percent(p.indexed_deltas, p.total_deltas),
                       p.indexed_deltas, p.total_deltas);
  }
  auto received = static_cast<double>(p.received_bytes);
  std::string line = fmt::format("Receiving objects: {:3}% ({}/{}), {}",
                                 percent(p.received_objects, p.total_objects), p.received_objects,
                                 p.total_objects, bytes(received));
  // While it goes, a rate over a fifth of a second or more; at the end, the whole one.
  if (elapsed_seconds > 0.2 || (final && elapsed_seconds > 0)) line += fmt::format(" | {}/s", bytes(received / elapsed_seconds));
  return line;
}

void TransferMeter::update(const task::TransferProgress& progress) {
  if (!enabled_) return;
  last_ = progress;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw();
}

void TransferMeter::draw(bool final) {
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
  std::fprintf(stderr, "\r\x1b[2K%s", transfer_line(last_, elapsed.count(), final).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void TransferMeter::finish() {
  if (!enabled_ || !drawn_) return;
  draw(true);
  std::fputs("\n", stderr);
  enabled_ = false;
}

}  // namespace cli
