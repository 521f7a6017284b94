#include "stats/local_stats.hpp"

#include <algorithm>
#include <cstring>
#include <map>

namespace task {

std::string_view to_string(StatsPeriod period) { return period == StatsPeriod::hour ? "hour" : "day"; }

std::optional<double> OutcomeCounts::success_rate() const {
  if (judged() == 0) return std::nullopt;
  return static_cast<double>(succeeded) / static_cast<double>(judged());
}

std::optional<double> OutcomeCounts::failure_rate() const {
  if (judged() == 0) return std::nullopt;
  return static_cast<double>(failures()) / static_cast<double>(judged());
}

void OutcomeCounts::add(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::succeeded: ++succeeded; break;
    case RunOutcome::failed: ++failed; break;
    case RunOutcome::timed_out: ++timed_out; break;
    case RunOutcome::skipped: ++skipped; break;
    case RunOutcome::lost: ++lost; break;
    case RunOutcome::cancelled: ++cancelled; break;
    case RunOutcome::error: ++errors; break;
    case RunOutcome::pending:
    case RunOutcome::starting:
    case RunOutcome::running: ++unfinished; return;
  }
  ++runs;
}

OutcomeCounts& OutcomeCounts::operator+=(const OutcomeCounts& c) {
  runs += c.runs;
  succeeded += c.succeeded;
  failed += c.failed;
  timed_out += c.timed_out;
  skipped += c.skipped;
  lost += c.lost;
  cancelled += c.cancelled;
  errors += c.errors;
  unfinished += c.unfinished;
  return *this;
}

Histogram& Histogram::operator+=(const Histogram& other) {
  if (buckets.size() < other.buckets.size()) buckets.resize(other.buckets.size(), 0);
  for (std::size_t i = 0; i < other.buckets.size(); ++i) buckets[i] += other.buckets[i];
  count += other.count;
  sum += other.sum;
  return *this;
}

Percentiles percentiles(std::vector<std::int64_t>& values) {
  Percentiles p;
  p.count = static_cast<std::int64_t>(values.size());
  if (values.empty()) return p;
  const auto n = values.size();
  // Rank ceil(q * n / 100), 1-based; taken in increasing order so each nth_element
  // works on what the previous one left above it.
  auto at_rank = [&](std::size_t q, std::size_t from) {
    const std::size_t rank = std::max<std::size_t>(1, (q * n + 99) / 100);
    auto nth = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(std::min(from, rank - 1)), nth, values.end());
    return rank - 1;
  };
  const auto i50 = at_rank(50, 0);
  p.p50 = values[i50];
  const auto i95 = at_rank(95, i50 + 1);
  p.p95 = values[i95];
  const auto i99 = at_rank(99, i95 + 1);
  p.p99 = values[i99];
  p.max = *std::max_element(values.begin() + static_cast<std::ptrdiff_t>(i99), values.end());
  return p;
}

