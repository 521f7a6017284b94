// The OpenMetrics exposition of task/metrics.hpp.
#include "task/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "task/stats.hpp"

namespace task {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// What a deployment's counters hold: the runs before the live window, and since.
struct Totals {
  OutcomeCounts counts;
  Histogram duration, lateness;
  std::optional<Timestamp> last_success, last_failure;

  void add(const DeploymentStats& s) {
    counts += s.counts;
    duration += s.duration_histogram;
    lateness += s.lateness_histogram;
    auto later = [](std::optional<Timestamp>& into, const std::optional<Timestamp>& at) {
      if (at && (!into || *at > *into)) into = at;
    };
    later(last_success, s.last_success_at);
    later(last_failure, s.last_failure_at);
  }
};

using Key = std::pair<std::string, std::string>;  // task, environment

// A label value as the text format writes it: \, " and line breaks escaped.
std::string escaped(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// Milliseconds as seconds, a float always written with a point ("1.0", "0.25").
std::string seconds(std::int64_t ms) {
  auto s = fmt::format("{}", static_cast<double>(ms) / 1000.0);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string labels(const Key& k) { return fmt::format("task=\"{}\",env=\"{}\"", escaped(k.first), escaped(k.second)); }

// A family's header. The classic text format names a counter by its samples' name and
// has neither units nor the info type (an info is a gauge named …_info, valued 1).
void family(std::string& out, MetricsFormat format, std::string_view name, std::string_view type,
            std::string_view help, std::string_view unit = {}) {
  if (format == MetricsFormat::openmetrics) {
    out += fmt::format("# TYPE {} {}\n", name, type);
    if (!unit.empty()) out += fmt::format("# UNIT {} {}\n", name, unit);
    out += fmt::format("# HELP {} {}\n", name, help);
    return;
  }
  const std::string sample = type == "counter" ? fmt::format("{}_total", name)
                             : type == "info"  ? fmt::format("{}_info", name)
                                               : std::string(name);
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", sample, help, sample, type == "info" ? "gauge" : type);
}

template <std::size_t N>
void histogram_samples(std::string& out, std::string_view name, const Key& k, const Histogram& h,
                       const std::int64_t (&bounds)[N]) {
  const auto l = labels(k);
  for (std::size_t i = 0; i < N; ++i) {
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, l, seconds(bounds[i]), i < h.buckets.size() ? h.buckets[i] : 0);
  }
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, l, h.count);
  out += fmt::format("{}_sum{{{}}} {}\n", name, l, seconds(h.sum));
  out += fmt::format("{}_count{{{}}} {}\n", name, l, h.count);
}

}  // namespace

struct MetricsExporter::Impl {
  Workspace& workspace;
  MetricsOptions options;
  std::optional<Timestamp> live_from;  // the live window's start: whole hours
  std::map<Key, Totals> before;        // the runs before it

  // The figures of [since, until) of every exported deployment, removed ones too.
  Result<std::vector<DeploymentStats>> read(Timestamp since, Timestamp until, Timestamp now) {
    auto envs = workspace.environments();
    if (!envs) return std::unexpected(envs.error());
    std::vector<DeploymentStats> out;
    std::vector<Platform*> asked;
    for (const auto& env : *envs) {
      if (options.environments && !options.environments(env)) continue;
      auto platform = workspace.platform(env);
      if (!platform) return std::unexpected(platform.error());
      StatsQuery query;
      query.env = env.name;
      query.since = since;
      query.until = until;
      query.now = now;
      query.by = StatsPeriod::day;
      query.include_removed = true;
      query.recent_failures = 0;
      query.recent_durations = 0;
      query.periods = false;
      query.records = false;
      auto report = (*platform)->stats(query);
      if (!report) return std::unexpected(report.error());
      for (auto& d : report->deployments) out.push_back(std::move(d));
    }
    return out;
  }
};

MetricsExporter::MetricsExporter(Workspace& workspace, MetricsOptions options)
    : impl_(std::make_unique<Impl>(Impl{workspace, std::move(options), std::nullopt, {}})) {}
MetricsExporter::~MetricsExporter() = default;

