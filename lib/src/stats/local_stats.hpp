#pragma once
// The figures of task/stats.hpp over the local platform's store.
//
// Whole hours and days whose runs are all done are read from summaries the store keeps
// (and drops when a run of that period changes), so a million runs take milliseconds, not
// a scan, and a week of a deployment is 7 summaries, not 168. The agent stores them after
// each hour ends (summarize_finished); `task stats` stores those it had to read from the
// runs.
#include <functional>

#include "platform/local/store.hpp"
#include "task/stats.hpp"

namespace task {

Result<StatsReport> compute_stats(Store& store, const StatsQuery& query);

// Summarizes the finished hours (before the hour of `now`), then the finished days, of one
// deployment whose summary is missing or out of date, newest first, so that `task stats`
// finds them ready; stops early when `stop` says so. Returns how many stale ones it looked
// at (those with a run still going stay stale). The agent calls it in the background.
struct Summarized {
  std::size_t hours = 0, days = 0;
};
Result<Summarized> summarize_finished(Store& store, std::int64_t deployment_id, Timestamp now,
                                      const std::function<bool()>& stop = {});

Result<RecentHealth> recent_health(Store& store, std::int64_t deployment_id, Timestamp since, Timestamp until,
                                   std::size_t outcomes);

}  // namespace task