namespace {

using std::chrono::milliseconds;

constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t day_ms = 24 * hour_ms;
constexpr std::size_t kept_failures = 10;  // the newest failures each hour and day remembers

bool is_failure(RunOutcome o) { return o == RunOutcome::failed || o == RunOutcome::timed_out || o == RunOutcome::lost; }

bool has_duration(const RunSample& r) {
  return (r.outcome == RunOutcome::succeeded || r.outcome == RunOutcome::failed || r.outcome == RunOutcome::timed_out) &&
         r.started_ms != RunSample::none && r.finished_ms != RunSample::none;
}

bool has_lateness(const RunSample& r) {
  return (r.trigger == RunTrigger::schedule || r.trigger == RunTrigger::catch_up) && r.started_ms != RunSample::none;
}

std::int64_t floor_to(std::int64_t ms, std::int64_t step) {
  auto q = ms / step;
  if (ms % step != 0 && ms < 0) --q;
  return q * step;
}

std::int64_t ceil_to(std::int64_t ms, std::int64_t step) {
  const auto f = floor_to(ms, step);
  return f == ms ? f : f + step;
}

// The figures of the runs of one UTC hour or day (or the part of it in the window): what
// every larger figure is made of, and what the store keeps for hours and days whose runs
// are all done.
// Its arrays are slices of the values of all the hours read together (Hours), so reading
// a week of a thousand deployments allocates a few growing arrays, not an array an hour.
struct Slice {
  std::size_t at = 0, size = 0;
};

struct Hour {
  std::int64_t start = 0;
  OutcomeCounts counts;
  Slice durations, lateness;  // in fire-time order
  Slice failures;             // the newest ids, newest first
  std::int64_t last_success = 0, last_failure = 0;
  std::int64_t last_fault = 0;  // the newest run the platform could not start or run
  std::int64_t last_success_at = 0, last_failure_at = 0;  // when those two ended (lost: started)
  // Takes the last success, failure and fault of `h` where they are newer than these.
  void take_last(const Hour& h) {
    if (h.last_success > last_success) {
      last_success = h.last_success;
      last_success_at = h.last_success_at;
    }
    if (h.last_failure > last_failure) {
      last_failure = h.last_failure;
      last_failure_at = h.last_failure_at;
    }
    last_fault = std::max(last_fault, h.last_fault);
  }
};

struct Hours {
  std::vector<Hour> hours;
  std::vector<std::int64_t> values;  // every slice's
  const std::int64_t* begin(Slice s) const { return values.data() + s.at; }
  const std::int64_t* end(Slice s) const { return values.data() + s.at + s.size; }
  void clear() {
    hours.clear();
    values.clear();
  }
};

template <class Keep, class Value>
Slice append(Hours& into, const RunSample* begin, const RunSample* end, Keep keep, Value value) {
  Slice s{into.values.size(), 0};
  for (const auto* r = begin; r != end; ++r) {
    if (keep(*r)) into.values.push_back(value(*r));
  }
  s.size = into.values.size() - s.at;
  return s;
}

// Orders the `n` failure ids at `ids` newest first; returns how many of them an hour or a
// day keeps.
std::size_t newest_failures(std::int64_t* ids, std::size_t n) {
  std::sort(ids, ids + n, std::greater<>());
  return std::min(n, kept_failures);
}

void summarize(const RunSample* begin, const RunSample* end, std::int64_t start, Hours& into) {
  Hour h;
  h.start = start;
  for (const auto* r = begin; r != end; ++r) {
    h.counts.add(r->outcome);
    // When it ended; a lost run never did: when it was last known of.
    const auto ended = r->finished_ms != RunSample::none  ? r->finished_ms
                       : r->started_ms != RunSample::none ? r->started_ms
                                                          : r->scheduled_ms;
    if (r->outcome == RunOutcome::succeeded && r->id > h.last_success) {
      h.last_success = r->id;
      h.last_success_at = ended;
    }
    if (is_failure(r->outcome) && r->id > h.last_failure) {
      h.last_failure = r->id;
      h.last_failure_at = ended;
    }
    if (r->outcome == RunOutcome::error) h.last_fault = std::max(h.last_fault, r->id);
  }
  h.durations = append(into, begin, end, has_duration, [](const RunSample& r) { return r.finished_ms - r.started_ms; });
  h.lateness = append(into, begin, end, has_lateness, [](const RunSample& r) { return r.started_ms - r.scheduled_ms; });
  h.failures = append(into, begin, end, [](const RunSample& r) { return is_failure(r.outcome); },
                      [](const RunSample& r) { return r.id; });
  h.failures.size = newest_failures(into.values.data() + h.failures.at, h.failures.size);
  into.values.resize(h.failures.at + h.failures.size);
  into.hours.push_back(h);
}

// The stored form: a version byte, then integers as zigzag LEB128 varints (a few bytes
// each, so a week of a thousand deployments' summaries is a few megabytes): the counts,
// the last success, failure and fault, when the first two ended, and three counted arrays. Summaries of another
// version are read from the runs again (and stored anew).
constexpr char summary_version = 5;

void put(std::string& out, std::int64_t v) {
  auto u = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  while (u >= 0x80) {
    out += static_cast<char>((u & 0x7f) | 0x80);
    u >>= 7;
  }
  out += static_cast<char>(u);
}
void put(std::string& out, const Hours& all, Slice s) {
  put(out, static_cast<std::int64_t>(s.size));
  for (const auto* v = all.begin(s); v != all.end(s); ++v) put(out, *v);
}

std::string encode(const Hours& all, const Hour& h) {
  std::string out(1, summary_version);
  out.reserve(1 + 3 * (15 + h.durations.size + h.lateness.size + h.failures.size));
  const auto& c = h.counts;
  for (auto v : {c.runs, c.succeeded, c.failed, c.timed_out, c.skipped, c.lost, c.cancelled, c.errors, c.unfinished,
                 h.last_success, h.last_failure, h.last_fault, h.last_success_at, h.last_failure_at}) {
    put(out, v);
  }
  put(out, all, h.failures);
  put(out, all, h.durations);
  put(out, all, h.lateness);
  return out;
}

std::string encode_empty() {
  Hours none;
  return encode(none, Hour{});
}

// Appends the hour `in` holds to `into`; false (and nothing appended) when it is not a
// summary of this version.
bool decode(std::string_view in, std::int64_t start, Hours& into) {
  if (in.empty() || in[0] != summary_version) return false;
  const auto* at = reinterpret_cast<const unsigned char*>(in.data()) + 1;
  const auto* const end = reinterpret_cast<const unsigned char*>(in.data()) + in.size();
  const auto values_before = into.values.size();
  auto get = [&](std::int64_t& v) {
    std::uint64_t u = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at == end) return false;
      const auto byte = *at++;
      u |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) {
        v = static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
        return true;
      }
    }
    return false;
  };
  auto get_all = [&](Slice& s) {
    std::int64_t n = 0;
    if (!get(n) || n < 0 || n > end - at) return false;  // a byte at least each
    s = {into.values.size(), static_cast<std::size_t>(n)};
    into.values.resize(s.at + s.size);
    for (std::size_t k = 0; k < s.size; ++k) {
      if (!get(into.values[s.at + k])) return false;
    }
    return true;
  };
  Hour h;
  h.start = start;
  auto& c = h.counts;
  for (auto* v : {&c.runs, &c.succeeded, &c.failed, &c.timed_out, &c.skipped, &c.lost, &c.cancelled, &c.errors,
                  &c.unfinished, &h.last_success, &h.last_failure, &h.last_fault, &h.last_success_at,
                  &h.last_failure_at}) {
    if (!get(*v)) return false;
  }
  if (!get_all(h.failures) || !get_all(h.durations) || !get_all(h.lateness) || at != end) {
    into.values.resize(values_before);
    return false;
  }
  // An hour without runs holds nothing worth a place.
  if (h.counts.runs + h.counts.unfinished > 0) {
    into.hours.push_back(h);
  } else {
    into.values.resize(values_before);
  }
  return true;
}

