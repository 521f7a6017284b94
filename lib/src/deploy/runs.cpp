// status, runs, run now, and run logs read or followed.
#include "task/runs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "deploy/internal.hpp"
#include "task/schedule.hpp"

namespace task {

namespace {

using namespace std::chrono_literals;

// How often a wait looks again. The platforms keep no change feed yet.

}  // namespace

Result<DeploymentStatus> deployment_status(Workspace& workspace, Platform& platform, const Deployment& d) {
  DeploymentStatus s;
  s.deployment = d;
  const auto now = workspace.now();
  if (d.state == DeploymentState::active) {
    if (auto schedule = parse_schedule(d.revision.schedule, d.revision.timezone)) {
      if (auto next = next_fire_after(*schedule, std::chrono::floor<std::chrono::seconds>(now))) {
        s.next_run = format_rfc3339(*next, *schedule);
      }
    }
  }
  const DeploymentKey key{d.task, d.env};
  if (auto recent = platform.finished_runs(key, 1); recent && !recent->empty()) s.last_run = recent->front();
  if (auto health = platform.health(key, now - 24h, now + 1min, status_outcomes)) s.health = std::move(*health);
  return s;
}

Result<StatusReport> status(Workspace& workspace) {
  StatusReport report;
  auto platforms = workspace.platforms();
  if (!platforms) return std::unexpected(platforms.error());
  for (auto* platform : *platforms) {
    auto deployments = platform->deployments({});
    if (!deployments) return std::unexpected(deployments.error());
    for (const auto& d : *deployments) {
      auto s = deployment_status(workspace, *platform, d);
      if (!s) return std::unexpected(s.error());
      report.deployments.push_back(std::move(*s));
    }
  }
  if (!platforms->empty()) report.runner = platforms->front()->runner();
  return report;
}

Result<std::vector<Run>> list_runs(Workspace& workspace, const RunsQuery& query) {
  std::vector<Platform*> platforms;
  if (!query.env.empty()) {
    auto at = locate(workspace, query.task, query.env);
    if (!at) return std::unexpected(at.error());
    platforms.push_back(at->platform);
  } else {
    auto all = workspace.platforms();
    if (!all) return std::unexpected(all.error());
    platforms = std::move(*all);
  }
  const auto wanted = [&](const Run& r) {
    return (!query.outcome || r.outcome == *query.outcome) && (!query.trigger || r.trigger == *query.trigger) &&
           (!query.since || r.scheduled_at >= *query.since);
  };
  const bool filtered = query.outcome || query.trigger || query.since;
  std::vector<Run> runs;
  for (auto* platform : platforms) {
    // With a filter, a wider window each time until enough match or the history ends.
    constexpr std::size_t kWidest = 100'000;
    for (std::size_t window = query.limit;; window = std::min(window * 4, kWidest)) {
      auto some = platform->runs(RunFilter{query.task, query.env, window});
      if (!some) return std::unexpected(some.error());
      std::vector<Run> matching;
      for (auto& r : *some) {
        if (wanted(r)) matching.push_back(std::move(r));
      }
      const bool ended = some->size() < window || window >= kWidest;
      if (!filtered || matching.size() >= query.limit || ended) {
        runs.insert(runs.end(), std::make_move_iterator(matching.begin()), std::make_move_iterator(matching.end()));
        break;
      }
    }
  }
  // In fire-time order: a retry or a catch-up run is recorded after runs due later.
  std::stable_sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.scheduled_at > b.scheduled_at; });
  if (runs.size() > query.limit) runs.resize(query.limit);
  return runs;
}

bool await_status_change(Workspace& workspace, std::chrono::milliseconds at_most) {
  auto platforms = workspace.platforms();
  if (!platforms || platforms->empty()) {
    std::this_thread::sleep_for(at_most);
    return true;
  }
  const bool changed = platforms->front()->await_change({}, at_most);
  return changed || platforms->size() > 1;
}