Result<std::string> MetricsExporter::scrape(MetricsFormat format) {
  auto& s = *impl_;
  const auto now = s.workspace.now();
  const auto hour_start = std::chrono::floor<std::chrono::hours>(now);
  // What the platform holds from before the exporter began, read once (the local platform
  // keeps 90 days of runs); then, each day, the day before yesterday moves in with it, so
  // the live window stays short and what it held can be forgotten by the platform.
  if (!s.live_from || now - *s.live_from > 48h) {
    const Timestamp to = s.live_from ? Timestamp(hour_start - 24h) : Timestamp(hour_start);
    const Timestamp from = s.live_from ? *s.live_from : Timestamp(to - 24h * 92);
    auto old = s.read(from, to, now);
    if (!old) return std::unexpected(old.error());
    for (const auto& d : *old) s.before[{d.deployment.task, d.deployment.env}].add(d);
    s.live_from = to;
  }
  auto live = s.read(*s.live_from, now + 24h, now);
  if (!live) return std::unexpected(live.error());

  std::map<Key, Totals> totals = s.before;
  std::map<Key, const Deployment*> deployed;
  for (const auto& d : *live) {
    const Key k{d.deployment.task, d.deployment.env};
    totals[k].add(d);
    if (d.deployment.state != DeploymentState::removed) deployed[k] = &d.deployment;
  }

  std::string out;
  out.reserve(4096 + totals.size() * 6000);
  family(out, format, "task_runs", "counter", "Finished runs by outcome (error: the platform could not start or run them).");
  static constexpr std::pair<const char*, std::int64_t OutcomeCounts::*> outcomes[] = {
      {"succeeded", &OutcomeCounts::succeeded}, {"failed", &OutcomeCounts::failed},
      {"timed_out", &OutcomeCounts::timed_out}, {"skipped", &OutcomeCounts::skipped},
      {"lost", &OutcomeCounts::lost},           {"cancelled", &OutcomeCounts::cancelled},
      {"error", &OutcomeCounts::errors}};
  for (const auto& [k, t] : totals) {
    for (const auto& [name, field] : outcomes) {
      out += fmt::format("task_runs_total{{{},outcome=\"{}\"}} {}\n", labels(k), name, t.counts.*field);
    }
  }
  family(out, format, "task_run_duration_seconds", "histogram", "How long runs took, from start to end.", "seconds");
  for (const auto& [k, t] : totals) histogram_samples(out, "task_run_duration_seconds", k, t.duration, duration_bounds_ms);
  family(out, format, "task_run_lateness_seconds", "histogram", "How long after its fire time a scheduled run started.", "seconds");
  for (const auto& [k, t] : totals) histogram_samples(out, "task_run_lateness_seconds", k, t.lateness, lateness_bounds_ms);
  family(out, format, "task_runs_in_progress", "gauge", "Runs pending, starting or running.");
  for (const auto& [k, d] : deployed) {
    out += fmt::format("task_runs_in_progress{{{}}} {}\n", labels(k), totals[k].counts.unfinished);
  }
  auto stamps = [&](std::string_view name, std::string_view help, std::optional<Timestamp> Totals::*field) {
    family(out, format, name, "gauge", help, "seconds");
    for (const auto& [k, t] : totals) {
      if (const auto& at = t.*field) out += fmt::format("{}{{{}}} {}\n", name, labels(k), seconds(at->time_since_epoch().count()));
    }
  };
  stamps("task_last_success_timestamp_seconds", "When the newest successful run ended, in Unix time.", &Totals::last_success);
  stamps("task_last_failure_timestamp_seconds", "When the newest failed, timed-out or lost run ended (a lost one: started), in Unix time.",
         &Totals::last_failure);
  family(out, format, "task_deployment", "info", "The current revision of each deployment.");
  for (const auto& [k, d] : deployed) {
    const auto& r = d->revision;
    out += fmt::format("task_deployment_info{{{},revision=\"{}\",schedule=\"{}\",timezone=\"{}\",image=\"{}\",state=\"{}\"}} 1\n",
                       labels(k), r.number, escaped(r.schedule), escaped(r.timezone), escaped(r.image.ref),
                       to_string(d->state));
  }
  family(out, format, "task_deployment_suspended", "gauge", "1 while the deployment is suspended.");
  for (const auto& [k, d] : deployed) {
    out += fmt::format("task_deployment_suspended{{{}}} {}\n", labels(k), d->state == DeploymentState::suspended ? 1 : 0);
  }
  family(out, format, "task_platform_up", "gauge", "0 while the platform cannot run tasks (its engine or cluster down).");
  if (auto envs = s.workspace.environments()) {
    std::vector<Platform*> seen;
    for (const auto& env : *envs) {
      if (s.options.environments && !s.options.environments(env)) continue;
      auto platform = s.workspace.platform(env);
      if (!platform || std::find(seen.begin(), seen.end(), *platform) != seen.end()) continue;
      seen.push_back(*platform);
      const auto runner = (*platform)->runner();
      out += fmt::format("task_platform_up{{platform=\"{}\",env=\"{}\"}} {}\n", env.platform, escaped(env.name),
                         runner.running && runner.trouble.empty() ? 1 : 0);
    }
  }
  if (format == MetricsFormat::openmetrics) out += "# EOF\n";
  return out;
}

}  // namespace task
