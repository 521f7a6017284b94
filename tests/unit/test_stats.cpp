// The figures of `task stats` over stores filled with known histories: empty periods, an
// all-failed deployment, a single run, and a million runs. Every figure is checked against
// what a plain reading of the definitions (lib/include/task/stats.hpp) gives, on the first
// call (read from the runs) and on the second (read from the hour summaries).
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stats/local_stats.hpp"
#include "platform/local/store.hpp"
#include "state_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using task::RunOutcome;

namespace {

constexpr std::int64_t hour = 3'600'000, day = 24 * hour;
// 2026-01-01T00:00:00Z in milliseconds.
constexpr std::int64_t base = 1'767'225'600'000;

task::Timestamp ms(std::int64_t v) { return task::Timestamp(std::chrono::milliseconds(v)); }

struct Row {
  std::int64_t scheduled;
  std::optional<std::int64_t> started, finished;
  const char* outcome;
  std::optional<int> exit_code;
  const char* trigger = "schedule";
};

// Runs written straight into the store's table, as the agent's records would be, a few
// hundred to a statement (each statement has its own journal and trigger program).
void insert(const fs::path& state, std::int64_t deployment, const std::vector<Row>& rows) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((state / "task.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA temp_store = MEMORY; BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK);
  constexpr std::size_t chunk = 256;
  auto prepare = [&](std::size_t count) {
    std::string sql =
        "INSERT INTO runs (deployment_id, revision, scheduled_at, started_at, finished_at, outcome, exit_code, trigger,"
        " created_at) VALUES ";
    for (std::size_t i = 0; i < count; ++i) sql += i ? ", (?, 1, ?, ?, ?, ?, ?, ?, 0)" : "(?, 1, ?, ?, ?, ?, ?, ?, 0)";
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    return s;
  };
  sqlite3_stmt* full = rows.size() >= chunk ? prepare(chunk) : nullptr;
  std::size_t written = 0;
  for (std::size_t at = 0; at < rows.size(); at += chunk) {
    const auto count = std::min(chunk, rows.size() - at);
    sqlite3_stmt* s = count == chunk ? full : prepare(count);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& r = rows[at + i];
      const int p = static_cast<int>(i) * 7;
      sqlite3_bind_int64(s, p + 1, deployment);
      sqlite3_bind_int64(s, p + 2, r.scheduled);
      r.started ? sqlite3_bind_int64(s, p + 3, *r.started) : sqlite3_bind_null(s, p + 3);
      r.finished ? sqlite3_bind_int64(s, p + 4, *r.finished) : sqlite3_bind_null(s, p + 4);
      sqlite3_bind_text(s, p + 5, r.outcome, -1, SQLITE_STATIC);
      r.exit_code ? sqlite3_bind_int(s, p + 6, *r.exit_code) : sqlite3_bind_null(s, p + 6);
      sqlite3_bind_text(s, p + 7, r.trigger, -1, SQLITE_STATIC);
    }
    if (sqlite3_step(s) == SQLITE_DONE) written += static_cast<std::size_t>(sqlite3_changes(db));
    sqlite3_reset(s);
    if (s != full) sqlite3_finalize(s);
  }
  sqlite3_finalize(full);
  REQUIRE(written == rows.size());
  REQUIRE(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

void exec(const fs::path& state, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((state / "task.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

std::int64_t deploy(task::Store& store, const std::string& name) {
  task::Revision r;
  r.image.digest = "sha256:" + name;
  r.image.ref = "task/" + name + ":abc";
  r.schedule = "@every 1s";
  r.command = "deploy";
  auto d = store.deploy(name, "development", "/src/" + name, r, ms(base - day));
  REQUIRE(d.has_value());
  return d->id;
}

// The expected figures, from the definitions and nothing else.
struct Expected {
  std::map<std::string, std::int64_t> counts;
  std::vector<std::int64_t> durations, lateness;
  std::int64_t last_success = 0, last_failure = 0;
};

std::int64_t nearest_rank(std::vector<std::int64_t> v, int q) {
  std::sort(v.begin(), v.end());
  std::size_t rank = (static_cast<std::size_t>(q) * v.size() + 99) / 100;
  return v[std::max<std::size_t>(rank, 1) - 1];
}

void add(Expected& e, const Row& r, std::int64_t id) {
  const std::string o = r.outcome;
  e.counts[o] += 1;
  if ((o == "succeeded" || o == "failed" || o == "timed-out") && r.started && r.finished) {
    e.durations.push_back(*r.finished - *r.started);
  }
  if ((std::string(r.trigger) == "schedule" || std::string(r.trigger) == "catch-up") && r.started) {
    e.lateness.push_back(*r.started - r.scheduled);
  }
  if (o == "succeeded") e.last_success = id;
  if (o == "failed" || o == "timed-out" || o == "lost") e.last_failure = id;
}

void check_counts(const task::OutcomeCounts& c, const Expected& e) {
  auto n = [&](const char* k) {
    auto it = e.counts.find(k);
    return it == e.counts.end() ? 0 : it->second;
  };
  CHECK(c.succeeded == n("succeeded"));
  CHECK(c.failed == n("failed"));
  CHECK(c.timed_out == n("timed-out"));
  CHECK(c.skipped == n("skipped"));
  CHECK(c.lost == n("lost"));
  CHECK(c.cancelled == n("cancelled"));
  CHECK(c.unfinished == n("running") + n("pending") + n("starting"));
  CHECK(c.runs == n("succeeded") + n("failed") + n("timed-out") + n("skipped") + n("lost") + n("cancelled"));
  const auto judged = n("succeeded") + n("failed") + n("timed-out") + n("lost");
  if (judged == 0) {
    CHECK_FALSE(c.success_rate().has_value());
    CHECK_FALSE(c.failure_rate().has_value());
  } else {
    CHECK(c.success_rate().value() == static_cast<double>(n("succeeded")) / static_cast<double>(judged));
    CHECK(c.failure_rate().value() ==
          static_cast<double>(n("failed") + n("timed-out") + n("lost")) / static_cast<double>(judged));
  }
}

void check_percentiles(const task::Percentiles& p, const std::vector<std::int64_t>& values, bool with_p95) {
  CHECK(p.count == static_cast<std::int64_t>(values.size()));
  if (values.empty()) return;
  CHECK(p.p50 == nearest_rank(values, 50));
  if (with_p95) CHECK(p.p95 == nearest_rank(values, 95));
  CHECK(p.p99 == nearest_rank(values, 99));
  CHECK(p.max == *std::max_element(values.begin(), values.end()));
}

template <std::size_t N>
void check_histogram(const task::Histogram& h, const std::vector<std::int64_t>& values, const std::int64_t (&bounds)[N]) {
  CHECK(h.count == static_cast<std::int64_t>(values.size()));
  std::int64_t sum = 0;
  for (auto v : values) sum += v;
  CHECK(h.sum == sum);
  REQUIRE(h.buckets.size() == N);
  for (std::size_t i = 0; i < N; ++i) {
    CAPTURE(bounds[i]);
    CHECK(h.buckets[i] == std::count_if(values.begin(), values.end(), [&](auto v) { return v <= bounds[i]; }));
  }
}

// Checks one deployment's figures of the whole window against rows whose ids are
// first_id, first_id + 1, …
void check_window(const task::DeploymentStats& s, const std::vector<Row>& rows, std::int64_t first_id,
                  std::int64_t since, std::int64_t until) {
  Expected all;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.scheduled >= since && r.scheduled < until) add(all, r, first_id + static_cast<std::int64_t>(i));
  }
  check_counts(s.counts, all);
  check_percentiles(s.duration, all.durations, true);
  check_percentiles(s.lateness, all.lateness, false);
  check_histogram(s.duration_histogram, all.durations, task::duration_bounds_ms);
  check_histogram(s.lateness_histogram, all.lateness, task::lateness_bounds_ms);
  CHECK((s.last_success ? std::stoll(s.last_success->id) : 0) == all.last_success);
  CHECK((s.last_failure ? std::stoll(s.last_failure->id) : 0) == all.last_failure);
  // Their end times, kept in the summaries for figures asked for without records.
  auto ended = [](const std::optional<task::Run>& r) -> std::optional<task::Timestamp> {
    if (!r) return std::nullopt;
    return r->finished_at ? r->finished_at : r->started_at ? r->started_at : std::optional(r->scheduled_at);
  };
  CHECK(s.last_success_at == ended(s.last_success));
  CHECK(s.last_failure_at == ended(s.last_failure));
}

// Checks one deployment's figures, by period, against rows whose ids are first_id, first_id + 1, …
void check_deployment(const task::DeploymentStats& s, const std::vector<Row>& rows, std::int64_t first_id,
                      std::int64_t since, std::int64_t until, std::int64_t step) {
  check_window(s, rows, first_id, since, until);
  std::map<std::int64_t, Expected> by_period;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.scheduled < since || r.scheduled >= until) continue;
    add(by_period[r.scheduled - ((r.scheduled % step) + step) % step], r, first_id + static_cast<std::int64_t>(i));
  }
  const auto first_period = since - ((since % step) + step) % step;
  REQUIRE(s.periods.size() == static_cast<std::size_t>((until - first_period + step - 1) / step));
  for (std::size_t p = 0; p < s.periods.size(); ++p) {
    const auto start = first_period + static_cast<std::int64_t>(p) * step;
    CAPTURE(p);
    CHECK(s.periods[p].start == ms(start));
    const auto& e = by_period[start];  // an empty period when absent
    check_counts(s.periods[p].counts, e);
    check_percentiles(s.periods[p].duration, e.durations, true);
    check_percentiles(s.periods[p].lateness, e.lateness, false);
  }
}

task::StatsReport stats(task::Store& store, std::int64_t since, std::int64_t until, task::StatsPeriod by,
                        const std::string& name = "") {
  task::StatsQuery q;
  q.task = name;
  q.since = ms(since);
  q.until = ms(until);
  q.now = ms(until + day);
  q.by = by;
  auto r = task::compute_stats(store, q);
  REQUIRE(r.has_value());
  return *r;
}

}  // namespace

TEST_CASE("nearest-rank percentiles") {
  std::vector<std::int64_t> v = {15, 20, 35, 40, 50};
  auto p = task::percentiles(v);
  CHECK(p.count == 5);
  CHECK(p.p50 == 35);  // rank ceil(2.5) = 3
  CHECK(p.p95 == 50);
  CHECK(p.p99 == 50);
  CHECK(p.max == 50);
  std::vector<std::int64_t> one = {7};
  auto q = task::percentiles(one);
  CHECK((q.p50 == 7 && q.p95 == 7 && q.p99 == 7 && q.max == 7));
  std::vector<std::int64_t> none;
  CHECK(task::percentiles(none).count == 0);
}

TEST_CASE("a known history: empty periods, an all-failed deployment, a single run, an empty deployment") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  const auto mixed = deploy(*store, "mixed");
  const auto all_failed = deploy(*store, "all-failed");
  const auto single = deploy(*store, "single");
  deploy(*store, "empty");
  // Days 0 and 3 have runs, days 1 and 2 none; one run is still going.
  std::vector<Row> mixed_rows = {
      {base + 1000, base + 1010, base + 1510, "succeeded", 0},
      {base + 2000, base + 2005, base + 3005, "failed", 2},
      {base + 3 * hour, base + 3 * hour + 20, base + 3 * hour + 20 + 60'000, "timed-out", 137},
      {base + 5 * hour, std::nullopt, std::nullopt, "skipped", std::nullopt},
      {base + 5 * hour + 1, base + 5 * hour + 2, std::nullopt, "lost", std::nullopt},
      {base + 6 * hour, base + 6 * hour + 3, base + 6 * hour + 33, "succeeded", 0, "manual"},
      {base + 6 * hour + 5, base + 6 * hour + 8, base + 6 * hour + 18, "cancelled", 137},
      {base + 3 * day + 10, base + 3 * day + 11, base + 3 * day + 111, "succeeded", 0, "catch-up"},
      {base + 3 * day + 20, base + 3 * day + 21, base + 3 * day + 321, "succeeded", 0, "retry"},
      {base + 3 * day + hour, base + 3 * day + hour + 4, std::nullopt, "running", std::nullopt},
  };
  insert(state.path, mixed, mixed_rows);
  std::vector<Row> failed_rows;
  for (int i = 0; i < 5; ++i) {
    failed_rows.push_back({base + i * hour, base + i * hour + 10 * (i + 1), base + i * hour + 10 * (i + 1) + 100 * (i + 1),
                           "failed", 2});
  }
  insert(state.path, all_failed, failed_rows);
  insert(state.path, single, {{base + 2 * day + 7, base + 2 * day + 14, base + 2 * day + 56, "succeeded", 0}});

  const std::int64_t since = base, until = base + 4 * day;
  for (int pass = 0; pass < 2; ++pass) {  // from the runs, then from the hour summaries
    CAPTURE(pass);
    auto report = stats(*store, since, until, task::StatsPeriod::day);
    REQUIRE(report.deployments.size() == 4);
    // By task name.
    CHECK(report.deployments[0].deployment.task == "all-failed");
    CHECK(report.deployments[1].deployment.task == "empty");
    CHECK(report.deployments[2].deployment.task == "mixed");
    CHECK(report.deployments[3].deployment.task == "single");
    check_deployment(report.deployments[0], failed_rows, 11, since, until, day);
    check_deployment(report.deployments[2], mixed_rows, 1, since, until, day);
    check_deployment(report.deployments[3], {{base + 2 * day + 7, base + 2 * day + 14, base + 2 * day + 56, "succeeded", 0}},
                     16, since, until, day);
    check_deployment(report.deployments[1], {}, 0, since, until, day);

    // The same figures written out, as a reader of the definitions would get them.
    const auto& m = report.deployments[2];
    CHECK(m.counts.runs == 9);
    CHECK(m.counts.unfinished == 1);
    CHECK(m.counts.success_rate().value() == 4.0 / 7.0);
    CHECK(m.duration.count == 6);  // succeeded, failed, timed-out: 500, 1000, 60000, 30, 100, 300
    CHECK(m.duration.p50 == 300);
    CHECK(m.duration.p95 == 60'000);
    CHECK(m.lateness.count == 7);  // schedule and catch-up runs that started: 10, 5, 20, 1, 3, 1, 4
    CHECK(m.lateness.p50 == 4);
    CHECK(m.lateness.p99 == 20);
    CHECK(m.periods[1].counts.runs == 0);
    CHECK(m.periods[2].counts.runs == 0);
    CHECK(m.last_failure->id == "5");
    CHECK(m.last_success->id == "9");
    REQUIRE(m.recent_failures.size() == 3);
    CHECK(m.recent_failures[0].id == "5");
    CHECK(m.recent_failures[2].id == "2");
    CHECK(m.recent_durations == std::vector<std::int64_t>{500, 1000, 60'000, 30, 100, 300});
    const auto& f = report.deployments[0];
    CHECK(f.counts.failed == 5);
    CHECK(f.counts.success_rate().value() == 0.0);
    CHECK(f.counts.failure_rate().value() == 1.0);
    CHECK_FALSE(f.last_success.has_value());
    CHECK(f.last_failure->id == "15");
    CHECK(f.duration.p50 == 300);
    CHECK(f.duration.max == 500);
    CHECK(f.lateness.p99 == 50);
    const auto& s = report.deployments[3];
    CHECK(s.counts.runs == 1);
    CHECK(s.counts.success_rate().value() == 1.0);
    CHECK((s.duration.p50 == 42 && s.duration.p95 == 42 && s.duration.max == 42));
    CHECK((s.lateness.p50 == 7 && s.lateness.p99 == 7));
    CHECK_FALSE(s.last_failure.has_value());
    const auto& e = report.deployments[1];
    CHECK(e.counts.runs == 0);
    CHECK_FALSE(e.counts.success_rate().has_value());
    CHECK(e.periods.size() == 4);
  }

  // By hour, over a window that starts and ends inside hours.
  const std::int64_t h_since = base + 30 * 60'000, h_until = base + 6 * hour + 10;
  auto by_hour = stats(*store, h_since, h_until, task::StatsPeriod::hour, "mixed");
  REQUIRE(by_hour.deployments.size() == 1);
  check_deployment(by_hour.deployments[0], mixed_rows, 1, h_since, h_until, hour);
  CHECK(by_hour.deployments[0].counts.runs == 5);  // not the two of the first half hour
}

TEST_CASE("a million runs: every figure exact, from the runs and from the summaries") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  const auto d = deploy(*store, "million");
  // One run a second for a million seconds (11.6 days): 1 in 10 failed, 1 in 100 lost,
  // 1 in 1000 skipped, 1 in 5000 timed out; durations and lateness vary with the run.
  constexpr std::int64_t n = 1'000'000;
  std::vector<Row> rows;
  rows.reserve(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto scheduled = base + i * 1000;
    const auto started = scheduled + (i * 7919) % 250;
    const auto finished = started + 50 + (i * 104'729) % 30'000;
    if (i % 5000 == 4321) {
      rows.push_back({scheduled, started, started + 60'000, "timed-out", 137});
    } else if (i % 1000 == 500) {
      rows.push_back({scheduled, std::nullopt, std::nullopt, "skipped", std::nullopt});
    } else if (i % 100 == 48) {
      rows.push_back({scheduled, started, std::nullopt, "lost", std::nullopt});
    } else if (i % 10 == 9) {
      rows.push_back({scheduled, started, finished, "failed", 1});
    } else {
      rows.push_back({scheduled, started, finished, "succeeded", 0});
    }
  }
  insert(state.path, d, rows);
  const std::int64_t since = base, until = base + n * 1000;
  for (int pass = 0; pass < 2; ++pass) {
    CAPTURE(pass);
    auto report = stats(*store, since, until, task::StatsPeriod::day);
    REQUIRE(report.deployments.size() == 1);
    const auto& s = report.deployments[0];
    check_deployment(s, rows, 1, since, until, day);
    CHECK(s.counts.runs == n);
    CHECK(s.counts.failed == 100'000);
    CHECK(s.counts.lost == 10'000);
    CHECK(s.counts.skipped == 1'000);
    CHECK(s.counts.timed_out == 200);
    CHECK(s.counts.succeeded == n - 100'000 - 10'000 - 1'000 - 200);
    CHECK(s.periods.size() == 12);
    CHECK(s.last_failure->id == std::to_string(n));       // i = 999999: failed
    CHECK(s.last_success->id == std::to_string(n - 1));   // i = 999998
    REQUIRE(s.recent_failures.size() == 10);
    CHECK(s.recent_failures[1].id == std::to_string(n - 10));
    CHECK(s.duration.max == 60'000);
  }
  // An hour of it changes: its summary is dropped and the figures follow.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((state.path / "task.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE runs SET outcome = 'failed', exit_code = 9 WHERE id = 2", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(db);
  rows[1].outcome = "failed";
  auto report = stats(*store, since, until, task::StatsPeriod::day);
  check_deployment(report.deployments[0], rows, 1, since, until, day);
  CHECK(report.deployments[0].counts.failed == 100'000 + 1);

  // A week that starts and ends inside hours, as the dashboard's does: its 6 whole days are
  // read from their summaries, the hours around them from theirs, the partial hours at its
  // ends from the runs. With every hour summary dropped the figures are the same, and only
  // the 18 + 7 hours outside the whole days are read (and stored) again.
  exec(state.path, "UPDATE run_hours SET summary = NULL, summary_generation = 0");
  const std::int64_t w_since = base + 2 * day + 5 * hour + 30 * 60'000, w_until = base + 9 * day + 7 * hour + 15 * 60'000;
  auto week = stats(*store, w_since, w_until, task::StatsPeriod::day);
  check_deployment(week.deployments[0], rows, 1, w_since, w_until, day);
  auto stale = store->stale_summaries(task::SummaryLevel::hour, d, ms(until + hour));
  REQUIRE(stale.has_value());
  CHECK(stale->size() == 278 - 25);  // of the 278 hours (the last one partly) of the runs

  // The overview's figures (no periods, histograms or records) are the same as the full ones.
  task::StatsQuery q;
  q.since = ms(w_since);
  q.until = ms(w_until);
  q.now = ms(until + day);
  q.periods = q.histograms = q.records = false;
  auto overview = task::compute_stats(*store, q);
  REQUIRE(overview.has_value());
  const auto& o = overview->deployments.at(0);
  const auto& w = week.deployments[0];
  CHECK(o.periods.empty());
  CHECK_FALSE(o.last_success.has_value());
  for (auto field : {&task::OutcomeCounts::runs, &task::OutcomeCounts::succeeded, &task::OutcomeCounts::failed,
                     &task::OutcomeCounts::timed_out, &task::OutcomeCounts::skipped, &task::OutcomeCounts::lost,
                     &task::OutcomeCounts::cancelled, &task::OutcomeCounts::errors, &task::OutcomeCounts::unfinished}) {
    CHECK(o.counts.*field == w.counts.*field);
  }
  for (auto [a, b] : {std::pair{&o.duration, &w.duration}, std::pair{&o.lateness, &w.lateness}}) {
    CHECK((a->count == b->count && a->p50 == b->p50 && a->p95 == b->p95 && a->p99 == b->p99 && a->max == b->max));
  }
  CHECK(o.last_success_at == w.last_success_at);
  CHECK(o.last_failure_at == w.last_failure_at);
  CHECK(o.recent_durations == w.recent_durations);
}

TEST_CASE("finished hours summarized ahead of task stats; an hour with a run still going waits") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  const auto d = deploy(*store, "ahead");
  // Hours 0, 1 and 3 finished; hour 2 has a run still going; hour 5 is the current hour.
  std::vector<Row> rows = {
      {base + 10, base + 11, base + 111, "succeeded", 0},
      {base + hour + 10, base + hour + 12, base + hour + 212, "failed", 1},
      {base + 2 * hour, base + 2 * hour + 5, std::nullopt, "running", std::nullopt},
      {base + 3 * hour + 10, base + 3 * hour + 13, base + 3 * hour + 313, "succeeded", 0},
      {base + 5 * hour + 10, base + 5 * hour + 14, base + 5 * hour + 414, "succeeded", 0},
  };
  insert(state.path, d, rows);
  const auto now = ms(base + 5 * hour + 20 * 60'000);
  auto stale = store->stale_summaries(task::SummaryLevel::hour, d, ms(base + 5 * hour));
  REQUIRE(stale.has_value());
  CHECK(*stale == std::vector<task::Timestamp>{ms(base + 3 * hour), ms(base + 2 * hour), ms(base + hour), ms(base)});

  auto looked = task::summarize_finished(*store, d, now);
  REQUIRE(looked.has_value());
  CHECK(looked->hours == 4);
  stale = store->stale_summaries(task::SummaryLevel::hour, d, ms(base + 6 * hour));
  REQUIRE(stale.has_value());
  CHECK(*stale == std::vector<task::Timestamp>{ms(base + 5 * hour), ms(base + 2 * hour)});
  auto hours = store->summaries(task::SummaryLevel::hour, d, ms(base), ms(base + 4 * hour));
  REQUIRE(hours.has_value());
  REQUIRE(hours->size() == 4);
  CHECK((*hours)[0].summary.has_value());
  CHECK((*hours)[1].summary.has_value());
  CHECK_FALSE((*hours)[2].summary.has_value());
  CHECK((*hours)[3].summary.has_value());

  // A stopped summarizer stores nothing more.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((state.path / "task.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE runs SET outcome = 'lost', finished_at = NULL, exit_code = NULL WHERE id = 3",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  rows[2].outcome = "lost";
  looked = task::summarize_finished(*store, d, now, [] { return true; });
  REQUIRE(looked.has_value());
  CHECK(looked->hours == 0);
  looked = task::summarize_finished(*store, d, now);
  REQUIRE(looked.has_value());
  CHECK(looked->hours == 1);
  stale = store->stale_summaries(task::SummaryLevel::hour, d, ms(base + 5 * hour));
  REQUIRE(stale.has_value());
  CHECK(stale->empty());

  // The figures from the summaries are those of the runs.
  auto report = stats(*store, base, base + 6 * hour, task::StatsPeriod::hour);
  REQUIRE(report.deployments.size() == 1);
  check_deployment(report.deployments[0], rows, 1, base, base + 6 * hour, hour);
  CHECK(report.deployments[0].counts.lost == 1);
  CHECK(report.deployments[0].counts.unfinished == 0);

  // A day later the day is over: it is summarized from its hours, and read from that.
  auto stale_days = store->stale_summaries(task::SummaryLevel::day, d, ms(base + day));
  REQUIRE(stale_days.has_value());
  CHECK(*stale_days == std::vector<task::Timestamp>{ms(base)});
  looked = task::summarize_finished(*store, d, ms(base + day + hour));
  REQUIRE(looked.has_value());
  CHECK(looked->days == 1);
  auto days = store->summaries(task::SummaryLevel::day, d, ms(base), ms(base + day));
  REQUIRE(days.has_value());
  REQUIRE(days->size() == 1);
  CHECK(days->front().summary.has_value());
  CHECK(store->stale_summaries(task::SummaryLevel::day, d, ms(base + 2 * day))->empty());
  report = stats(*store, base, base + day, task::StatsPeriod::day);
  check_deployment(report.deployments[0], rows, 1, base, base + day, day);
}

TEST_CASE("worst first, and the first period a chart draws") {
  auto with = [](const char* name, std::int64_t succeeded, std::int64_t failed, std::int64_t failed_at) {
    task::DeploymentStats s;
    s.deployment.task = name;
    s.deployment.env = "development";
    s.counts.succeeded = s.counts.runs = succeeded;
    s.counts.failed = failed;
    s.counts.runs += failed;
    if (failed_at > 0) s.last_failure_at = ms(failed_at);
    return s;
  };
  // "late" failed after "early": by name it would come second.
  std::vector<task::DeploymentStats> all = {with("none", 0, 0, 0), with("fine", 10, 0, 0), with("early", 9, 1, base),
                                            with("late", 9, 1, base + hour), with("half", 1, 1, base)};
  task::order_worst_first(all);
  std::vector<std::string> names;
  for (const auto& s : all) names.push_back(s.deployment.task);
  // The lowest rate first, equal rates by the newest failure, no rate yet last.
  CHECK(names == std::vector<std::string>{"half", "late", "early", "fine", "none"});

  task::DeploymentStats young;
  for (int d = 0; d < 7; ++d) young.periods.push_back({ms(base + d * day), {}, {}, {}});
  CHECK(task::first_drawn_period(young) == 0);  // no creation time known: the whole window
  young.deployment.created_at = ms(base + 4 * day + 5 * hour);
  CHECK(task::first_drawn_period(young) == 4);  // the day it was deployed
  young.periods[2].counts.runs = 1;             // history from before (a run imported or re-created)
  CHECK(task::first_drawn_period(young) == 2);
  young.deployment.created_at = ms(base - 3 * day);
  young.periods[2].counts.runs = 0;
  CHECK(task::first_drawn_period(young) == 0);  // older than the window
}

TEST_CASE("many deployments: every one's figures exact and in order, from the runs and from the summaries") {
  StateDir state;
  auto store = task::Store::open(state.path);
  REQUIRE(store.has_value());
  // 240 deployments, each with its own few runs: one deployment's hours never leak into the next's.
  constexpr int deployments = 240;
  std::vector<std::vector<Row>> rows(deployments);
  std::vector<std::int64_t> first_ids;
  std::int64_t next_id = 1;
  for (int k = 0; k < deployments; ++k) {
    const auto d = deploy(*store, fmt::format("d{:03}", k));
    for (int i = 0; i < 3 + k % 7; ++i) {
      const auto scheduled = base + i * hour + k * 1000;
      const auto started = scheduled + k % 13 + i;
      const char* outcome = (i + k) % 5 == 0 ? "failed" : (i + k) % 11 == 0 ? "lost" : "succeeded";
      rows[static_cast<std::size_t>(k)].push_back(
          {scheduled, started, std::string_view(outcome) == "lost" ? std::nullopt : std::optional(started + 100 + k), outcome,
           std::string_view(outcome) == "failed" ? std::optional(1) : std::optional(0)});
    }
    insert(state.path, d, rows[static_cast<std::size_t>(k)]);
    first_ids.push_back(next_id);
    next_id += static_cast<std::int64_t>(rows[static_cast<std::size_t>(k)].size());
  }
  for (const char* pass : {"from the runs", "from the summaries"}) {
    CAPTURE(pass);
    auto report = stats(*store, base, base + 2 * day, task::StatsPeriod::day);
    REQUIRE(report.deployments.size() == deployments);
    for (std::size_t k = 0; k < deployments; ++k) {
      CAPTURE(k);
      CHECK(report.deployments[k].deployment.task == fmt::format("d{:03}", k));
      check_deployment(report.deployments[k], rows[k], first_ids[k], base, base + 2 * day, day);
    }
  }
}
