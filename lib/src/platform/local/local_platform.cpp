#include "platform/local/local_platform.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "stats/local_stats.hpp"
#include "task/local_platform.hpp"
#include "task/schedule.hpp"

namespace task {

namespace {

Deployment neutral(const DeploymentRecord& d) { return static_cast<const Deployment&>(d); }

std::vector<Run> neutral(const std::vector<RunRecord>& records) {
  std::vector<Run> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back(to_run(r));
  return out;
}

// Run ids of the local platform are the store's row numbers.
Result<std::int64_t> run_number(const std::string& id) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc{} || end != id.data() + id.size() || n < 1) {
    return fail(Errc::not_found, fmt::format("no run `{}`", id), "`task runs` lists the runs and their ids");
  }
  return n;
}

// How much of a log one read takes: following a large log stays within this much memory.
constexpr std::size_t log_slice = 1 << 20;

}  // namespace

LocalPlatform::LocalPlatform(Store& store, LocalPlatformOptions options) : store_(store), options_(std::move(options)) {}

Result<DeploymentRecord> LocalPlatform::record(const DeploymentKey& key) { return store_.get_deployment(key.task, key.env); }

Result<Current> LocalPlatform::current(const DeploymentKey& key) {
  Current current;
  if (auto d = record(key)) {
    current.deployment = neutral(*d);
  } else if (d.error().code != Errc::not_found) {
    return std::unexpected(d.error());
  }
  auto config = store_.get_config(key.task, key.env);
  if (!config) return std::unexpected(config.error());
  current.config = std::move(*config);
  return current;
}

Result<std::optional<Deployment>> LocalPlatform::apply(const DeploymentKey& key, const Planner& plan) {
  auto applied = store_.apply(key.task, key.env, plan, options_.now());
  if (!applied) return std::unexpected(applied.error());
  if (!*applied) return std::optional<Deployment>{};
  hold_image(key, (*applied)->revision);
  return std::optional<Deployment>{neutral(**applied)};
}

// The image of each of a deployment's last ten revisions is held by a tag of the
// platform's own, task-revision/TASK:ENV-N, so that `docker image prune` (which takes
// images without a tag) leaves what a run or a rollback needs, also once `task build`
// has moved the build's own tag to a newer image. A revision that falls out of those ten
// gives its tag up; the image goes with the last tag naming it. An engine that cannot be
// reached leaves the tags to the next change.
void LocalPlatform::hold_image(const DeploymentKey& key, const Revision& revision) {
  constexpr std::int64_t kHeld = 10;
  auto client = docker();
  if (!client || revision.image.digest.empty()) return;
  const std::string repo = "task-revision/" + key.task;
  (void)(*client)->tag_image(revision.image.digest, repo, fmt::format("{}-{}", key.env, revision.number));
  // The tag that falls out now, and a few before it that a change made while the engine
  // could not be reached left behind.
  for (std::int64_t n = revision.number - kHeld; n > 0 && n > revision.number - kHeld - 5; --n) {
    (void)(*client)->remove_image(fmt::format("{}:{}-{}", repo, key.env, n), false);
  }
}

Result<Deployment> LocalPlatform::set_state(const DeploymentKey& key, DeploymentState state) {
  auto d = store_.set_deployment_state(key.task, key.env, state, options_.now());
  if (!d) return std::unexpected(d.error());
  return neutral(*d);
}

Result<std::vector<Deployment>> LocalPlatform::deployments(const DeploymentFilter& filter) {
  auto all = store_.list_deployments(filter.include_removed);
  if (!all) return std::unexpected(all.error());
  std::vector<Deployment> out;
  for (const auto& d : *all) {
    if ((filter.task.empty() || d.task == filter.task) && (filter.env.empty() || d.env == filter.env)) {
      out.push_back(neutral(d));
    }
  }
  return out;
}

Result<std::vector<Revision>> LocalPlatform::revisions(const DeploymentKey& key) {
  auto d = store_.get_deployment(key.task, key.env, true);  // undeployed too: its history is kept
  if (!d) return std::unexpected(d.error());
  return store_.list_revisions(d->id);
}