Result<RunRequest> request_run(Workspace& workspace, const DeploymentKey& key, bool forced) {
  auto at = locate(workspace, key.task, key.env);
  if (!at) return std::unexpected(at.error());
  auto run = at->platform->request_run(at->key, forced);
  if (!run) return std::unexpected(run.error());
  return RunRequest{std::move(*run), at->platform, at->platform->notify_changed()};
}

Result<Run> wait_for_run(Platform& platform, const Run& run, bool until_finished, const std::function<bool()>& stop) {
  Run current = run;
  auto done = [&] { return until_finished ? is_finished(current.outcome) : current.outcome != RunOutcome::pending; };
  while (!done() && !(stop && stop())) {
    platform.await_output(current, 1s);
    // A read that fails (a store busy past its timeout) is tried again; a run gone is not.
    auto fresh = platform.run(run.id);
    if (!fresh && fresh.error().code == Errc::not_found) return std::unexpected(fresh.error());
    if (fresh) current = std::move(*fresh);
  }
  return current;
}

Result<RunLog> read_run_log(Workspace& workspace, const LogQuery& q) {
  RunLog log;
  auto at = locate(workspace, q.task, q.env);
  if (!at) return std::unexpected(at.error());
  log.platform = at->platform;
  log.key = at->key;
  if (!q.run.empty()) {
    auto run = at->platform->run(q.run);
    if (!run) return std::unexpected(run.error());
    log.run = std::move(*run);
  } else {
    auto current = at->platform->current(at->key);
    if (!current) return std::unexpected(current.error());
    if (!current->deployment) {
      return fail(Errc::not_found, fmt::format("{} is not deployed to {}", q.task, at->env.name),
                  fmt::format("deploy it with `task deploy --interval SCHEDULE --env {}`", at->env.name));
    }
    auto runs = at->platform->runs(RunFilter{q.task, at->env.name, 20});
    if (!runs) return std::unexpected(runs.error());
    // The newest run that began, or that the platform could not begin (its log says why).
    for (const auto& r : *runs) {
      if (r.started_at || (is_finished(r.outcome) && r.outcome != RunOutcome::skipped)) {
        log.run = r;
        break;
      }
    }
    if (!log.run) {
      if (q.wait_for_first) return log;
      return fail(Errc::not_found, fmt::format("{} in {} has no runs yet", q.task, at->env.name),
                  "`task logs -f` waits for the first; `task status` shows when it is due");
    }
  }
  const Run& run = *log.run;
  const std::string since = q.since ? format_rfc3339_ms(*q.since) : std::string{};
  for (;;) {
    auto chunk = at->platform->read_log(run, log.next);
    if (!chunk) return std::unexpected(chunk.error());
    if (!chunk->exists) {
      if (run.log_pruned) {
        return fail(Errc::not_found, fmt::format("the log of run {} was removed by the history limits", run.id),
                    "task.yaml's run.history sets how many logs are kept; the run's record stays in "
                    "`task runs` and `task stats`");
      }
      if (is_finished(run.outcome) && run.outcome != RunOutcome::skipped) {
        return fail(Errc::not_found, fmt::format("the log of run {} is gone", run.id),
                    "logs are kept within the history limits of task.yaml's run.history");
      }
      break;
    }
    if (chunk->next == log.next) break;
    for (auto& l : chunk->lines) {
      if (!since.empty() && l.timestamp.substr(0, 23) < since.substr(0, 23)) continue;
      if (q.keep && !q.keep(l)) continue;
      if (q.each && !q.tail) {
        q.each(run, l);
      } else {
        log.lines.push_back(std::move(l));
      }
    }
    if (q.tail && log.lines.size() > *q.tail) {
      log.lines.erase(log.lines.begin(), log.lines.end() - static_cast<std::ptrdiff_t>(*q.tail));
    }
    log.next = chunk->next;
  }
  return log;
}

