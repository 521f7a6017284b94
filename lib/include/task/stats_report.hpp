#pragma once
// `task stats --html`: one self-contained HTML page (inline CSS and SVG; no scripts, no
// network) with the figures of a StatsReport per environment and task.
#include <string>

#include "task/stats.hpp"

namespace task {

std::string render_stats_html(const StatsReport& report, Timestamp generated_at);

}  // namespace task
