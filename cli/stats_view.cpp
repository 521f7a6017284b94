#include "stats_view.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace cli {

namespace {

// Stacked from the bottom in this order; a cell shared by several shows the one that
// matters most (a failure over a success).
// Platform faults (runs the platform could not start or run) are not the task's failure:
// a colour and a letter of their own, on top.
enum Kind { succeeded, failed, timed_out, lost, skipped, fault, kinds };
constexpr std::array<int, kinds> priority = {0, 5, 4, 3, 1, 2};
constexpr std::array<Style, kinds> style = {Style::success, Style::failure, Style::alert, Style::warning, Style::faint,
                                            Style::accent};
constexpr std::array<char, kinds> letter = {'#', 'X', 'T', 'L', '-', 'E'};
constexpr std::array<const char*, kinds> name = {"succeeded", "failed", "timed-out", "lost", "skipped", "platform fault"};
constexpr std::array<const char*, 9> eighths = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

std::string paint(bool fancy, Kind kind, std::string_view text) {
  return Printer::paint_if(fancy, style[kind], text);
}

std::array<std::int64_t, kinds> split(const task::OutcomeCounts& c) {
  return {c.succeeded, c.failed, c.timed_out, c.lost, c.skipped + c.cancelled, c.errors};
}

}  // namespace

std::string sparkline(const std::vector<std::int64_t>& values, bool fancy) {
  static constexpr std::string_view ascii = "_.,-=+*#";
  if (values.empty()) return {};
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  std::string out;
  for (auto v : values) {
    const int level = *hi == *lo ? 3 : static_cast<int>((v - *lo) * 7 / (*hi - *lo));
    if (fancy) {
      out += eighths[static_cast<std::size_t>(level + 1)];
    } else {
      out += ascii[static_cast<std::size_t>(level)];
    }
  }
  return out;
}

std::string outcome_sparkline(const std::vector<task::RunOutcome>& outcomes, bool fancy) {
  std::string out;
  for (auto o : outcomes) {
    switch (o) {
      case task::RunOutcome::succeeded: out += fancy ? paint(true, succeeded, "▇") : "+"; break;
      case task::RunOutcome::failed: out += fancy ? paint(true, failed, "▇") : "x"; break;
      case task::RunOutcome::timed_out: out += fancy ? paint(true, timed_out, "▇") : "t"; break;
      case task::RunOutcome::lost: out += fancy ? paint(true, lost, "▇") : "l"; break;
      case task::RunOutcome::cancelled: out += fancy ? paint(true, skipped, "▁") : "c"; break;
      case task::RunOutcome::error: out += fancy ? paint(true, lost, "▄") : "e"; break;
      case task::RunOutcome::skipped: out += fancy ? paint(true, skipped, "▁") : "-"; break;
      default: out += fancy ? "·" : "."; break;
    }
  }
  return out;
}

std::string outcome_legend(bool fancy) {
  std::string out;
  for (int k = 0; k < kinds; ++k) {
    if (!out.empty()) out += "  ";
    out += paint(fancy, static_cast<Kind>(k), fancy ? "█" : std::string(1, letter[static_cast<std::size_t>(k)]));
    out += " ";
    out += name[static_cast<std::size_t>(k)];
  }
  return out;
}