// Appends the hours of samples (in fire-time order) to `into`, one per UTC hour.
void split_hours(const std::vector<RunSample>& samples, Hours& into) {
  std::size_t i = 0;
  while (i < samples.size()) {
    const auto start = floor_to(samples[i].scheduled_ms, hour_ms);
    std::size_t j = i;
    while (j < samples.size() && samples[j].scheduled_ms < start + hour_ms) ++j;
    summarize(samples.data() + i, samples.data() + j, start, into);
    i = j;
  }
}

// Folds the hours appended to `into` since it held `hours_before` hours and
// `values_before` values into one entry starting at `start` (a day's): its counts, its
// values in fire-time order, its newest failures and last runs.
void merge(Hours& into, std::size_t hours_before, std::size_t values_before, std::int64_t start) {
  if (into.hours.size() == hours_before) return;
  Hour m;
  m.start = start;
  std::vector<std::int64_t> values;
  values.reserve(into.values.size() - values_before);
  for (Slice Hour::*slice : {&Hour::durations, &Hour::lateness, &Hour::failures}) {
    const auto at = values.size();
    for (std::size_t k = hours_before; k < into.hours.size(); ++k) {
      const auto& h = into.hours[k];
      values.insert(values.end(), into.begin(h.*slice), into.end(h.*slice));
    }
    m.*slice = {values_before + at, values.size() - at};
  }
  m.failures.size = newest_failures(values.data() + (m.failures.at - values_before), m.failures.size);
  values.resize(m.failures.at - values_before + m.failures.size);
  for (std::size_t k = hours_before; k < into.hours.size(); ++k) {
    m.counts += into.hours[k].counts;
    m.take_last(into.hours[k]);
  }
  into.hours.resize(hours_before);
  into.values.resize(values_before);
  into.values.insert(into.values.end(), values.begin(), values.end());
  into.hours.push_back(m);
}

