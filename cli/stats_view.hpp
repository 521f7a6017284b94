#pragma once
// Charts for a terminal: Unicode blocks in colour, or plain ASCII for pipes, logs and
// --no-color. Each outcome has its own colour and, in ASCII, its own letter.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "task/stats.hpp"

namespace cli {

// The report for people, and as `task stats -o json` prints it.
void render_stats_text(Context& ctx, const task::StatsReport& report, std::string& out);
nlohmann::json stats_json(const task::StatsReport& report);

// One cell per value, its height between the smallest and the largest.
std::string sparkline(const std::vector<std::int64_t>& values, bool fancy);

// One cell per run, oldest first: green for a success, red for a failure.
std::string outcome_sparkline(const std::vector<task::RunOutcome>& outcomes, bool fancy);

// Runs per period as stacked columns, newest on the right; as many periods as fit `width`
// (a line says when older ones were left out). Failures always show: a column with any
// has at least one cell of their colour.
std::string outcome_chart(const std::vector<task::PeriodStats>& periods, task::StatsPeriod by, bool fancy,
                          std::size_t width);

std::string outcome_legend(bool fancy);

}  // namespace cli