Result<DockerClient*> LocalPlatform::docker() {
  if (!docker_) {
    auto endpoint = resolve_docker_endpoint(options_.env);
    if (!endpoint) return std::unexpected(endpoint.error());
    auto client = DockerClient::connect(*endpoint);
    if (!client) return std::unexpected(client.error());
    docker_.emplace(std::move(*client));
  }
  return &*docker_;
}

Result<Image> LocalPlatform::resolve_image(const std::string& ref) {
  auto client = docker();
  if (!client) return std::unexpected(client.error());
  auto info = (*client)->inspect_image(ref);
  if (!info) return std::unexpected(info.error());
  return Image{.ref = ref, .digest = info->id, .build = 0};
}

Result<void> LocalPlatform::has_image(const Image& image) {
  auto client = docker();
  if (!client) return {};
  auto info = (*client)->inspect_image(image.digest);
  if (!info && info.error().code == Errc::not_found) {
    return fail(Errc::not_found, fmt::format("its image {} is no longer in the Docker engine (removed by `docker image "
                                             "prune -a` or `docker rmi`?)",
                                             image.digest.substr(0, 19)));
  }
  return {};
}

Result<Run> LocalPlatform::request_run(const DeploymentKey& key, bool forced) {
  auto d = record(key);
  if (!d) return std::unexpected(d.error());
  const auto now = options_.now();
  NewRun request;
  request.deployment_id = d->id;
  request.revision = d->revision.number;
  request.scheduled_at = now;
  request.trigger = RunTrigger::manual;
  request.outcome = RunOutcome::pending;
  request.forced = forced;
  auto run = store_.add_run(request, now);
  if (!run) return std::unexpected(run.error());
  return to_run(*run);
}

Result<Run> LocalPlatform::run(const std::string& id) {
  auto n = run_number(id);
  if (!n) return std::unexpected(n.error());
  auto r = store_.get_run(*n);
  if (!r) return std::unexpected(r.error());
  return to_run(*r);
}

Result<std::vector<Run>> LocalPlatform::runs(const RunFilter& filter) {
  auto r = store_.list_runs(filter.task, filter.env, filter.limit);
  if (!r) return std::unexpected(r.error());
  return neutral(*r);
}

Result<std::vector<Run>> LocalPlatform::finished_runs(const DeploymentKey& key, std::size_t limit) {
  auto d = record(key);
  if (!d) return std::unexpected(d.error());
  auto r = store_.recent_runs(d->id, limit);
  if (!r) return std::unexpected(r.error());
  return neutral(*r);
}

ChangeWatch& LocalPlatform::watch() {
  if (!watch_) watch_ = std::make_unique<ChangeWatch>(options_.state_dir);
  return *watch_;
}

bool LocalPlatform::await_output(const Run&, std::chrono::milliseconds at_most) {
  return watch().wait(at_most) != ChangeWatch::Woken::log;
}

bool LocalPlatform::await_change(const DeploymentKey&, std::chrono::milliseconds at_most) {
  return watch().wait(at_most) == ChangeWatch::Woken::state;
}

Result<LogChunk> LocalPlatform::read_log(const Run& run, std::uint64_t from) {
  (void)watch();  // watched from before the first read: what is written after it wakes the next wait
  auto n = run_number(run.id);
  if (!n) return std::unexpected(n.error());
  LogChunk chunk;
  chunk.next = from;
  std::ifstream in(options_.state_dir / "runs" / fmt::format("{}.log", *n), std::ios::binary);
  if (!in) {
    chunk.exists = false;
    return chunk;
  }
  in.seekg(static_cast<std::streamoff>(from));
  // A slice, and more while it holds no whole line: a line longer than a slice is read
  // whole rather than never.
  std::string text;
  for (;;) {
    const auto had = text.size();
    text.resize(had + log_slice);
    in.read(text.data() + had, static_cast<std::streamsize>(log_slice));
    text.resize(had + static_cast<std::size_t>(in.gcount()));
    if (text.size() < had + log_slice || text.find('\n', had) != std::string::npos) break;
  }
  std::size_t at = 0;
  for (;;) {
    auto nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    chunk.lines.push_back(parse_run_log_line(std::string_view(text).substr(at, nl - at)));
    at = nl + 1;
  }
  chunk.next = from + at;
  return chunk;
}