struct ToSave {
  SummaryLevel level;
  std::int64_t start, generation;
  std::string summary;
};

// The runs of a deployment in the window, appended to `into` as hours (with `days`, as
// whole UTC days where the window holds them): from stored summaries where those are
// current, everything else from the runs, read at one moment. The summaries of periods
// that are over, their runs all done, read from the runs are stored for next time (a
// day's from its hours').
Result<void> load_hours(Store& store, std::int64_t deployment, Timestamp since, Timestamp until, Timestamp now,
                        bool days, Hours& into) {
  std::vector<ToSave> to_save;
  const auto from = since.time_since_epoch().count(), to = until.time_since_epoch().count();
  const auto now_ms = now.time_since_epoch().count();
  auto at = [](std::int64_t ms) { return Timestamp(milliseconds(ms)); };
  std::vector<RunSample> samples;
  auto raw = [&](std::int64_t a, std::int64_t b) -> Result<void> {
    if (a >= b) return {};
    samples.clear();
    if (auto r = store.run_samples(deployment, at(a), at(b), samples); !r) return r;
    split_hours(samples, into);
    return {};
  };
  // The periods of `level` in [a, b), whole ones; `read` makes one from what is below it.
  auto summarized = [&](SummaryLevel level, std::int64_t a, std::int64_t b, std::int64_t length,
                        auto&& read) -> Result<void> {
    if (a >= b) return {};
    auto each = [&](std::int64_t start, std::int64_t generation, std::optional<std::string_view> summary) -> Result<void> {
      if (summary && decode(*summary, start, into)) return {};
      const auto before = into.hours.size();
      if (auto r = read(start, start + length); !r) return r;
      const bool none = into.hours.size() == before;
      const bool done = none || into.hours.back().counts.unfinished == 0;
      if (done && start + length <= now_ms) {
        to_save.push_back({level, start, generation, none ? encode_empty() : encode(into, into.hours.back())});
      }
      return {};
    };
    return store.each_summary(level, deployment, at(a), at(b), each);
  };
  auto hours = [&](std::int64_t a, std::int64_t b) { return summarized(SummaryLevel::hour, a, b, hour_ms, raw); };
  auto day_of_hours = [&](std::int64_t a, std::int64_t b) -> Result<void> {
    const auto hours_before = into.hours.size(), values_before = into.values.size();
    if (auto r = hours(a, b); !r) return r;
    merge(into, hours_before, values_before, a);
    return {};
  };
  auto body = [&]() -> Result<void> {
    const auto hour_from = ceil_to(from, hour_ms), hour_to = floor_to(to, hour_ms);
    if (hour_from >= hour_to) return raw(from, to);
    if (auto r = raw(from, hour_from); !r) return r;
    const auto day_from = ceil_to(hour_from, day_ms), day_to = floor_to(hour_to, day_ms);
    if (days && day_from < day_to) {
      if (auto r = hours(hour_from, day_from); !r) return r;
      if (auto r = summarized(SummaryLevel::day, day_from, day_to, day_ms, day_of_hours); !r) return r;
      if (auto r = hours(day_to, hour_to); !r) return r;
    } else if (auto r = hours(hour_from, hour_to); !r) {
      return r;
    }
    return raw(hour_to, to);
  };
  if (auto r = store.read_consistently(body); !r) return std::unexpected(r.error());
  // A cache: when it cannot be written (a read-only store, a busy writer), the figures
  // are the same, only the next time is slower.
  for (const auto& s : to_save) store.save_summary(s.level, deployment, at(s.start), s.generation, s.summary);
  return {};
}

