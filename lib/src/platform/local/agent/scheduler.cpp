#include "platform/local/agent/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace task {

using namespace std::chrono_literals;

namespace {

Instant floor_seconds(Timestamp t) { return std::chrono::floor<std::chrono::seconds>(t); }
Timestamp to_ms(Instant t) { return Timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch())); }

}  // namespace

Scheduler::Scheduler(Store& store, Runner& runner, SchedulerOptions options)
    : store_(store), runner_(runner), options_(std::move(options)) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::say(std::string_view line) const {
  if (options_.log) options_.log(line);
}

Scheduler::Entry* Scheduler::entry_of(std::int64_t deployment_id) {
  for (auto& e : entries_) {
    if (e.deployment.id == deployment_id) return &e;
  }
  return nullptr;
}

std::size_t Scheduler::active() const {
  return static_cast<std::size_t>(std::count_if(workers_.begin(), workers_.end(), [](const auto& w) { return !w.second->done.load(); }));
}

Timestamp Scheduler::tick(bool reload) {
  reap();
  write_failed_ = false;
  if (reload || unwritable_since_) load();
  Timestamp now = options_.now();
  release(now);
  for (auto& entry : entries_) process(entry, now);
  runner_.flush();
  now = options_.now();
  for (auto& entry : entries_) prepare(entry, now);
  auto next_pending = start_pending(now);
  check_written();
  return next_wake(now, next_pending);
}

void Scheduler::write_failed(const Error& error) {
  write_failed_ = true;
  if (unwritable_since_) return;
  unwritable_since_ = options_.now();
  unwritable_error_ = error.message;
  say(fmt::format("cannot write to the state store: {}; runs due are recorded and started as soon as it can", error.message));
}

// After a pass without a refused write, the outage of the store is an event of its own.
void Scheduler::check_written() {
  if (!unwritable_since_ || write_failed_) return;
  const auto message = fmt::format("could not write to the state store from {} to {} ({}); runs due meanwhile started late",
                                   format_rfc3339(floor_seconds(*unwritable_since_)),
                                   format_rfc3339(floor_seconds(options_.now())), unwritable_error_);
  if (!store_.add_event("", "", "store", message, options_.now())) return;
  say(message);
  unwritable_since_.reset();
}