Result<std::vector<Event>> LocalPlatform::events(const std::string& task, const std::string& env, std::size_t limit) {
  auto records = store_.list_events(task, env, limit);
  if (!records) return std::unexpected(records.error());
  std::vector<Event> out;
  for (const auto& e : *records) out.push_back(Event{std::to_string(e.id), e.task, e.env, e.at, e.kind, e.message});
  return out;
}

Result<void> LocalPlatform::add_event(const Event& event) {
  return store_.add_event(event.task, event.env, event.kind, event.message, event.at);
}

Result<StatsReport> LocalPlatform::stats(const StatsQuery& query) { return compute_stats(store_, query); }

Result<RecentHealth> LocalPlatform::health(const DeploymentKey& key, Timestamp since, Timestamp until,
                                           std::size_t outcomes) {
  auto d = record(key);
  if (!d) return std::unexpected(d.error());
  return recent_health(store_, d->id, since, until, outcomes);
}

RunnerStatus LocalPlatform::runner() {
  auto status = agent_status(options_.state_dir);
  RunnerStatus out{status.running, status.pid, {}, {}};
  // The engine it runs tasks on, asked now: while it is down, runs falling due are errors.
  auto endpoint = resolve_docker_endpoint(options_.env);
  auto engine = endpoint ? DockerClient::connect(*endpoint) : Result<DockerClient>(std::unexpected(endpoint.error()));
  if (!engine) out.trouble = engine.error().message;
  return out;
}

RunnerStatus LocalPlatform::notify_changed() {
  auto status = agent_status(options_.state_dir);
  if (status.running) {
    wake_agent(options_.state_dir);
    return RunnerStatus{true, status.pid, {}, {}};
  }
  if (options_.executable.empty()) return RunnerStatus{false, 0, {}, {}};
  auto started = start_agent(options_.state_dir, options_.executable);
  if (!started) return RunnerStatus{false, 0, fmt::format("warning: {}", started.error().message), {}};
  return RunnerStatus{started->running, started->pid,
                      fmt::format("started the agent (pid {}); `task agent status` shows it", started->pid), {}};
}

std::vector<Check> LocalPlatform::checks() {
  std::vector<Check> out;
  auto status = agent_status(options_.state_dir);
  auto deployments = store_.list_deployments(false);
  const auto n = deployments ? std::count_if(deployments->begin(), deployments->end(),
                                             [](const auto& d) { return d.state == DeploymentState::active; })
                             : 0;
  if (status.running) {
    out.push_back(Check{"agent", true, fmt::format("running (pid {})", status.pid), ""});
  } else if (n == 0) {
    out.push_back(Check{"agent", true, "not running (nothing here is deployed and active)", ""});
  } else {
    out.push_back(Check{"agent", false, fmt::format("not running: {} active deployment{} will not run", n, n == 1 ? "" : "s"),
                        "`task agent start` starts it"});
  }
  // Each deployment: what it runs is there, its schedule reads.
  for (const auto& d : deployments ? *deployments : std::vector<DeploymentRecord>{}) {
    Check c{fmt::format("{} in {}", d.task, d.env), true, "", ""};
    const auto& r = d.revision;
    if (auto schedule = parse_schedule(r.schedule, r.timezone); !schedule) {
      c = {c.name, false, fmt::format("revision {}: its schedule does not read: {}", r.number, schedule.error().message),
           "deploy it with a schedule that does: `task deploy --interval SCHEDULE`"};
    } else if (auto image = has_image(r.image); !image) {
      c = {c.name, false, fmt::format("revision {} cannot run: {}", r.number, image.error().message),
           "build and deploy it again (`task build`, `task deploy`), or `task rollback` to a revision whose image is there"};
    } else {
      c.detail = fmt::format("revision {}, {}, image {}, {}", r.number, to_string(d.state), r.image.digest.substr(0, 19),
                             r.schedule);
      if (d.state == DeploymentState::active && !status.running) {
        c = {c.name, false, c.detail + ": no agent runs it", "`task agent start` starts it"};
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace task