// Buffers reused from one deployment to the next.
struct Scratch {
  Hours hours;
  std::vector<std::int64_t> durations, lateness, period_durations, period_lateness, failures;
};

DeploymentStats deployment_stats(const Deployment& d, const StatsQuery& query, Scratch& scratch,
                                 const std::function<std::optional<Run>(std::int64_t)>& run_of) {
  const auto& all = scratch.hours;
  const auto& hours = all.hours;
  DeploymentStats out;
  out.deployment = d;
  const std::int64_t step = query.by == StatsPeriod::hour ? hour_ms : day_ms;
  const std::int64_t first = floor_to(query.since.time_since_epoch().count(), step);
  const std::int64_t until = query.until.time_since_epoch().count();
  if (query.periods) {
    for (std::int64_t t = first; t < until; t += step) out.periods.push_back(PeriodStats{Timestamp(milliseconds(t)), {}, {}, {}});
  } else {
    out.periods.push_back(PeriodStats{Timestamp(milliseconds(first)), {}, {}, {}});  // the whole window, dropped below
  }
  auto& durations = scratch.durations;
  auto& lateness = scratch.lateness;
  auto& period_durations = scratch.period_durations;
  auto& period_lateness = scratch.period_lateness;
  auto& failures = scratch.failures;
  durations.clear();
  lateness.clear();
  failures.clear();
  Hour last;  // the window's last success, failure and fault

  std::size_t i = 0;
  for (std::size_t p = 0; p < out.periods.size(); ++p) {
    auto& period = out.periods[p];
    const auto end = query.periods ? period.start.time_since_epoch().count() + step : until;
    period_durations.clear();
    period_lateness.clear();
    for (; i < hours.size() && hours[i].start < end; ++i) {
      const auto& h = hours[i];
      period.counts += h.counts;
      if (query.periods) {
        period_durations.insert(period_durations.end(), all.begin(h.durations), all.end(h.durations));
        period_lateness.insert(period_lateness.end(), all.begin(h.lateness), all.end(h.lateness));
      }
      durations.insert(durations.end(), all.begin(h.durations), all.end(h.durations));
      lateness.insert(lateness.end(), all.begin(h.lateness), all.end(h.lateness));
      last.take_last(h);
      failures.insert(failures.end(), all.begin(h.failures), all.end(h.failures));
    }
    out.counts += period.counts;
    if (!query.periods) continue;
    period.duration = percentiles(period_durations);
    period.lateness = percentiles(period_lateness);
  }
  if (!query.periods) out.periods.clear();

  const auto keep = std::min(durations.size(), query.recent_durations);
  out.recent_durations.assign(durations.end() - static_cast<std::ptrdiff_t>(keep), durations.end());
  if (query.histograms) {
    out.duration_histogram = histogram(durations, duration_bounds_ms);
    out.lateness_histogram = histogram(lateness, lateness_bounds_ms);
  }
  out.duration = percentiles(durations);
  out.lateness = percentiles(lateness);

  if (last.last_success_at != 0) out.last_success_at = Timestamp(milliseconds(last.last_success_at));
  if (last.last_failure_at != 0) out.last_failure_at = Timestamp(milliseconds(last.last_failure_at));
  auto fetch = [&](std::int64_t id) -> std::optional<Run> {
    if (id == 0 || !query.records) return std::nullopt;
    return run_of(id);
  };
  out.last_success = fetch(last.last_success);
  out.last_failure = fetch(last.last_failure);
  out.last_fault = fetch(last.last_fault);
  const auto newest = std::min(newest_failures(failures.data(), failures.size()), query.recent_failures);
  for (std::size_t k = 0; k < newest; ++k) {
    if (auto run = fetch(failures[k])) out.recent_failures.push_back(std::move(*run));
  }
  return out;
}

}  // namespace