std::string outcome_chart(const std::vector<task::PeriodStats>& periods, task::StatsPeriod by, bool fancy,
                          std::size_t width) {
  constexpr int rows = 6;
  const int unit = fancy ? 8 : 1;  // eighths of a cell, or whole cells
  std::int64_t most = 0;
  for (const auto& p : periods) most = std::max(most, p.counts.runs);
  if (periods.empty() || most == 0) return {};

  const std::string top = fmt::format("{}", most);
  const std::size_t axis = top.size() + 3;  // "  288 ┤"
  const std::size_t room = width > axis + 4 ? width - axis - 4 : 10;
  const std::size_t cell = periods.size() * 2 <= room ? 2 : 1;
  const std::size_t shown = std::min(periods.size(), room / cell);
  const std::size_t first = periods.size() - shown;

  // Each column: the top of every segment, in units, stacked bottom up.
  std::vector<std::array<int, kinds>> tops;
  for (std::size_t i = first; i < periods.size(); ++i) {
    const auto counts = split(periods[i].counts);
    const std::int64_t total = periods[i].counts.runs;
    std::array<int, kinds> top_of{};
    std::int64_t cumulative = 0;
    int previous = 0;
    const std::int64_t height = total == 0 ? 0 : (total * rows * unit + most - 1) / most;  // ceil
    for (int k = 0; k < kinds; ++k) {
      cumulative += counts[static_cast<std::size_t>(k)];
      int at = total == 0 ? 0 : static_cast<int>((cumulative * height + total / 2) / total);
      if (counts[static_cast<std::size_t>(k)] > 0 && at <= previous) at = previous + 1;  // never hidden
      top_of[static_cast<std::size_t>(k)] = at;
      previous = at;
    }
    tops.push_back(top_of);
  }

  std::string out;
  const char* unit_name = by == task::StatsPeriod::hour ? "hour" : "day";
  out += fmt::format("\n  runs per {}", unit_name);
  if (first > 0) out += fmt::format(" (the newest {} of {}; a wider terminal or --by day shows more)", shown, periods.size());
  out += "\n";
  for (int row = rows - 1; row >= 0; --row) {
    std::string label = row == rows - 1 ? top : row == 0 ? std::string("0") : std::string();
    out += fmt::format("  {:>{}} {}", label, top.size(), fancy ? (label.empty() ? "│" : "┤") : (label.empty() ? "|" : "+"));
    const int low = row * unit, high = low + unit;
    for (const auto& t : tops) {
      const int column_top = t[kinds - 1];
      const int fill = std::clamp(column_top - low, 0, unit);
      std::string glyph;
      if (fill == 0) {
        glyph = " ";
      } else {
        // The segment that matters most among those in this cell.
        int best = -1, bottom = 0;
        for (int k = 0; k < kinds; ++k) {
          const int seg_top = t[static_cast<std::size_t>(k)];
          if (seg_top > bottom && seg_top > low && bottom < std::min(high, column_top) &&
              (best < 0 || priority[static_cast<std::size_t>(k)] > priority[static_cast<std::size_t>(best)])) {
            best = k;
          }
          bottom = std::max(bottom, seg_top);
        }
        const auto kind = static_cast<Kind>(std::max(best, 0));
        glyph = fancy ? paint(true, kind, eighths[static_cast<std::size_t>(fill)])
                      : std::string(1, letter[static_cast<std::size_t>(kind)]);
      }
      out += glyph;
      if (cell == 2) out += " ";
    }
    out += "\n";
  }
  out += fmt::format("  {:>{}} {}", "", top.size(), fancy ? "└" : "+");
  for (std::size_t i = 0; i < shown * cell; ++i) out += fancy ? "─" : "-";
  out += "\n";
  // Labels under the columns, as many as fit without touching.
  std::string labels(shown * cell + 2, ' ');
  std::size_t free_from = 0;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto start = periods[first + i].start;
    const std::string label =
        by == task::StatsPeriod::hour ? fmt::format("{:%H}", start) : fmt::format("{:%d}", start);
    const std::size_t at = i * cell;
    if (at < free_from || at + label.size() > labels.size()) continue;
    // Hours: label the quarters of the day when columns are narrow.
    if (by == task::StatsPeriod::hour && cell == 1 && label != "00" && label != "06" && label != "12" && label != "18") {
      continue;
    }
    labels.replace(at, label.size(), label);
    free_from = at + label.size() + 1;
  }
  while (!labels.empty() && labels.back() == ' ') labels.pop_back();
  out += fmt::format("  {:>{}}  {}\n", "", top.size(), labels);
  const auto from = periods[first].start, to = periods.back().start;
  out += fmt::format("  {:>{}}  {}\n", "", top.size(),
                     by == task::StatsPeriod::hour ? fmt::format("{:%Y-%m-%d %H:00} to {:%Y-%m-%d %H:00} UTC", from, to)
                                                   : fmt::format("{:%Y-%m-%d} to {:%Y-%m-%d}", from, to));
  return out;
}

}  // namespace cli