void Scheduler::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Runs made ready for a fire time still to come are skipped, their containers
  // removed: the next agent treats those fire times as missed (catch_up decides).
  for (auto& [deployment, worker] : prepared_) {
    worker->skip_reason = "the agent stopped before its fire time";
    worker->decide(Worker::skip);
  }
  prepared_.clear();
  runner_.stop();
  for (auto& [id, worker] : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

Timestamp Scheduler::next_wake(Timestamp now, std::optional<Timestamp> pending) const {
  Timestamp wake = now + (unwritable_since_ ? 1s : 60s);
  for (const auto& e : entries_) {
    // Prepare ahead of the fire time …
    if (e.deployment.state == DeploymentState::active && e.next && !prepared_.contains(e.deployment.id)) {
      // A runner that prepares nothing ahead (lead 0) is woken at the fire time.
      wake = std::min(wake, to_ms(*e.next) - lead(e));
    }
  }
  // … then start at it.
  for (const auto& [deployment, worker] : prepared_) wake = std::min(wake, worker->start_at);
  if (pending) wake = std::min(wake, *pending);
  return wake;
}

void Scheduler::load() {
  auto deployments = store_.list_deployments(false);
  auto environments = store_.list_environments();
  if (!deployments || !environments) {
    say(fmt::format("cannot read deployments: {}", (!deployments ? deployments.error() : environments.error()).message));
    return;
  }
  std::vector<Entry> entries;
  for (auto& d : *deployments) {
    Entry e;
    e.deployment = std::move(d);
    for (auto& env : *environments) {
      if (env.name == e.deployment.env) e.environment = env;
    }
    auto schedule = parse_schedule(e.deployment.revision.schedule, e.deployment.revision.timezone);
    if (!schedule) {
      say(fmt::format("{} in {}: {}", e.deployment.task, e.deployment.env, schedule.error().message));
    } else {
      e.schedule = std::move(*schedule);
      e.next = next_fire_after(*e.schedule, floor_seconds(baseline(e)));  // the first fire time not handled
    }
    entries.push_back(std::move(e));
  }
  entries_ = std::move(entries);
}

// Fire times up to this instant are handled: the later of the newest handled fire time
// and when the current revision was made (a new schedule never catches up the old one's).
Timestamp Scheduler::baseline(const Entry& e) {
  Timestamp base = e.deployment.revision.created_at;
  if (e.deployment.scheduled_through && *e.deployment.scheduled_through > base) base = *e.deployment.scheduled_through;
  return base;
}

void Scheduler::process(Entry& e, Timestamp now) {
  if (e.deployment.state != DeploymentState::active || !e.schedule) return;
  const Instant from = floor_seconds(baseline(e)) + 1s;
  const Instant to = floor_seconds(now) + 1s;
  if (from >= to) return;
  if (e.next && *e.next >= to) return;  // nothing due yet (the common case: no work)
  constexpr std::size_t kLimit = 1000;
  auto due = fire_times_between(*e.schedule, from, to, kLimit + 1);
  bool truncated = false;
  if (due.size() > kLimit) {
    // A long outage: find the newest due instants, looking back further and further.
    truncated = true;
    for (auto window : {120s, 3600s, 86400s, 31 * 86400s, 400 * 86400s}) {
      auto recent = fire_times_between(*e.schedule, std::max(from, to - window), to, kLimit);
      if (!recent.empty()) {
        due = std::move(recent);
        break;
      }
    }
  }
  if (due.empty()) {
    e.next = next_fire_after(*e.schedule, floor_seconds(now));
    return;
  }
  // A fire time before this agent started fell due while no agent could start it.
  std::vector<Instant> missed, on_time;
  for (auto t : due) (to_ms(t) < started_ ? missed : on_time).push_back(t);
  const Instant newest = due.back();
  if (!on_time.empty()) {
    if (on_time.size() > 1) {
      event(e, "late", fmt::format("{} fire times passed at once; ran the newest ({})", on_time.size(),
                                   format_rfc3339(on_time.back())));
    }
    fire(e, on_time.back(), RunTrigger::schedule, now);
  }
  if (!missed.empty()) handle_missed(e, missed, truncated, !on_time.empty(), now);
  if (on_time.empty() && !runner_.records_itself()) store_.set_scheduled_through(e.deployment.id, to_ms(newest));
  e.deployment.scheduled_through = to_ms(newest);
  e.next = next_fire_after(*e.schedule, std::max(newest, floor_seconds(now)));
}

// How long before a fire time its run is handed to the runner (the runner says, from the
// time since the previous fire time), so that the start at the fire time is only the start.
std::chrono::milliseconds Scheduler::lead(const Entry& e) const {
  if (!e.next) return 0ms;
  return runner_.lead(to_ms(*e.next) - baseline(e));
}

// Makes the run of the next fire time ahead of it: the run is recorded (the fire time
// is then handled, exactly once) and its worker makes the container and waits.
void Scheduler::prepare(Entry& e, Timestamp now) {
  if (e.deployment.state != DeploymentState::active || !e.schedule || !e.next) return;
  if (prepared_.contains(e.deployment.id)) return;
  const Timestamp at = to_ms(*e.next);
  if (now >= at || now < at - lead(e)) return;  // due already (process fires it), or not yet
  NewRun run;
  run.deployment_id = e.deployment.id;
  run.revision = e.deployment.revision.number;
  run.scheduled_at = at;
  auto record = store_.add_run(run, now, at);
  e.deployment.scheduled_through = at;
  if (!record) {
    if (record.error().code != Errc::conflict) write_failed(record.error());
    e.next = next_fire_after(*e.schedule, *e.next);
    return;
  }
  Worker* worker = spawn(*record, e, false, Worker::wait);
  worker->start_at = at;
  prepared_[e.deployment.id] = worker;
}

// At their fire times, prepared runs start, or are skipped by the concurrency policy or
// because the deployment was suspended or removed meanwhile.
void Scheduler::release(Timestamp now) {
  for (auto it = prepared_.begin(); it != prepared_.end();) {
    Worker* worker = it->second;
    if (now < worker->start_at) {
      ++it;
      continue;
    }
    Entry* entry = nullptr;
    for (auto& e : entries_) {
      if (e.deployment.id == it->first) entry = &e;
    }
    if (entry == nullptr || entry->deployment.state != DeploymentState::active) {
      worker->skip_reason = fmt::format("the deployment was {} before the run started",
                                        entry == nullptr ? "removed" : to_string(entry->deployment.state));
      worker->decide(Worker::skip);
    } else {
      std::string why;
      if (admit(*entry, worker->run_id, false, why)) {
        worker->decide(Worker::start);
      } else {
        say(fmt::format("{} in {}: run {} skipped: {}", entry->deployment.task, entry->deployment.env,
                        worker->run_id, why));
        worker->skip_reason = why;
        worker->decide(Worker::skip);
      }
      if (entry->schedule) {
        entry->next = next_fire_after(*entry->schedule, std::chrono::floor<std::chrono::seconds>(worker->start_at));
      }
    }
    it = prepared_.erase(it);
  }
}

void Scheduler::handle_missed(Entry& e, const std::vector<Instant>& missed, bool truncated, bool ran_on_time, Timestamp now) {
  const auto& policy = e.deployment.revision.policy;
  const std::string count = truncated ? fmt::format("over {}", missed.size()) : std::to_string(missed.size());
  event(e, "missed", fmt::format("{} fire time{} passed while the agent was down (catch_up: {}), the newest {}", count,
                                 missed.size() == 1 && !truncated ? "" : "s", to_string(policy.catch_up),
                                 format_rfc3339(missed.back())));
  auto too_old = [&](Instant t) {
    return policy.starting_deadline && now - to_ms(t) > *policy.starting_deadline;
  };
  auto skip = [&](Instant t, const std::string& why) {
    NewRun run;
    run.deployment_id = e.deployment.id;
    run.revision = e.deployment.revision.number;
    run.scheduled_at = to_ms(t);
    run.trigger = RunTrigger::catch_up;
    run.outcome = RunOutcome::skipped;
    run.error = why;
    store_.add_run(run, now, to_ms(t));
  };
  switch (policy.catch_up) {
    case CatchUp::none:
      skip(missed.back(), "missed while the agent was down (catch_up: none)");
      break;
    case CatchUp::latest:
      if (ran_on_time) break;  // a run on time covers it
      if (too_old(missed.back())) {
        skip(missed.back(), fmt::format("missed by more than its starting_deadline ({}s)",
                                        policy.starting_deadline->count()));
      } else {
        fire(e, missed.back(), RunTrigger::catch_up, now);
      }
      break;
    case CatchUp::all: {
      // Never a flood: the newest ten at most.
      const std::size_t first = missed.size() > 10 ? missed.size() - 10 : 0;
      for (std::size_t i = first; i < missed.size(); ++i) {
        if (too_old(missed[i])) {
          skip(missed[i], "missed by more than its starting_deadline");
        } else {
          fire(e, missed[i], RunTrigger::catch_up, now);
        }
      }
      break;
    }
  }
}

void Scheduler::event(const Entry& e, const std::string& kind, const std::string& message) {
  store_.add_event(e.deployment.task, e.deployment.env, kind, message, options_.now());
  say(fmt::format("{} in {}: {}", e.deployment.task, e.deployment.env, message));
}

std::vector<Worker*> Scheduler::active_workers(std::int64_t deployment_id) {
  std::vector<Worker*> out;
  for (auto& [id, w] : workers_) {
    if (w->deployment_id == deployment_id && !w->done.load() && w->go.load() == Worker::start) out.push_back(w.get());
  }
  return out;
}

// Applies the concurrency policy to a new run; false when the run is skipped.
bool Scheduler::admit(const Entry& e, std::int64_t run_id, bool forced, std::string& skipped_because) {
  auto active = active_workers(e.deployment.id);
  std::erase_if(active, [&](Worker* w) { return w->run_id == run_id; });
  if (active.empty() || forced) return true;
  switch (e.deployment.revision.policy.concurrency) {
    case Concurrency::allow: return true;
    case Concurrency::forbid:
      skipped_because = fmt::format("run {} was still running (concurrency: forbid)", active.front()->run_id);
      return false;
    case Concurrency::replace:
      for (auto* w : active) w->replaced_by.store(run_id);
      return true;
  }
  return true;
}

void Scheduler::fire(Entry& e, Instant t, RunTrigger trigger, Timestamp now) {
  NewRun run;
  run.deployment_id = e.deployment.id;
  run.revision = e.deployment.revision.number;
  run.scheduled_at = to_ms(t);
  run.trigger = trigger;
  // A runner that records runs itself takes them as started now and stored with others.
  if (runner_.record(run, options_.now())) return;
  auto active = active_workers(e.deployment.id);
  if (!active.empty() && e.deployment.revision.policy.concurrency == Concurrency::forbid) {
    run.outcome = RunOutcome::skipped;
    run.error = fmt::format("run {} was still running (concurrency: forbid)", active.front()->run_id);
  }
  auto record = store_.add_run(run, now, to_ms(t));
  if (!record) {
    if (record.error().code != Errc::conflict) write_failed(record.error());
    return;
  }
  if (record->outcome == RunOutcome::skipped) {
    say(fmt::format("{} in {}: run {} skipped: {}", e.deployment.task, e.deployment.env, record->id, record->error));
    return;
  }
  std::string ignored;
  admit(e, record->id, false, ignored);
  spawn(*record, e, false);
}

// Pending manual and retry runs that are due; returns when the next one falls due.
std::optional<Timestamp> Scheduler::start_pending(Timestamp now) {
  std::optional<Timestamp> next;
  auto runs = store_.unfinished_runs();
  if (!runs) return next;
  for (auto& run : *runs) {
    if (run.outcome != RunOutcome::pending || workers_.contains(run.id)) continue;
    if (run.scheduled_at > now) {
      next = next ? std::min(*next, run.scheduled_at) : run.scheduled_at;
      continue;
    }
    Entry* entry = nullptr;
    for (auto& e : entries_) {
      if (e.deployment.id == run.deployment_id) entry = &e;
    }
    if (entry == nullptr) {
      load();
      for (auto& e : entries_) {
        if (e.deployment.id == run.deployment_id) entry = &e;
      }
    }
    if (entry == nullptr) {
      store_.finish_run(run.id, RunOutcome::skipped, std::nullopt, "its deployment was removed", now);
      continue;
    }
    std::string why;
    if (!admit(*entry, run.id, run.forced || run.trigger == RunTrigger::retry, why)) {
      store_.finish_run(run.id, RunOutcome::skipped, std::nullopt, why, now);
      say(fmt::format("{} in {}: run {} skipped: {}", run.task, run.env, run.id, why));
      continue;
    }
    store_.set_run_container(run.id, "");
    run.outcome = RunOutcome::starting;
    spawn(run, *entry, false);
  }
  return next;
}

Worker* Scheduler::spawn(const RunRecord& run, const Entry& e, bool reattach, Worker::Go go) {
  auto worker = std::make_unique<Worker>();
  worker->go.store(go);
  worker->run_id = run.id;
  worker->deployment_id = run.deployment_id;
  Worker* raw = worker.get();
  Revision revision = e.deployment.revision;
  EnvironmentRecord environment = e.environment;
  runner_.launch(*raw, run, revision, environment, reattach);
  workers_[run.id] = std::move(worker);
  return raw;
}

void Scheduler::reap() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->second->done.load()) {
      if (it->second->thread.joinable()) it->second->thread.join();
      std::erase_if(prepared_, [&](const auto& p) { return p.second == it->second.get(); });
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void Scheduler::start() {
  started_ = options_.now();
  load();
  auto runs = store_.unfinished_runs();
  if (!runs) return;
  for (auto& run : *runs) {
    if (run.outcome == RunOutcome::pending) continue;
    const Entry* entry = nullptr;
    for (auto& e : entries_) {
      if (e.deployment.id == run.deployment_id) entry = &e;
    }
    Entry fallback;
    if (entry == nullptr) {
      auto d = store_.get_deployment(run.deployment_id);
      if (!d) continue;
      fallback.deployment = *d;
      if (auto env = store_.get_environment(d->env)) fallback.environment = *env;
      entry = &fallback;
    }
    say(fmt::format("re-attaching run {} of {} in {}", run.id, run.task, run.env));
    spawn(run, *entry, true);
  }
  runner_.clean_up(store_);
}

}  // namespace task