Result<StatsReport> compute_stats(Store& store, const StatsQuery& query) {
  StatsReport report;
  report.since = query.since;
  report.until = query.until;
  report.by = query.by;
  auto deployments = store.list_deployments(query.include_removed);
  if (!deployments) return std::unexpected(deployments.error());
  auto environments = store.list_environments();
  if (!environments) return std::unexpected(environments.error());
  std::map<std::string, int> position;
  for (const auto& e : *environments) {
    position[e.name] = e.position;
    report.environments.push_back(e.name);
  }
  std::stable_sort(deployments->begin(), deployments->end(), [&](const auto& a, const auto& b) {
    if (a.task != b.task) return a.task < b.task;
    return position[a.env] < position[b.env];
  });
  std::vector<DeploymentRecord> chosen;
  for (const auto& d : *deployments) {
    if (!query.task.empty() && d.task != query.task) continue;
    if (!query.env.empty() && d.env != query.env) continue;
    chosen.push_back(d);
  }
  // Whole days are read as one where no figure is of an hour.
  const bool days = query.by == StatsPeriod::day || !query.periods;
  Scratch scratch;
  for (const auto& d : chosen) {
    scratch.hours.clear();
    if (auto r = load_hours(store, d.id, query.since, query.until, query.now, days, scratch.hours); !r) {
      return std::unexpected(r.error());
    }
    report.deployments.push_back(deployment_stats(d, query, scratch, [&](std::int64_t id) -> std::optional<Run> {
      auto run = store.get_run(id);
      if (!run) return std::nullopt;
      return to_run(*run);
    }));
  }
  return report;
}

Result<Summarized> summarize_finished(Store& store, std::int64_t deployment_id, Timestamp now,
                                      const std::function<bool()>& stop) {
  Summarized looked;
  auto stopped = [&] { return stop && stop(); };
  Hours hours;
  // Hours first, so that the days are made of their summaries. Consecutive stale hours (a
  // day at most) are read in one go.
  auto stale = store.stale_summaries(SummaryLevel::hour, deployment_id,
                                     Timestamp(milliseconds(floor_to(now.time_since_epoch().count(), hour_ms))));
  if (!stale) return std::unexpected(stale.error());
  constexpr std::size_t batch = 24;
  std::size_t i = 0;
  while (i < stale->size() && !stopped()) {
    std::size_t j = i + 1;
    while (j < stale->size() && j - i < batch && (*stale)[j] == (*stale)[j - 1] - milliseconds(hour_ms)) ++j;
    const auto from = (*stale)[j - 1], to = (*stale)[i] + milliseconds(hour_ms);
    hours.clear();
    if (auto r = load_hours(store, deployment_id, from, to, now, false, hours); !r) return std::unexpected(r.error());
    i = j;
  }
  looked.hours = i;
  stale = store.stale_summaries(SummaryLevel::day, deployment_id,
                                Timestamp(milliseconds(floor_to(now.time_since_epoch().count(), day_ms))));
  if (!stale) return std::unexpected(stale.error());
  for (const auto& day : *stale) {
    if (stopped()) break;
    hours.clear();
    if (auto r = load_hours(store, deployment_id, day, day + milliseconds(day_ms), now, true, hours); !r) {
      return std::unexpected(r.error());
    }
    ++looked.days;
  }
  return looked;
}

