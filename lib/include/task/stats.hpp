#pragma once
// The figures of `task stats` and `task status` over a platform's run history: outcome
// counts and rates, durations and start lateness, per period.
//
// Definitions (the man page of task-stats says the same):
// - A run belongs to the window and to the period in which its fire time (scheduled_at)
//   lies; periods are whole UTC hours or days, the first one starting at or before `since`.
// - runs counts finished runs: succeeded + failed + timed-out + skipped + lost + cancelled
//   + error (platform faults: the platform could not start or run them).
//   Each attempt of a retried run is a run. Runs still going are counted apart.
// - The success rate is succeeded / (succeeded + failed + timed-out + lost); the failure
//   rate is the rest of that. Skipped and cancelled runs did not try, so neither counts.
// - A duration is finished - started, for runs that ended on their own or by timeout
//   (succeeded, failed, timed-out). Lateness is started - scheduled, for runs started for a
//   fire time (trigger schedule or catch-up).
// - Percentiles are by nearest rank: pN is the value at rank ceil(N/100 * count) in order.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "task/error.hpp"
#include "task/deployment.hpp"

namespace task {

enum class StatsPeriod { hour, day };
std::string_view to_string(StatsPeriod);

struct OutcomeCounts {
  std::int64_t runs = 0, succeeded = 0, failed = 0, timed_out = 0, skipped = 0, lost = 0, cancelled = 0;
  std::int64_t errors = 0;      // the platform could not start or run them: neither rate counts them
  std::int64_t unfinished = 0;  // pending, starting or running: not in `runs`
  std::int64_t judged() const { return succeeded + failed + timed_out + lost; }
  std::int64_t failures() const { return failed + timed_out + lost; }
  std::optional<double> success_rate() const;
  std::optional<double> failure_rate() const;
  void add(RunOutcome outcome);
  OutcomeCounts& operator+=(const OutcomeCounts& other);
};

// In milliseconds; the figures mean something only when count > 0.
struct Percentiles {
  std::int64_t count = 0;
  std::int64_t p50 = 0, p95 = 0, p99 = 0, max = 0;
};
// Nearest-rank percentiles of `values` (which it reorders).
Percentiles percentiles(std::vector<std::int64_t>& values);

// How many values lie at or under each bound (cumulative, as Prometheus' `le` buckets),
// with their count and sum; in milliseconds.
struct Histogram {
  std::vector<std::int64_t> buckets;  // one per bound of the kind
  std::int64_t count = 0, sum = 0;
  Histogram& operator+=(const Histogram& other);
};
// The bounds of durations (100 ms to an hour) and of start lateness (5 ms to a minute).
inline constexpr std::int64_t duration_bounds_ms[] = {100, 250, 500, 1000, 2500, 5000, 10'000, 30'000,
                                                      60'000, 120'000, 300'000, 600'000, 1'800'000, 3'600'000};
inline constexpr std::int64_t lateness_bounds_ms[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10'000, 30'000, 60'000};
template <std::size_t N>
Histogram histogram(const std::vector<std::int64_t>& values, const std::int64_t (&bounds)[N]) {
  Histogram h;
  h.buckets.assign(N, 0);
  for (auto v : values) {
    ++h.count;
    h.sum += v;
    for (std::size_t i = 0; i < N; ++i) h.buckets[i] += v <= bounds[i] ? 1 : 0;
  }
  return h;
}

struct PeriodStats {
  Timestamp start{};
  OutcomeCounts counts;
  Percentiles duration, lateness;
};

struct DeploymentStats {
  Deployment deployment;
  OutcomeCounts counts;
  Percentiles duration, lateness;
  Histogram duration_histogram, lateness_histogram;  // the window's, in the bounds above
  std::optional<Run> last_success, last_failure;  // in the window (with StatsQuery::records)
  // When they ended (a lost run: when it started), with or without records.
  std::optional<Timestamp> last_success_at, last_failure_at;
  std::optional<Run> last_fault;  // the newest run the platform could not start or run (error)
  std::vector<PeriodStats> periods;               // every period of the window, oldest first
  std::vector<Run> recent_failures;               // newest first
  std::vector<std::int64_t> recent_durations;           // the newest runs' durations, oldest first
};

struct StatsQuery {
  std::string task;  // "" for every task
  std::string env;   // "" for every environment
  Timestamp since{}, until{};
  Timestamp now{};  // hours that ended before it, all of their runs done, are summarised for next time
  StatsPeriod by = StatsPeriod::day;
  bool include_removed = false;
  std::size_t recent_failures = 10;  // at most 10
  std::size_t recent_durations = 40;
  bool periods = true;  // false: the window's figures only (the dashboard's overview)
  bool histograms = true;  // false: no duration and lateness histograms (only the metrics use them)
  bool records = true;     // false: no run records (last_*, recent_failures), their end times only
};

struct StatsReport {
  Timestamp since{}, until{};
  StatsPeriod by = StatsPeriod::day;
  std::vector<std::string> environments;     // in promotion order
  std::vector<DeploymentStats> deployments;  // by task, then environment in promotion order
  // What the figures cannot include: "development: the cluster keeps only …".
  std::vector<std::string> notes;
};

// Worst first, as the dashboard and `task stats` show them: the lowest success rate (none
// yet: after every rate), then the most recent failure, then by task and environment.
void order_worst_first(std::vector<DeploymentStats>& deployments);

// The first of `s.periods` worth drawing: the one holding the deployment's creation or its
// first run, whichever is earlier, so a task younger than the window gets an axis of its
// own age and not a long empty stretch before it was deployed.
std::size_t first_drawn_period(const DeploymentStats& s);

// The figures of one deployment from its runs (newest first), for platforms that keep no
// summaries of their own.
DeploymentStats stats_of_runs(const Deployment& deployment, const std::vector<Run>& runs, const StatsQuery& query);

// The success and failure counts of one deployment since `since`, and its newest finished
// runs' outcomes (oldest first): what `task status` shows.
struct RecentHealth {
  OutcomeCounts counts;
  std::vector<RunOutcome> outcomes;
};

// The same from a deployment's runs, newest first.
RecentHealth health_of_runs(const std::vector<Run>& runs, Timestamp since, Timestamp until, std::size_t outcomes);

}  // namespace task