namespace {

// Prints what the log has from `offset` on; returns where it ends.
Result<std::uint64_t> drain(Platform& platform, const Run& run, std::uint64_t offset, const LogObserver& o) {
  for (;;) {
    auto chunk = platform.read_log(run, offset);
    if (!chunk) return std::unexpected(chunk.error());
    if (!chunk->exists || chunk->next == offset) return offset;
    for (const auto& l : chunk->lines) o.line(run, l);
    offset = chunk->next;
  }
}

bool stopped(const LogObserver& o) { return o.stop && o.stop(); }

// The oldest run newer than `after` that has begun: none is passed over. With no `after`,
// the newest run, once it has begun.
std::optional<Run> next_begun(Platform& platform, const DeploymentKey& key, const std::optional<Run>& after) {
  auto newer = platform.runs(RunFilter{key.task, key.env, after ? std::size_t{20} : std::size_t{1}});
  if (!newer) return std::nullopt;
  std::optional<Run> found;
  for (const auto& r : *newer) {  // newest first
    if (after && r.id == after->id) break;
    if (r.has_begun()) found = r;
  }
  return found;
}

}  // namespace

Result<void> follow_run_log(RunLog log, bool next_runs, const LogObserver& o) {
  Platform& platform = *log.platform;
  auto last_check = std::chrono::steady_clock::now() - 1s;
  std::optional<Run> run = log.run;
  std::uint64_t offset = log.next;
  bool ask = false;  // the platform said the run's record may have changed
  while (!stopped(o)) {
    if (!run) {
      // Waiting for the first run, or the next one.
      platform.await_change(log.key, 2s);
      if (auto next = next_begun(platform, log.key, std::nullopt)) {
        run = std::move(*next);
        offset = 0;
        o.started(*run);
      }
      continue;
    }
    // The platform's own stream where it has one (it ends with the run's output), else a
    // slice of what the log has so far.
    const Run& current = *run;
    auto streamed = platform.stream_log(current, offset, [&](const RunLogLine& l) { o.line(current, l); }, o.stop);
    if (streamed && !*streamed) return std::unexpected(streamed->error());
    auto at = streamed ? std::move(*streamed) : drain(platform, *run, offset, o);
    if (!at) return std::unexpected(at.error());
    offset = *at;
    if (streamed || ask || std::chrono::steady_clock::now() - last_check >= 200ms) {
      last_check = std::chrono::steady_clock::now();
      auto fresh = platform.run(run->id);
      if (fresh && is_finished(fresh->outcome)) {
        auto rest = drain(platform, *fresh, offset, o);  // what came before the outcome
        if (!rest) return std::unexpected(rest.error());
        o.finished(*fresh);
        if (!next_runs) return {};
        const Run done = *fresh;
        for (;;) {
          if (stopped(o)) return {};
          if (auto next = next_begun(platform, log.key, done)) {
            run = std::move(*next);
            offset = 0;
            o.started(*run);
            break;
          }
          platform.await_change(log.key, 2s);
        }
        continue;
      }
    }
    ask = platform.await_output(*run, 1s);
  }
  return {};
}

Result<StatsReport> compute_stats(Workspace& workspace, const StatsQuery& query) {
  auto platforms = workspace.platforms();
  if (!platforms) return std::unexpected(platforms.error());
  StatsReport report;
  report.since = query.since;
  report.until = query.until;
  report.by = query.by;
  if (auto envs = workspace.environments()) {
    for (const auto& e : *envs) report.environments.push_back(e.name);
  }
  for (auto* platform : *platforms) {
    auto some = platform->stats(query);
    if (!some) return std::unexpected(some.error());
    for (auto& d : some->deployments) report.deployments.push_back(std::move(d));
    for (auto& n : some->notes) report.notes.push_back(std::move(n));
  }
  return report;
}

}  // namespace task