Result<RecentHealth> recent_health(Store& store, std::int64_t deployment_id, Timestamp since, Timestamp until,
                                   std::size_t outcomes) {
  RecentHealth health;
  Hours hours;
  if (auto r = load_hours(store, deployment_id, since, until, until, true, hours); !r) return std::unexpected(r.error());
  for (const auto& h : hours.hours) health.counts += h.counts;
  auto recent = store.recent_runs(deployment_id, outcomes);
  if (!recent) return std::unexpected(recent.error());
  for (auto it = recent->rbegin(); it != recent->rend(); ++it) health.outcomes.push_back(it->outcome);
  return health;
}

DeploymentStats stats_of_runs(const Deployment& d, const std::vector<Run>& runs, const StatsQuery& query) {
  // The runs of the window in fire-time order (ties keep their order in `runs`); a
  // sample's id is its place in that order, from 1.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].scheduled_at >= query.since && runs[i].scheduled_at < query.until) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return runs[x].scheduled_at < runs[y].scheduled_at; });
  auto ms = [](const std::optional<Timestamp>& t) { return t ? t->time_since_epoch().count() : RunSample::none; };
  std::vector<RunSample> samples;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& r = runs[order[k]];
    samples.push_back(RunSample{static_cast<std::int64_t>(k + 1), r.scheduled_at.time_since_epoch().count(), ms(r.started_at),
                                ms(r.finished_at), r.exit_code ? *r.exit_code : RunSample::none, r.outcome, r.trigger});
  }
  Scratch scratch;
  split_hours(samples, scratch.hours);
  return deployment_stats(d, query, scratch, [&](std::int64_t id) -> std::optional<Run> {
    if (id < 1 || static_cast<std::size_t>(id) > order.size()) return std::nullopt;
    return runs[order[static_cast<std::size_t>(id) - 1]];
  });
}

RecentHealth health_of_runs(const std::vector<Run>& runs, Timestamp since, Timestamp until, std::size_t outcomes) {
  RecentHealth health;
  std::vector<RunOutcome> newest;
  for (const auto& r : runs) {
    if (r.scheduled_at >= since && r.scheduled_at < until) health.counts.add(r.outcome);
    if (is_finished(r.outcome) && newest.size() < outcomes) newest.push_back(r.outcome);
  }
  health.outcomes.assign(newest.rbegin(), newest.rend());
  return health;
}

void order_worst_first(std::vector<DeploymentStats>& all) {
  auto last_failure = [](const DeploymentStats& s) {
    return s.last_failure_at ? s.last_failure_at->time_since_epoch().count() : 0;
  };
  std::stable_sort(all.begin(), all.end(), [&](const DeploymentStats& a, const DeploymentStats& b) {
    const auto ra = a.counts.success_rate(), rb = b.counts.success_rate();
    if (ra.has_value() != rb.has_value()) return ra.has_value();
    if (ra && *ra != *rb) return *ra < *rb;
    if (last_failure(a) != last_failure(b)) return last_failure(a) > last_failure(b);
    if (a.deployment.task != b.deployment.task) return a.deployment.task < b.deployment.task;
    return a.deployment.env < b.deployment.env;
  });
}

std::size_t first_drawn_period(const DeploymentStats& s) {
  auto start = s.deployment.created_at;
  for (const auto& p : s.periods) {
    if (p.counts.runs + p.counts.unfinished > 0) {
      start = std::min(start, p.start);
      break;
    }
  }
  std::size_t i = 0;
  while (i + 1 < s.periods.size() && s.periods[i + 1].start <= start) ++i;
  return i;
}

}  // namespace task
